"""The marts: one SQL file per output table (pipeline/outputs/sql/marts/<name>.sql), each run as a temp
table mart_<name>. A mart reads another by naming it (`FROM mart_status`) and runs after it; the
status of every LA, `mart_status`, is the warehouse's status query.

The measures (pipeline/outputs/sql/measures/<name>.sql) are the shared definitions of data-contract
section 7 the marts count from: each assignment's measures (FTE with blank hours as 37, days active
in the quarter, active at quarter end, tenure) and the workforce census each LA's agency rate is set
against. They run as temp tables mart_<name> too, but are working tables, never an output."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd

from pipeline.core.contract import Quarter
from pipeline.warehouse.loads import redact_text
from pipeline.warehouse.sqlfiles import WAREHOUSE, SqlFiles, registered

MARTS = SqlFiles(Path(__file__).parent / "sql")
_MART = re.compile(r"\bmart_([a-z0-9_]+)")


def measure_files() -> dict[str, tuple[SqlFiles, str]]:
    """Measure name -> (folder, file name): each file of pipeline/outputs/sql/measures/
    ('measures/assignment_measures' -> 'assignment_measures')."""
    return {name.split("/", 1)[1]: (MARTS, name) for name in MARTS.names("measures")}


def mart_files() -> dict[str, tuple[SqlFiles, str]]:
    """Mart name -> (folder, file name): the status of every LA (a warehouse query), the measures,
    then each file of pipeline/outputs/sql/marts/ by its name ('marts/regional_summary' -> 'regional_summary')."""
    return {"status": (WAREHOUSE, "queries/status"), **measure_files(),
            **{name.split("/", 1)[1]: (MARTS, name) for name in MARTS.names("marts")}}


def reads(sql: str) -> set[str]:
    """The marts a SQL text reads: every mart_<name> it names ('mart_status' -> 'status')."""
    return set(_MART.findall(sql))


def run_order(needs: dict[str, set[str]]) -> list[str]:
    """The marts in an order in which each runs after every mart it reads (`needs`: mart -> the marts
    it reads); those whose inputs have all run go next, by name.

    Raises ValueError naming a mart read that does not exist, or the marts that cannot run because
    they read each other in a cycle (or read a mart in one)."""
    unknown = sorted(f"{name} reads mart_{other}" for name, others in needs.items() for other in others
                     if other not in needs)
    if unknown:
        raise ValueError(f"no such mart: {'; '.join(unknown)}")
    order: list[str] = []
    while len(order) < len(needs):
        ran = set(order)
        ready = sorted(name for name, others in needs.items() if name not in ran and others <= ran)
        if not ready:
            raise ValueError("marts that read each other in a cycle (or read one that does): "
                             + ", ".join(sorted(set(needs) - ran)))
        order += ready
    return order


def measures(con, q: Quarter) -> list[str]:
    """Run only the measures of quarter `q` as temp tables mart_<name> (mart_assignment_measures,
    mart_census, …), for a reader that counts from them outside a build (a read-only connection will
    do). Returns their names, in the order run."""
    files = measure_files()
    order = run_order({name: reads(folder.text(file)) for name, (folder, file) in files.items()})
    for name in order:
        _run(con, q, name, *files[name])
    return order


def _run(con, q: Quarter, name: str, folder: SqlFiles, file: str, now: dt.datetime | None = None) -> None:
    params = folder.params_for(file, {"quarter": str(q), "now": now or dt.datetime.now(dt.timezone.utc),
                                      "region": None})
    con.execute(f"CREATE OR REPLACE TEMP TABLE mart_{name} AS " + folder.text(file), params)


def materialise(con, q: Quarter) -> dict[str, pd.DataFrame]:
    """Run every mart as a temp table mart_<name>, each after the marts it reads (`run_order`), the
    measures among them. Returns mart name -> its table, in the order run, for the output marts only
    (the measures are working tables: no output shows them as they are).

    The publish gate: text that looks like an SWE number (stored before redaction existed, say) is
    redacted in the mart itself, so no output made from it (workbooks, CSV, Parquet) carries it, and
    one LA's field never stops the build for every LA."""
    tables = {}
    now = dt.datetime.now(dt.timezone.utc)
    files = mart_files()
    working = measure_files()
    for name in run_order({name: reads(folder.text(file)) for name, (folder, file) in files.items()}):
        _run(con, q, name, *files[name], now)
        if name in working:
            continue
        frame = con.execute(f"SELECT * FROM mart_{name}").df()
        clean = redact_text(frame.copy())
        if not clean.equals(frame):
            con.execute(f"DELETE FROM mart_{name}")
            with registered(con, {"src_redacted": clean}):
                con.execute(f"INSERT INTO mart_{name} BY NAME SELECT * FROM src_redacted")
        tables[name] = clean
    return tables
