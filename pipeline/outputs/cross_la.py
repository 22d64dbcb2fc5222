"""Cross-LA checks at build time: X601 (one worker in two LAs' assignments at once) and X602 (a
worker who left a permanent post in the same region within the cool-off period), over every accepted
return of the quarter, kept in fact_cross_la; and a regional agreement's R701 across its LAs (after
the statutory cool-off, within the region's own no-rehire period: pipeline/core/data/agreements.toml),
kept apart in fact_agreement_cross_la. Their SQL: pipeline/outputs/sql/cross_la/."""
from __future__ import annotations

import pandas as pd

from pipeline.core import rulesets
from pipeline.core.agreements import agreements
from pipeline.core.contract import Quarter
from pipeline.core.findings import finding
from pipeline.outputs.marts import MARTS
from pipeline.read.parse import display_date
from pipeline.warehouse.sqlfiles import registered


def cross_la(con, q: Quarter) -> pd.DataFrame:
    """Run X601 and X602 over the accepted returns and replace the quarter's cross-LA findings."""
    found = pd.concat([
        MARTS.run(con, "cross_la/x601", quarter=str(q)).df(),
        MARTS.run(con, "cross_la/x602", quarter=str(q), previous_quarter=str(q.previous()),
                  cool_off_months=int(rulesets.for_quarter(q).thresholds["cool_off_months"]["value"])).df(),
    ], ignore_index=True)
    names = dict(con.execute("SELECT la_code, la_name FROM la_quarter WHERE quarter = ?", [str(q)]).fetchall())
    found["message"] = [_message(r, names) for r in found.itertuples(index=False)]
    found["quarter"] = str(q)
    _replace(con, "fact_cross_la", q, found)
    _replace(con, "fact_agreement_cross_la", q, agreement_cross_la(con, q, names))
    return found


COLUMNS = ["quarter", "code", "region_code", "la_code", "assignment_ref", "excel_row", "other_la_code", "other_ref",
           "message"]


def _replace(con, table: str, q: Quarter, found: pd.DataFrame) -> None:
    con.execute(f"DELETE FROM {table} WHERE quarter = ?", [str(q)])
    with registered(con, {"src_cross_la": found[COLUMNS]}):
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM src_cross_la")


def agreement_cross_la(con, q: Quarter, names: dict[str, str]) -> pd.DataFrame:
    """R701 across the LAs of each region whose agreement sets a no-rehire period longer than the
    statutory cool-off (none before the rule set of contract 3, 2026-Q4, which holds R701)."""
    rule_set = rulesets.for_quarter(q)
    statutory = int(rule_set.thresholds["cool_off_months"]["value"])
    periods = pd.DataFrame([(r.region_code, int(r.value), r.start, r.until, r.agreement)
                            for a in agreements().values() for r in a.rules
                            if r.name == "no_rehire_months" and r.value > statutory],
                           columns=["region_code", "months", "in_force_from", "in_force_until", "agreement"])
    periods = periods.astype({"in_force_from": "datetime64[us]", "in_force_until": "datetime64[us]"})
    if "R701" not in rule_set.rules or periods.empty:
        return pd.DataFrame(columns=COLUMNS)
    with registered(con, {"src_no_rehire": periods}):
        found = MARTS.run(con, "cross_la/r701", quarter=str(q), previous_quarter=str(q.previous()),
                          quarter_before=str(q.previous().previous()), cool_off_months=statutory).df()
    with rulesets.using(rule_set):
        found["message"] = [
            finding("R701", "cross_la", la=f"{names.get(r.la_code, r.la_code)} ({r.la_code})", ref=r.assignment_ref,
                    start=display_date(r.start_date), days=int(r.days), left=display_date(r.date_left),
                    other_la=f"{names.get(r.other_la_code, r.other_la_code)} ({r.other_la_code})",
                    agreement=r.agreement, limit=int(r.months), statutory=statutory).message
            for r in found.itertuples(index=False)]
    found["quarter"] = str(q)
    return found


def _message(r, names: dict[str, str]) -> str:
    la = f"{names.get(r.la_code, r.la_code)} ({r.la_code})"
    other = f"{names.get(r.other_la_code, r.other_la_code)} ({r.other_la_code})"
    if r.code == "X601":
        return finding("X601", la=la, ref=r.assignment_ref, other_la=other, other_ref=r.other_ref,
                       overlap_start=display_date(r.overlap_start), overlap_end=display_date(r.overlap_end) or "ongoing").message
    return finding("X602", la=la, ref=r.assignment_ref, start=display_date(r.start_date), days=int(r.days), other_la=other,
                   left=display_date(r.date_left)).message


