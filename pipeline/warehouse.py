"""The DuckDB warehouse: connection, schema, dimensions, the ledger and the one-transaction load.

Everything that reaches DuckDB goes through here. SWE numbers are replaced by a keyed hash
(HMAC-SHA256) before any frame is handed to DuckDB, so the warehouse file never holds one.
The SQL lives in pipeline/sql: schema/ (DDL), staging/ (one file per upload sheet), checks/
(cross-LA rules and look-ups) and marts/ (one file per output table).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import re
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from pipeline.agency_rules import cap_for
from pipeline.config import SQL_DIR, data_dir, threshold, warehouse_path
from pipeline.contract import ROLE_CATEGORIES, Quarter
from pipeline.redaction import redact, suspects
from pipeline.reference import REGIONS, cap_table, la_rows

KEY_ENV = "AGENCY_RETURN_KEY"
FACT_TABLES = ("fact_assignment", "fact_project_team", "fact_monthly_cost", "fact_compliance",
               "fact_agency", "fact_leaver")
# sheet -> (staging file, fact table); the order facts are loaded in
STAGING = {
    "Assignments": ("assignments", "fact_assignment"),
    "ProjectTeams": ("project_teams", "fact_project_team"),
    "MonthlyCosts": ("monthly_costs", "fact_monthly_cost"),
    "Agencies": ("agencies", "fact_agency"),
    "Leavers": ("leavers", "fact_leaver"),
}
_PARAM = re.compile(r"\$([a-z_]+)")


# --- SQL files ---------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def sql(name: str) -> str:
    """The text of pipeline/sql/<name>.sql."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def run(con: duckdb.DuckDBPyConnection, name: str, **params) -> duckdb.DuckDBPyConnection:
    """Execute a SQL file, passing only the $parameters it uses (DuckDB rejects unused ones)."""
    return con.execute(sql(name), params_for(name, params))


def insert(con: duckdb.DuckDBPyConnection, table: str, name: str, sources: dict[str, pd.DataFrame | pa.Table],
           **params) -> None:
    """INSERT INTO table the rows a staging SQL file selects from `sources`, matching columns by name."""
    with registered(con, sources):
        con.execute(f"INSERT INTO {table} BY NAME " + sql(name), params_for(name, params))


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, frames: dict[str, pd.DataFrame | pa.Table]):
    """DataFrames (or Arrow tables) visible to SQL under these names for the length of the block."""
    for name, frame in frames.items():
        con.register(name, _arrow(frame))
    try:
        yield
    finally:
        for name in frames:
            con.unregister(name)


def _arrow(frame):
    """The frame as an Arrow table, which DuckDB scans as it is: about twice as fast as its pandas
    scan, which converts each Arrow-backed string column to Python objects first. A column Arrow
    cannot type (mixed objects) leaves the frame to the pandas scan; an Arrow table is taken as it is."""
    if isinstance(frame, pa.Table):
        return frame
    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return frame


def params_for(name: str, params: dict) -> dict:
    used = set(_PARAM.findall(sql(name)))
    missing = used - params.keys()
    if missing:
        raise KeyError(f"sql/{name}.sql needs parameters {sorted(missing)}")
    return {k: v for k, v in params.items() if k in used}


def marts() -> list[str]:
    """Mart names in run order (a later mart may read an earlier one as mart_<name>)."""
    return [p.stem for p in sorted((SQL_DIR / "marts").glob("*.sql"))]


def mart_name(stem: str) -> str:
    """'07_regional_summary' -> 'regional_summary'."""
    return stem.split("_", 1)[1]


# --- connection and schema ---------------------------------------------------------------------

class WarehouseMissing(FileNotFoundError):
    """A reader asked for a warehouse that does not exist yet (nothing submitted)."""


def _settings(path: Path) -> dict:
    return {"autoinstall_known_extensions": False,   # offline: never reach for the network
            "extension_directory": str(path.parent / "duckdb_extensions")}


