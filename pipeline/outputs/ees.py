"""The national statistics as DfE's Explore Education Statistics (EES) open data (data-contract
section 7): ees/agency_workforce.csv, its metadata agency_workforce.meta.csv and the data guidance,
every quarter built so far as one time series.

The layout is EES's (DfE, "Open data standards", https://dfe-analytical-services.github.io/
analysts-guide/statistics-production/ud.html): the time and geography columns first, then the filter
`role_category` (with 'Total' as its default), then the indicators in snake_case; a suppressed or
missing value is one of DfE's symbols (c, x, z, low), never a blank. A calendar quarter is published
as a financial-year quarter (`time_columns`). tests/outputs/test_ees_screener.py reads the files
back through the checks of DfE's screener (eesyscreener).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.core.contract import Quarter
from pipeline.outputs import disclosure
from pipeline.outputs.kit import SYMBOLS, TERMS, write_csv
from pipeline.outputs.marts import MARTS

COUNTRY = ("E92000001", "England")
LEVELS = ("National", "Regional", "Local authority")
TIME = ["time_period", "time_identifier"]
GEOGRAPHY = ["geographic_level", "country_code", "country_name", "region_code", "region_name",
             "new_la_code", "old_la_code", "la_name"]
FILTER = "role_category"
TOTAL = "Total"
STEM = "agency_workforce"


@dataclass(frozen=True)
class Indicator:
    """One indicator column: its EES metadata (label, grouping, unit '£' / '%' / '', decimal places),
    what it means, the count whose disclosure control it follows (itself, for a count) and whether it
    exists only for all roles together (the census has no role categories: 'z' on a role's row)."""
    name: str
    label: str
    grouping: str
    unit: str
    dp: int
    definition: str
    follows: str
    total_only: bool = False


INDICATORS = [
    Indicator("agency_headcount_quarter_end", "Agency workers at quarter end (headcount)", "At quarter end", "", 0,
              "Agency workers (distinct SWE registration numbers) on an assignment active on the quarter's last "
              "day.", "agency_headcount_quarter_end"),
    Indicator("agency_fte_quarter_end", "Agency FTE at quarter end", "At quarter end", "", 1,
              "Hours per week / 37 (blank hours: 37), summed over assignments active on the quarter's last day.",
              "agency_headcount_quarter_end"),
    Indicator("agency_rate", "Agency rate (FTE, at quarter end)", "At quarter end", "%", 1,
              "Agency FTE at quarter end / (agency FTE at quarter end + permanent FTE in post from the latest DfE "
              "children's social work workforce census up to the quarter's end), over the LAs with an accepted "
              "return and a census figure: the census's own definition of its agency rate.",
              "agency_headcount_quarter_end", total_only=True),
    Indicator("assignments", "Agency assignments in the quarter", "In the quarter", "", 0,
              "Assignments active on any day of the quarter.", "assignments"),
    Indicator("median_cap_basis_rate", "Median cap-basis rate (£ per hour)", "In the quarter", "£", 2,
              "Median over the quarter's assignments of hourly pay + holiday pay + employer NI + apprenticeship "
              "levy, £ per hour.", "assignments"),
    Indicator("mean_cap_basis_rate", "Mean cap-basis rate (£ per hour)", "In the quarter", "£", 2,
              "Mean of the same cap-basis rates, £ per hour.", "assignments"),
    Indicator("share_above_cap", "Assignments above the cap (%)", "In the quarter", "%", 1,
              "Assignments whose cap-basis rate is above the price cap in force for their region and role, as a "
              "percentage of the assignments a cap applies to.", "assignments"),
    Indicator("cost_in_quarter", "Cost of agency assignments in the quarter (£)", "In the quarter", "£", 0,
              "The LAs' cost of the assignments in the quarter, £ (the Assignments sheet's cost in quarter).",
              "assignments"),
    Indicator("project_team_cost_share", "Project-team cost share (%)", "In the quarter", "%", 1,
              "Cost in the quarter of assignments in a project team or packaged model, as a percentage of the "
              "cost of all assignments.", "assignments"),
]
COUNTS = sorted({i.follows for i in INDICATORS})
COLUMNS = [*TIME, *GEOGRAPHY, FILTER, *(i.name for i in INDICATORS)]
FILTER_LABEL = "Role category"
FILTER_HINT = "Filter by the role category of the agency assignment"


def time_columns(q: Quarter) -> tuple[str, str]:
    """EES's time_period and time_identifier of a calendar quarter, as a financial-year quarter
    (April–March): 2025-Q2 (April–June 2025) -> ('202526', 'Financial year Q1'); 2026-Q1 -> ('202526',
    'Financial year Q4'). Six digits for the two consecutive years (EES's allowed time values)."""
    start = q.year if q.q >= 2 else q.year - 1
    return f"{start}{(start + 1) % 100:02d}", f"Financial year Q{(q.q - 2) % 4 + 1}"


def figures(con, q: Quarter) -> pd.DataFrame:
    """The quarter's figures as the EES file publishes them, long: one row per place, role category
    and indicator (`geographic_level, region_code, region_name, new_la_code, old_la_code, la_name,
    role_category, indicator, value`), value as text: the number at the indicator's decimal places
    or DfE's symbol. Reads the tables the build's marts made (mart_assignment_measures, mart_workforce).

    Symbols: x where no accepted return stands (or, for the agency rate, no census figure); z for the
    agency rate of a single role; c under DfE's disclosure control (`disclosure`: headcount and
    assignments under 5, with secondary suppression across each region's LAs and England's regions,
    every other indicator following its count); low for a figure that rounds to zero but is not zero."""
    raw = MARTS.run(con, "ees/agency_workforce", quarter=str(q)).df()
    hidden = {count: _suppressed(raw, count) for count in COUNTS}
    shown = raw[GEOGRAPHY[:1] + GEOGRAPHY[3:] + [FILTER]].copy()
    no_return = ~raw["has_return"].to_numpy(dtype=bool)
    single_role = (raw[FILTER] != TOTAL).to_numpy()
    out = []
    for ind in INDICATORS:
        values = raw[ind.name].to_numpy(dtype=float)
        text = np.array([_number(v, ind.dp) for v in values], dtype=object)
        text[np.isnan(values)] = "x" if ind.total_only else "z"
        text[hidden[ind.follows]] = "c"
        if ind.total_only:
            text[single_role] = "z"
        text[no_return] = "x"
        out.append(shown.assign(indicator=ind.name, value=text))
    return pd.concat(out, ignore_index=True)


def _number(value: float, dp: int) -> str:
    if np.isnan(value):
        return ""
    rounded = round(float(value), dp)
    if rounded == 0 and value != 0:
        return "low"
    return f"{rounded:.{dp}f}"


def _suppressed(raw: pd.DataFrame, count: str) -> np.ndarray:
    """Where `count` must be shown as 'c' (`disclosure.suppression_mask`), over two kinds of table with
    totals: each region's LAs under the region, and the regions under England, role categories across
    with 'Total'. A cell hidden in one table stays hidden in the other, repeated until neither changes."""
    place = raw["geographic_level"].str.cat([raw["region_code"].fillna(""), raw["old_la_code"].fillna("")], sep="|")
    wide = (raw.assign(place=place, value=raw[count].astype(float).where(raw["has_return"]))
            .pivot(index="place", columns=FILTER, values="value"))
    places = raw.assign(place=place).drop_duplicates("place").set_index("place")
    level, region = places["geographic_level"], places["region_code"].fillna("")
    national = level.index[level == "National"]
    tables = [(level.index[(level == "Regional") | (level == "National")], national[0] if len(national) else None)]
    for code in region[level == "Regional"]:
        rows = region.index[(region == code) & (level != "National")]
        tables.append((rows, f"Regional|{code}|"))
    mask = pd.DataFrame(False, index=wide.index, columns=wide.columns)
    while True:
        before = mask.to_numpy().copy()
        for rows, total in tables:
            counts = wide.loc[rows].where(~mask.loc[rows], -1.0)   # hidden elsewhere: hidden here too
            mask.loc[rows] |= disclosure.suppression_mask(counts, total_row=total, total_col=TOTAL)
        if (mask.to_numpy() == before).all():
            break
    return np.array([mask.at[p, r] for p, r in zip(place, raw[FILTER])], dtype=bool)


def data_file(series: pd.DataFrame) -> pd.DataFrame:
    """The EES data file from the published figures of every quarter (long, as `figures` gives them,
    with a `quarter` column): one row per quarter, place and role category, in EES's column order,
    oldest quarter first, then England, the regions and the LAs by code."""
    keys = ["quarter", *GEOGRAPHY[:1], *GEOGRAPHY[3:], FILTER]
    # a geography column a level leaves empty is an empty string in the file (and a key to pivot on)
    wide = series.fillna({k: "" for k in keys}).pivot(index=keys, columns="indicator", values="value").reset_index()
    times = {q: time_columns(Quarter.parse(q)) for q in wide["quarter"].unique()}
    wide["time_period"] = wide["quarter"].map(lambda q: times[q][0])
    wide["time_identifier"] = wide["quarter"].map(lambda q: times[q][1])
    wide["country_code"], wide["country_name"] = COUNTRY
    order = wide["geographic_level"].map({lvl: i for i, lvl in enumerate(LEVELS)})
    role_order = (wide[FILTER] != TOTAL).astype(int)
    wide = wide.assign(_l=order, _r=role_order).sort_values(
        ["quarter", "_l", "region_code", "old_la_code", "_r"], kind="stable")
    return wide[COLUMNS].reset_index(drop=True)


def meta_file() -> pd.DataFrame:
    """The EES metadata file: the filter, then every indicator, with EES's eight columns."""
    rows = [{"col_name": FILTER, "col_type": "Filter", "label": FILTER_LABEL, "indicator_grouping": "",
             "indicator_unit": "", "indicator_dp": "", "filter_hint": FILTER_HINT, "filter_grouping_column": ""}]
    rows += [{"col_name": i.name, "col_type": "Indicator", "label": i.label, "indicator_grouping": i.grouping,
              "indicator_unit": i.unit, "indicator_dp": str(i.dp), "filter_hint": "", "filter_grouping_column": ""}
             for i in INDICATORS]
    return pd.DataFrame(rows)


def guidance(quarters: list[str]) -> str:
    """The data guidance that goes with the file (EES asks for one per data file): what it covers, the
    terms of section 7, each column, DfE's symbols and where revisions are listed."""
    first, last = (f"{q} ({' '.join(time_columns(Quarter.parse(q))[::-1])} {time_columns(Quarter.parse(q))[0]})"
                   for q in (quarters[0], quarters[-1]))
    lines = [f"# {STEM}.csv: agency child and family social workers in England", "",
             "Figures from the quarterly returns English local authorities send DfE on their agency child and "
             "family social workers, for England, each region and each local authority, by role category "
             f"(Total: all roles). Quarters {first} to {last}, each as published by its latest build.", "",
             "Time: each calendar quarter is a financial-year quarter (April to March): time_period 202526 with "
             "time_identifier 'Financial year Q1' is April to June 2025.", "", "## Terms", ""]
    lines += [f"- **{k}**: {v}" for k, v in TERMS.items()]
    lines += ["", "## Columns", "", f"- **{FILTER}**: the role category of the assignment; Total: all roles."]
    lines += [f"- **{i.name}** ({i.label}; {i.grouping.lower()}): {i.definition}" for i in INDICATORS]
    lines += ["", "## Symbols", ""] + [f"- **{k}**: {v}" for k, v in SYMBOLS.items()]
    lines += ["", "Disclosure control: headcounts and assignment counts under 5 are shown as c, and further cells "
                  "are suppressed so that totals cannot reveal them; the other indicators follow their count.", "",
              "## Revisions", "",
              "A late or replaced return changes figures already published: each quarter's revisions.csv lists "
              "every figure a later build changed, from what to what, when and why."]
    return "\n".join(lines) + "\n"


def write(folder: Path, series: pd.DataFrame) -> list[Path]:
    """ees/agency_workforce.csv, agency_workforce.meta.csv and data_guidance.md under `folder`, from
    the published figures of every quarter built so far (`series`, long with a `quarter` column)."""
    folder.mkdir(parents=True, exist_ok=True)
    data = data_file(series)
    paths = [write_csv(data, folder / f"{STEM}.csv"), write_csv(meta_file(), folder / f"{STEM}.meta.csv")]
    guide = folder / "data_guidance.md"
    guide.write_text(guidance(sorted(series["quarter"].unique())), encoding="utf-8")
    return [*paths, guide]
