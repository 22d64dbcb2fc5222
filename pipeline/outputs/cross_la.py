"""Cross-LA checks at build time: X601 (one worker in two LAs' assignments at once) and X602 (a
worker who left a permanent post in the same region within the cool-off period), over every accepted
return of the quarter, kept in fact_cross_la. Their SQL: pipeline/outputs/sql/cross_la/."""
from __future__ import annotations

import pandas as pd

from pipeline.core import rulesets
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
    con.execute("DELETE FROM fact_cross_la WHERE quarter = ?", [str(q)])
    columns = ["quarter", "code", "region_code", "la_code", "assignment_ref", "excel_row", "other_la_code",
               "other_ref", "message"]
    with registered(con, {"src_cross_la": found[columns]}):
        con.execute("INSERT INTO fact_cross_la BY NAME SELECT * FROM src_cross_la")
    return found


def _message(r, names: dict[str, str]) -> str:
    la = f"{names.get(r.la_code, r.la_code)} ({r.la_code})"
    other = f"{names.get(r.other_la_code, r.other_la_code)} ({r.other_la_code})"
    if r.code == "X601":
        return finding("X601", la=la, ref=r.assignment_ref, other_la=other, other_ref=r.other_ref,
                       overlap_start=display_date(r.overlap_start), overlap_end=display_date(r.overlap_end) or "ongoing").message
    return finding("X602", la=la, ref=r.assignment_ref, start=display_date(r.start_date), days=int(r.days), other_la=other,
                   left=display_date(r.date_left)).message