@lru_cache(maxsize=1)
def schema_version() -> str:
    """A digest of the schema DDL (pipeline/sql/schema): the DDL runs again only when it changes."""
    text = "".join(sql(f"schema/{p.stem}") for p in sorted((SQL_DIR / "schema").glob("*.sql")))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def connect(path: Path | str | None = None, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse for one operation; the caller closes it, holding `pipeline.locks` meanwhile.

    Read-write (the default) creates the file if needed (owner-only), runs the schema DDL only when the
    file is new or its schema version changed, and reloads the dimensions only when their signature
    changed, so opening costs a couple of look-ups. `read_only` never runs DDL and never creates a
    file: it raises WarehouseMissing if there is none (see `up_to_date` for a stale one)."""
    path = Path(path) if path is not None else warehouse_path()
    if read_only:
        if not path.exists():
            raise WarehouseMissing(f"no warehouse at {path} yet: nothing has been submitted")
        return duckdb.connect(str(path), read_only=True, config=_settings(path))
    private_dir(path.parent)
    con = duckdb.connect(str(path), config=_settings(path))
    try:
        os.chmod(path, 0o600)
        if not schema_current(con):
            for ddl in sorted((SQL_DIR / "schema").glob("*.sql")):
                con.execute(sql(f"schema/{ddl.stem}"))
            _set_meta(con, "schema_version", schema_version())
        refresh_dimensions(con)
    except BaseException:
        con.close()
        raise
    return con


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) if needed and make it owner-only (0700), whatever the umask."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` whole or not at all: owner-only (0600), fsynced, then renamed into place."""
    tmp = path.with_name(path.name + ".part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _meta(con, key: str) -> str | None:
    try:
        row = con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    except duckdb.CatalogException:   # a new file: no meta table yet
        return None
    return row[0] if row else None


def _set_meta(con, key: str, value: str | None) -> None:
    con.execute("DELETE FROM meta WHERE key = ?", [key])
    if value is not None:
        con.execute("INSERT INTO meta VALUES (?, ?)", [key, value])


def schema_current(con) -> bool:
    return _meta(con, "schema_version") == schema_version()


def up_to_date(con) -> bool:
    """Whether a (read-only) connection sees the current schema and dimensions; if not, a writer must
    open the file once first (`pipeline.store` does)."""
    return schema_current(con) and _meta(con, "dims_signature") == _dims_signature()


def _dims_signature() -> str:
    return f"{cap_table().version}|{threshold('submission_window_months')}|{len(la_rows())}"


def refresh_dimensions(con: duckdb.DuckDBPyConnection) -> None:
    """Reload the dimension tables when the reference data, cap table or window changed."""
    signature = _dims_signature()
    if _meta(con, "dims_signature") == signature:
        return
    caps = cap_table()
    quarters = [Quarter(y, q) for y in range(2024, 2051) for q in range(1, 5)]
    frames = {
        "dim_region": pd.DataFrame([(c, n, file_stem(n)) for c, n in REGIONS.items()],
                                   columns=["region_code", "region_name", "file_stem"]),
        "dim_la": pd.DataFrame([(la.code, la.gss_code, la.name, la.region_code, la.start, la.end) for la in la_rows()],
                               columns=["la_code", "gss_code", "la_name", "region_code", "valid_from", "valid_to"]),
        "dim_role": pd.DataFrame({"role_category": list(ROLE_CATEGORIES), "sort_order": range(len(ROLE_CATEGORIES))}),
        "dim_quarter": pd.DataFrame([(str(q), q.year, q.q, q.start, q.end, due_date(q)) for q in quarters],
                                    columns=["quarter", "year", "q", "start_date", "end_date", "due_date"]),
        "dim_cap": pd.DataFrame([(caps.version, *row[:5]) for row in caps.rows],
                                columns=["cap_table_version", "region_code", "role_category", "effective_from",
                                         "effective_to", "cap_gbp_per_hour"]),
    }
    con.execute("BEGIN TRANSACTION")
    try:
        for table, frame in frames.items():
            con.execute(f"DELETE FROM {table}")
            with registered(con, {"dim_src": frame}):
                con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM dim_src")
        _set_meta(con, "dims_signature", signature)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def due_date(quarter: Quarter) -> dt.date:
    """The last day of the window: the end of the Nth month after the quarter (Q1 -> 31 May)."""
    months = int(threshold("submission_window_months"))
    first = quarter.next().start
    year, month = divmod(first.month - 1 + months, 12)
    return dt.date(first.year + year, month + 1, 1) - dt.timedelta(days=1)


def file_stem(region_name: str) -> str:
    """A region name as a file name: 'East of England' -> 'East_of_England'."""
    return re.sub(r"[^A-Za-z0-9]+", "_", region_name).strip("_")


# --- the HMAC key and hashing ------------------------------------------------------------------

class KeyProblem(ValueError):
    """The HMAC key is missing, empty or not the one the warehouse's hashes were made with: writing
    would silently break cross-LA and cross-quarter matching (X601, X602), so nothing is written."""


def swe_key(data: Path | None = None, *, create: bool = False) -> bytes:
    """The HMAC key: AGENCY_RETURN_KEY, else <data>/secret.key. With `create` (a new warehouse only)
    a missing key file is generated (owner-only). Raises KeyProblem if it is missing or empty."""
    if KEY_ENV in os.environ:
        env = os.environ[KEY_ENV].strip()
        if not env:
            raise KeyProblem(f"{KEY_ENV} is set but empty: set it to the warehouse's key, or unset it")
        return env.encode("utf-8")
    path = (data if data is not None else data_dir()) / "secret.key"
    if not path.exists():
        if not create:
            raise KeyProblem(f"the HMAC key file {path} is missing, and the warehouse's SWE number hashes were made "
                             f"with it: restore it from backup (or set {KEY_ENV}), or run `agency-return rekey` to "
                             "hash every kept file again with a new key")
        return new_key_file(path)
    key = path.read_text().strip()
    if not key:
        raise KeyProblem(f"the HMAC key file {path} is empty: restore it from backup, or run `agency-return rekey`")
    return key.encode("utf-8")


def new_key_file(path: Path) -> bytes:
    """Write a new random key to `path` (owner-only, replacing any) and return it."""
    private_dir(path.parent)
    key = secrets.token_hex(32).encode("utf-8")
    write_private(path, key)
    return key


def key_fingerprint(key: bytes) -> str:
    """Identifies a key without revealing it: HMAC of a fixed text under the key."""
    return hmac.new(key, b"agency-return key fingerprint", hashlib.sha256).hexdigest()[:16]


def stored_fingerprint(con) -> str | None:
    return _meta(con, "key_fingerprint")


def adopt_key(con, key: bytes) -> None:
    """Record `key` as the one this warehouse's hashes are made with."""
    _set_meta(con, "key_fingerprint", key_fingerprint(key))


def writing_key(con, data: Path) -> bytes:
    """The key to hash with, checked against the warehouse's fingerprint (a new warehouse adopts it).
    Raises KeyProblem if the key is missing, empty or different."""
    stored = stored_fingerprint(con)
    held = con.execute("SELECT (SELECT count(*) FROM fact_assignment) + (SELECT count(*) FROM fact_leaver)").fetchone()[0]
    key = swe_key(data, create=stored is None and not held)
    if stored is None:
        adopt_key(con, key)   # a warehouse from before fingerprints: the key in use is taken as its key
    elif key_fingerprint(key) != stored:
        raise KeyProblem("the HMAC key is not the one this warehouse's SWE number hashes were made with (its "
                         f"fingerprint differs), so cross-LA and cross-quarter matching would silently break: "
                         f"restore the right key (secret.key or {KEY_ENV}), or run `agency-return rekey` to hash "
                         "every kept file again with this one")
    return key


def hash_swe(values: pa.ChunkedArray | pa.Array, key: bytes) -> pa.Array:
    """HMAC-SHA256 (hex) of each normalised SWE number of an Arrow text column (null stays null)."""
    return pa.array([None if v is None else hmac.digest(key, str(v).encode("utf-8"), "sha256").hex()
                     for v in values.to_pylist()], type=pa.large_string())


# --- the ledger and the load -------------------------------------------------------------------

def previous_total(con: duckdb.DuckDBPyConnection, la_code: str | None, quarter: Quarter | None) -> float | None:
    """The LA's accepted total cost for the quarter before `quarter` (for Q514), if held."""
    if not la_code or quarter is None:
        return None
    row = run(con, "checks/previous_total", la_code=la_code, quarter=str(quarter.previous())).fetchone()
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


@dataclass(frozen=True)
class Received:
    """One validated file to record: its verdict (`validate.Result`), when it came, the (redacted)
    name it came under and the quarter being collected when it was sent, if any."""

    result: object
    received_at: dt.datetime
    file_name: str
    collecting: Quarter | None


def record(con: duckdb.DuckDBPyConnection, batch: list[Received], *, key: bytes) -> list[int]:
    """Add each submission to the ledger with its findings and, for each accepted one, replace its LA's
    quarter in the facts: the whole batch in ONE transaction, so a failure leaves the warehouse as it
    was. The batch's files must be of different LAs (each file's look-ups, such as Q514's previous
    total, were made before any of them was recorded; `pipeline.store` splits batches so). Each
    table gets one insert per batch, not one per file (~4 ms a statement). Returns the submission ids,
    in the batch's order."""
    con.execute("BEGIN TRANSACTION")
    try:
        sids = sorted(int(n) for (n,) in con.execute(
            "SELECT nextval('submission_seq') FROM range(?)", [len(batch)]).fetchall())
        con.executemany("INSERT INTO ledger VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [[
            sid, r.la_code, r.quarter, str(e.collecting) if e.collecting else None, r.sha256, e.file_name,
            e.received_at, r.status, r.errors, r.queries, r.queries_outstanding,
            r.submission.caps.version if r.submission is not None else None, r.rule_set or None]
            for sid, e in zip(sids, batch) for r in [e.result]])
        _load_findings(con, sids, [e.result.findings for e in batch])
        accepted = [(sid, e.result) for sid, e in zip(sids, batch) if e.result.status == "accepted"]
        if accepted:
            _replace_facts(con, accepted, key)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return sids


