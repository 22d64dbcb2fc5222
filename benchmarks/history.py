"""A synthetic warehouse of many quarters, for the benchmark of the regional trend query."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from pipeline.core.contract import Quarter
from pipeline.outputs.marts import MARTS
from pipeline.warehouse.connection import connect


def synthetic_history(path: Path | str, *, quarters: int = 40, las: int = 153) -> duckdb.DuckDBPyConnection:
    """A warehouse holding `quarters` quarters of monthly costs for `las` LAs (benchmark only)."""
    con = connect(path)
    first = Quarter(2025, 1)
    held = [first]
    while len(held) < quarters:
        held.append(held[-1].next())
    con.execute("""
        INSERT INTO fact_monthly_cost BY NAME
        WITH las AS (SELECT la_code FROM la_quarter WHERE quarter = ? ORDER BY la_code LIMIT ?)
        SELECT 0 AS submission_id, l.la_code, q.quarter, (q.start_date + to_months(m.i))::DATE AS month,
               50 + hash(l.la_code, q.quarter, m.i) % 40 AS agency_headcount,
               100000 + hash(l.la_code, q.quarter, m.i) % 200000 AS total_monthly_cost
        FROM las AS l CROSS JOIN dim_quarter AS q CROSS JOIN range(3) AS m(i)
        WHERE q.quarter BETWEEN ? AND ?""", [str(first), las, str(first), str(held[-1])])
    return con


def trend_query(con: duckdb.DuckDBPyConnection, region: str = "E12000007") -> pd.DataFrame:
    """The regional cost-trend mart for the latest quarter held, for one region."""
    latest = con.execute("SELECT max(quarter) FROM fact_monthly_cost").fetchone()[0]
    return MARTS.run(con, "marts/cost_trend", quarter=latest, region=region).df()
