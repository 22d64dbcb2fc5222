"""The marts: one SQL file per output table (pipeline/outputs/sql/marts/), each run as a temp table
mart_<name> that later marts may read, after the warehouse's status query (`mart_status`)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from pipeline.core.contract import Quarter
from pipeline.warehouse.loads import redact_text
from pipeline.warehouse.sqlfiles import WAREHOUSE, SqlFiles, registered

MARTS = SqlFiles(Path(__file__).parent / "sql")


def mart_files() -> list[tuple[str, SqlFiles, str]]:
    """(mart name, folder, file name) in run order: the status of every LA (a warehouse query), then
    pipeline/outputs/sql/marts/ in file-name order ('07_regional_summary' -> 'regional_summary')."""
    return [("status", WAREHOUSE, "queries/status"),
            *((name.split("/", 1)[1].split("_", 1)[1], MARTS, name) for name in MARTS.names("marts"))]


def materialise(con, q: Quarter) -> dict[str, pd.DataFrame]:
    """Run every mart in order as a temp table mart_<name> (later marts may read earlier ones).

    The publish gate: text that looks like an SWE number (stored before redaction existed, say) is
    redacted in the mart itself, so no output made from it (workbooks, CSV, Parquet) carries it, and
    one LA's field never stops the build for every LA."""
    tables = {}
    now = dt.datetime.now(dt.timezone.utc)
    for name, folder, file in mart_files():
        params = folder.params_for(file, {"quarter": str(q), "now": now, "region": None})
        con.execute(f"CREATE OR REPLACE TEMP TABLE mart_{name} AS " + folder.text(file), params)
        frame = con.execute(f"SELECT * FROM mart_{name}").df()
        clean = redact_text(frame.copy())
        if not clean.equals(frame):
            con.execute(f"DELETE FROM mart_{name}")
            with registered(con, {"src_redacted": clean}):
                con.execute(f"INSERT INTO mart_{name} BY NAME SELECT * FROM src_redacted")
        tables[name] = clean
    return tables