def _load_findings(con, sids: list[int], findings: list) -> None:
    """fact_finding: every finding of the batch's files, value and message redacted; one Arrow table."""
    found = [(sid, f) for sid, fs in zip(sids, findings) for f in fs]
    text = pa.large_string()
    table = pa.table({
        "submission_id": pa.array([sid for sid, _ in found], pa.int64()),
        "code": pa.array([f.code for _, f in found], text),
        "severity": pa.array([f.severity for _, f in found], text),
        "sheet": pa.array([f.sheet for _, f in found], text),
        "row": pa.array([None if f.row is None else int(f.row) for _, f in found], pa.int64()),
        "column": pa.array([f.column for _, f in found], text),
        "cell": pa.array([f.cell for _, f in found], text),
        "value": pa.array(_redacted([None if f.value is None else str(f.value) for _, f in found]), text),
        "message": pa.array(_redacted([f.message for _, f in found]), text),
        "explained": pa.array([bool(f.explained) for _, f in found], pa.bool_()),
    })
    insert(con, "fact_finding", "staging/findings", {"src_findings": table})


def _replace_facts(con, accepted: list[tuple[int, object]], key: bytes) -> None:
    """The facts of the accepted files (sid, result): each LA's quarter replaced, one insert per table,
    each from one Arrow table of the files' rows (one concatenation and conversion per sheet for the
    files together, not a reset index, a column insert and a conversion per file: ~4 ms a file less)."""
    standing = set(con.execute("SELECT la_code, quarter FROM current_submission").fetchall())
    for _, result in accepted:
        if (result.la_code, result.quarter) in standing:
            # facts are only ever the current submission's, so there is nothing to delete for a first one
            for table in (*FACT_TABLES, "current_submission"):
                con.execute(f"DELETE FROM {table} WHERE la_code = ? AND quarter = ?", [result.la_code, result.quarter])
    for sheet, (stage, table) in STAGING.items():
        frames = [result.submission.frame(sheet) for _, result in accepted]
        rows = _table(frames)
        if sheet == "Assignments":   # the cap each assignment was judged against (Q501)
            rows = rows.append_column("cap", pa.array(np.concatenate(
                [cap_for(result.submission, data).to_numpy() for (_, result), data in zip(accepted, frames)]),
                pa.float64()))
        if "swe_number" in rows.column_names:
            rows = rows.append_column("swe_hash", hash_swe(rows["swe_number"], key)).drop_columns("swe_number")
        insert(con, table, f"staging/{stage}", {f"src_{stage}": _keyed(_redact_table(rows), accepted,
                                                                        [len(f) for f in frames])})
    _load_compliance(con, accepted)
    con.executemany("INSERT INTO current_submission VALUES (?, ?, ?)",
                    [[r.la_code, r.quarter, sid] for sid, r in accepted])


