"""What the warehouse answers: Q514's accepted totals, the ledger rows of given bytes, the returns
standing for a quarter, every LA's status for a quarter and the history of submissions."""
from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from pipeline.core import reference
from pipeline.core.contract import Quarter
from pipeline.core.reference import REGIONS
from pipeline.warehouse.connection import paths, reading
from pipeline.warehouse.sqlfiles import WAREHOUSE


def previous_total(con: duckdb.DuckDBPyConnection, la_code: str | None, quarter: Quarter | None) -> float | None:
    """The LA's accepted total cost for the quarter before `quarter` (for Q514), if held."""
    if not la_code or quarter is None:
        return None
    row = WAREHOUSE.run(con, "queries/previous_total", la_code=la_code, quarter=str(quarter.previous())).fetchone()
    return float(row[0]) if row and row[0] is not None else None


def accepted_totals(con: duckdb.DuckDBPyConnection, quarters=None) -> dict[tuple[str, str], float]:
    """(LA code, quarter) -> accepted total cost, for Q514 lookups without a connection; of the given
    quarters (strings) only, if any are given."""
    rows = con.execute("SELECT la_code, quarter, total_cost FROM la_quarter_cost "
                       "WHERE ?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], quarter)",
                       [None if quarters is None else sorted(quarters)] * 2).fetchall()
    return {(la, q): float(total) for la, q, total in rows if total is not None}


_LEDGER_FIELDS = ("submission_id", "la_code", "quarter", "status", "errors", "queries", "queries_outstanding")


def latest_submissions(con: duckdb.DuckDBPyConnection, shas) -> dict[str, dict]:
    """sha256 -> the ledger row with these bytes (submission_id, la_code, quarter, status, errors,
    queries, queries_outstanding), for the bytes that are still the latest submission for their LA and
    quarter; other bytes are absent (then they are worth taking again). One query for a batch."""
    rows = con.execute("""
        SELECT l.sha256, l.submission_id, l.la_code, l.quarter, l.status, l.errors, l.queries, l.queries_outstanding
        FROM ledger AS l
        WHERE list_contains(?::VARCHAR[], l.sha256)
          AND l.submission_id = (SELECT max(submission_id) FROM ledger AS m
                                 WHERE m.la_code IS NOT DISTINCT FROM l.la_code
                                   AND m.quarter IS NOT DISTINCT FROM l.quarter)
        ORDER BY l.submission_id""", [list(shas)]).fetchall()
    return {row[0]: dict(zip(_LEDGER_FIELDS, row[1:])) for row in rows}   # the latest row of the bytes wins


def latest_submission(con: duckdb.DuckDBPyConnection, sha256: str) -> dict | None:
    """`latest_submissions` for one file's bytes: its row, or None."""
    return latest_submissions(con, [sha256]).get(sha256)


def standing_returns(con, quarters) -> dict[tuple[str, str], dict]:
    """(LA code, quarter) -> the accepted submission that stands for it, for the given quarters (strings):
    {"submission_id", "file", "sha256", "status", "errors", "queries", "queries_outstanding"}."""
    rows = con.execute("""
        SELECT c.la_code, c.quarter, c.submission_id, l.file_name, l.sha256, l.status, l.errors, l.queries,
               l.queries_outstanding
        FROM current_submission AS c JOIN ledger AS l USING (submission_id)
        WHERE list_contains(?::VARCHAR[], c.quarter)""", [sorted(quarters)]).fetchall()
    return {(row[0], row[1]): {"submission_id": int(row[2]), **dict(zip(
        ("file", "sha256", "status", "errors", "queries", "queries_outstanding"), row[3:]))} for row in rows}


def previous_totals(*, home=None, wait: float | None = None) -> dict[tuple[str, str], float]:
    """Every accepted total cost held, (LA code, quarter) -> £: what `validate_file` is given for Q514,
    read before judging (`submit_judged` rechecks it before recording). Raises locks.WarehouseBusy if a
    writer holds the warehouse for the whole wait."""
    with reading(paths(home), wait) as con:
        return accepted_totals(con)


def region_code(region: str | None) -> str | None:
    """A region given as code (E12000007), name (London) or file name (East_of_England)."""
    if region is None:
        return None
    wanted = reference.file_stem(region.removesuffix(".xlsx")).lower()   # 'South_East.xlsx', as pull writes it
    for code, name in REGIONS.items():
        if wanted in (code.lower(), reference.file_stem(name).lower()):
            return code
    raise ValueError(f"unknown region {region!r}; use a code such as E12000007 or a name such as London")


def status(quarter: Quarter | str, region: str | None = None, *, home=None) -> pd.DataFrame:
    """Every live LA for the quarter: accepted / rejected / unreadable / missing, late, queries outstanding;
    `changed_since_build` is True for an LA whose accepted return changed after the quarter's outputs
    were built (they are stale until the next build), and `outputs_built_at` says when that was (NaT
    if never). Raises locks.WarehouseBusy if a writer holds the warehouse for the whole brief wait."""
    code = region_code(region)
    with reading(paths(home)) as con:
        frame = WAREHOUSE.run(con, "queries/status", quarter=str(quarter),
                              now=dt.datetime.now(dt.timezone.utc)).df()
        changed = WAREHOUSE.run(con, "queries/changed_since_build", quarter=str(quarter)).df()
    frame = frame.merge(changed, on="la_code", how="left")
    frame["changed_since_build"] = frame["changed_since_build"].fillna(False).astype(bool)
    frame["outputs_built_at"] = changed["outputs_built_at"].iloc[0] if len(changed) else pd.NaT
    if code:
        frame = frame[frame["region_code"] == code].reset_index(drop=True)
    return frame


def history(la_code: str | None = None, quarter: Quarter | str | None = None, *, home=None) -> pd.DataFrame:
    """Every submission (of an LA, of a quarter), oldest first: the ledger's columns and `standing`:
    accepted (it stands), superseded (a later accepted return replaced it), rejected or unreadable."""
    with reading(paths(home)) as con:
        return con.execute("""
            SELECT * FROM submission_history
            WHERE (?::VARCHAR IS NULL OR la_code = ?) AND (?::VARCHAR IS NULL OR quarter = ?)
            ORDER BY submission_id""", [la_code, la_code, None if quarter is None else str(quarter),
                                        None if quarter is None else str(quarter)]).df()
