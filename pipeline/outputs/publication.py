"""What a build publishes for DfE's statistics and what it changed: the quarter's EES figures kept in
the warehouse (`published_figure`), compared with the figures the quarter's previous build published
(a late or replaced return changes them: `figure_revision`, revisions.csv), the time series of every
quarter built so far, and this return's agency rate at 30 September beside the census's own.

All of it runs inside the build's transaction: a failed build keeps the figures as last published."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from pipeline.core import reference
from pipeline.core.contract import Quarter
from pipeline.core.reference import REGIONS
from pipeline.outputs import ees
from pipeline.outputs.marts import MARTS
from pipeline.warehouse.sqlfiles import registered

REVISION_COLUMNS = ["quarter", "measure", "label", "geographic_level", "region_code", "old_la_code", "geography",
                    "role_category", "old", "new", "published_at", "revised_at", "why"]


@dataclass
class Publication:
    """One build's statistics: `series` the published figures of every quarter built up to this one
    (long, `ees.figures`' columns with `quarter`); `revisions` every figure of this quarter a build
    changed since it was first published (REVISION_COLUMNS, newest first); `census` this return's
    agency rate at 30 September beside the census's, by census year and place (`census_comparison`);
    `revised_now` how many published figures this build changed."""
    series: pd.DataFrame
    revisions: pd.DataFrame
    census: pd.DataFrame
    revised_now: int


def publish(con, q: Quarter, built_at: dt.datetime) -> Publication:
    """Compute the quarter's EES figures (`ees.figures`), record what changed since its last build
    (the figures that differ, with the returns that changed and why) and keep the new figures as the
    published ones. Reads the build's marts (mart_assignment_measures, mart_workforce); run before the
    build records its inputs (`build_input` still says what the last build used)."""
    now = ees.figures(con, q)
    changed = MARTS.run(con, "ees/changed_returns", quarter=str(q)).df()
    with registered(con, {"new_figures": now.assign(quarter=str(q), built_at=built_at)}):
        revised = _record_revisions(con, q, changed, built_at)
        con.execute("DELETE FROM published_figure WHERE quarter = ?", [str(q)])
        con.execute("INSERT INTO published_figure BY NAME SELECT * FROM new_figures")
    series = con.execute("SELECT * EXCLUDE (built_at) FROM published_figure WHERE quarter <= ? ORDER BY quarter",
                         [str(q)]).df()
    return Publication(series, revisions(con, q), census_comparison(series), revised)


def _record_revisions(con, q: Quarter, changed: pd.DataFrame, built_at: dt.datetime) -> int:
    """figure_revision rows for every figure of `new_figures` whose value differs from the one
    published; returns how many."""
    diff = con.execute("""
        SELECT n.indicator, n.geographic_level, n.region_code, n.old_la_code,
               coalesce(n.la_name, n.region_name, 'England') AS geography, n.role_category,
               o.value AS old_value, n.value AS new_value, o.built_at AS published_at
        FROM new_figures AS n
        JOIN published_figure AS o
          ON o.quarter = n.quarter AND o.geographic_level = n.geographic_level
         AND o.region_code IS NOT DISTINCT FROM n.region_code AND o.old_la_code IS NOT DISTINCT FROM n.old_la_code
         AND o.role_category = n.role_category AND o.indicator = n.indicator
        WHERE o.value IS DISTINCT FROM n.value""").df()
    if diff.empty:
        return 0
    diff.insert(0, "quarter", str(q))
    diff["revised_at"] = built_at
    diff["reason"] = [_why(changed, level, region, la) for level, region, la in
                      zip(diff["geographic_level"], diff["region_code"], diff["old_la_code"])]
    with registered(con, {"revised": diff}):
        con.execute("INSERT INTO figure_revision BY NAME SELECT * FROM revised")
    return len(diff)


def _why(changed: pd.DataFrame, level: str, region: str | None, la: str | None) -> str:
    """Why a place's figure moved: the returns of its own LAs that changed since the last build; for
    an LA whose return did not change, those of its region (its figure was hidden or shown again by
    secondary suppression); with none at all, a recalculation."""
    own = changed if level == "National" else changed[changed["region_code"] == region]
    if level == "Local authority":
        mine = changed[changed["la_code"] == la]
        if mine.empty and not own.empty:
            return "Disclosure control moved with a change in its region: " + "; ".join(map(_return_text, own.itertuples()))
        own = mine
    if own.empty:
        return "Recalculated: no return changed (the method, reference data or disclosure control changed)."
    return "; ".join(map(_return_text, own.itertuples()))


def _return_text(r) -> str:
    who = f"{r.la_name} ({r.la_code})"
    if pd.isna(r.new_submission_id):
        return f"{who}: submission {int(r.old_submission_id)} no longer stands"
    when = f"received {r.received_on:%d %B %Y}" + (f", after the due date {r.due_date:%d %B %Y} (late)" if r.late else "")
    if pd.isna(r.old_submission_id):
        return f"{who}: return accepted after the figures were published (submission {int(r.new_submission_id)}, {when})"
    return (f"{who}: return replaced (submission {int(r.new_submission_id)}, {when}, replaced submission "
            f"{int(r.old_submission_id)})")


def revisions(con, q: Quarter) -> pd.DataFrame:
    """Every figure of quarter `q` a build changed since it was first published (REVISION_COLUMNS),
    newest revision first, England before regions before LAs."""
    frame = con.execute("""
        SELECT quarter, indicator AS measure, geographic_level, region_code, old_la_code, geography, role_category,
               old_value AS old, new_value AS new, published_at, revised_at, reason AS why
        FROM figure_revision WHERE quarter = ?
        ORDER BY revised_at DESC, CASE geographic_level WHEN 'National' THEN 0 WHEN 'Regional' THEN 1 ELSE 2 END,
                 region_code NULLS FIRST, old_la_code NULLS FIRST, role_category, indicator""", [str(q)]).df()
    labels = {i.name: i.label for i in ees.INDICATORS}
    frame.insert(2, "label", frame["measure"].map(labels))
    for col in ("published_at", "revised_at"):
        frame[col] = pd.to_datetime(frame[col], utc=True).dt.strftime("%Y-%m-%d %H:%M:%S UTC")
    return frame[REVISION_COLUMNS]


def census_comparison(series: pd.DataFrame) -> pd.DataFrame:
    """This return's agency rate at 30 September (the quarter ending then, YYYY-Q3, as published)
    beside the census's own agency rate of the same 30 September, for England and each region, for
    every census year the reference data holds: `census_year, geographic_level, region_code, geography,
    return_agency_rate, census_agency_rate, difference` (rates in %, difference in percentage points;
    'x' where the quarter was not built or a figure is not available, a published symbol as it is)."""
    census = {key: value for key, value in reference.census_agency_rates().items()
              if key[1] == "National" or key[2] in REGIONS}    # not the census's Inner and Outer London
    rates = series[(series["indicator"] == "agency_rate") & (series[ees.FILTER] == ees.TOTAL)
                   & (series["geographic_level"] != "Local authority")]
    published = {(q, lvl, code): v for q, lvl, code, v in
                 zip(rates["quarter"], rates["geographic_level"], rates["region_code"].fillna(""), rates["value"])}
    rows = []
    for (year, level, code), (name, census_rate) in sorted(census.items(), key=lambda kv: (-kv[0][0], kv[0][1] != "National", kv[0][2])):
        ours = published.get((str(Quarter(year, 3)), level, code), "x")
        both = _float(ours) is not None and census_rate is not None
        rows.append({"census_year": year, "geographic_level": level, "region_code": code or "E92000001",
                     "geography": name, "return_agency_rate": _float(ours) if _float(ours) is not None else ours,
                     "census_agency_rate": census_rate if census_rate is not None else "x",
                     "difference": round(_float(ours) - census_rate, 1) if both else "x"})
    return pd.DataFrame(rows)


def _float(text) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None