def _table(frames: list[pd.DataFrame]) -> pa.Table:
    """The files' typed frames of one sheet, rows one after another, as one Arrow table with the index
    (the Excel row) as the column `row`: one conversion for the batch, not one a file."""
    frame = frames[0] if len(frames) == 1 else pd.concat(frames)
    return pa.Table.from_pandas(frame, preserve_index=True).replace_schema_metadata(None)


def _load_compliance(con, accepted: list[tuple[int, object]]) -> None:
    """fact_compliance: each file's Compliance sheet beside the compliance derived from its assignments."""
    derived = pd.DataFrame([{"position": i, "rule": d.get("rule"), "declared": d.get("declared"),
                             "derived_status": d.get("derived_status"), "assignments": d.get("assignments"),
                             "compliant": d.get("compliant"), "breaches": d.get("breaches"),
                             "legacy": d.get("legacy", 0)} for _, r in accepted for i, d in enumerate(r.compliance)],
                           columns=["position", "rule", "declared", "derived_status", "assignments", "compliant",
                                    "breaches", "legacy"])
    declared = [r.submission.frame("Compliance") for _, r in accepted]
    insert(con, "fact_compliance", "staging/compliance", {
        "src_derived": _keyed(pa.Table.from_pandas(derived.astype({"declared": "string", "derived_status": "string",
                                                                   "rule": "string"}), preserve_index=False),
                              accepted, [len(r.compliance) for _, r in accepted]),
        "src_compliance": _keyed(_redact_table(_table(declared)), accepted, [len(f) for f in declared])})


def _keyed(rows: pa.Table, accepted: list[tuple[int, object]], lengths: list[int]) -> pa.Table:
    """`rows` (the files' rows one after another, `lengths` of each) with the columns the staging SQL
    keys them by: submission_id, la_code, quarter, region_code and the cap table's version."""
    each = np.repeat(np.arange(len(accepted)), lengths)
    text = pa.large_string()
    keys = {
        "submission_id": pa.array([sid for sid, _ in accepted], pa.int64()),
        "la_code": pa.array([r.la_code for _, r in accepted], text),
        "quarter": pa.array([r.quarter for _, r in accepted], text),
        "region_code": pa.array([r.submission.la.region_code for _, r in accepted], text),
        "cap_table_version": pa.array([r.submission.caps.version for _, r in accepted], text),
    }
    for name, values in keys.items():
        rows = rows.append_column(name, values.take(each))
    return rows


def _redacted(values: list) -> list:
    """`values` (text or None), in place, with what looks like an SWE number removed from each."""
    for i in np.flatnonzero(suspects(values)):
        values[i] = redact(values[i])
    return values


def _redact_table(rows: pa.Table) -> pa.Table:
    """`redact_text` for an Arrow table: each text column with a cell the detector must look at is
    rebuilt only if one changes."""
    for i, field in enumerate(rows.schema):
        if not (pa.types.is_string(field.type) or pa.types.is_large_string(field.type)):
            continue
        column = rows.column(i)
        if not suspects(column).any():
            continue
        values = column.to_pylist()
        clean = _redacted(list(values))
        if clean != values:
            rows = rows.set_column(i, field, pa.array(clean, field.type))
    return rows


def redact_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every text column of `frame`, in place, with what looks like an SWE number removed (Q516 tells the
    council): personal data typed into free text never reaches the warehouse or shared outputs. Only
    the cells of a text column the detector must look at (`redaction.suspects`) are looked at, and
    the column is replaced only if one of them changes; a column of Python objects is looked at
    whole (and, as pandas' `map` does, becomes a text column)."""
    for col in frame.columns:
        column = frame[col]
        if column.dtype == object:
            frame[col] = column.map(redact, na_action="ignore")
            continue
        if not pd.api.types.is_string_dtype(column) or not suspects(column).any():
            continue
        values = column.to_numpy(dtype=object)
        clean = _redacted(values.copy())
        if any(c is not v for c, v in zip(clean, values)):
            frame[col] = pd.Series(clean, index=frame.index, dtype=column.dtype)
    return frame


# --- history for the benchmark -----------------------------------------------------------------

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
    return run(con, "marts/08_cost_trend", quarter=latest, region=region).df()
