"""Opening the DuckDB warehouse: where the service keeps its state (`Paths`), the connection (schema
DDL run when it changed, dimensions reloaded when the reference data changed) and `reading` /
`writing`, one operation at a time under the readers–writer lock (`locks`)."""
from __future__ import annotations

import datetime as dt
import hashlib
import os
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import duckdb
import pandas as pd

from pipeline.core.calendar import due_date
from pipeline.core.config import data_dir, outputs_dir, threshold, warehouse_path
from pipeline.core.contract import ROLE_CATEGORIES, Quarter
from pipeline.core.private import private_dir
from pipeline.core.reference import REGIONS, cap_table, file_stem, la_rows, workforce
from pipeline.warehouse import locks
from pipeline.warehouse.sqlfiles import WAREHOUSE, registered


class WarehouseMissing(FileNotFoundError):
    """A reader asked for a warehouse that does not exist yet (nothing submitted)."""


def _settings(path: Path) -> dict:
    return {"autoinstall_known_extensions": False,   # offline: never reach for the network
            "extension_directory": str(path.parent / "duckdb_extensions")}


@lru_cache(maxsize=1)
def schema_version() -> str:
    """A digest of the schema DDL (pipeline/warehouse/sql/schema): the DDL runs again only when it changes."""
    text = "".join(WAREHOUSE.text(name) for name in WAREHOUSE.names("schema"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def connect(path: Path | str | None = None, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse for one operation; the caller closes it, holding `pipeline.warehouse.locks` meanwhile.

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
            for name in WAREHOUSE.names("schema"):
                con.execute(WAREHOUSE.text(name))
            write_meta(con, "schema_version", schema_version())
        refresh_dimensions(con)
    except BaseException:
        con.close()
        raise
    return con


def read_meta(con, key: str) -> str | None:
    """A value of the warehouse's own `meta` table (schema version, dimensions' signature, key fingerprint)."""
    try:
        row = con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    except duckdb.CatalogException:   # a new file: no meta table yet
        return None
    return row[0] if row else None


def write_meta(con, key: str, value: str | None) -> None:
    """Set (or, with None, remove) a value of the `meta` table."""
    con.execute("DELETE FROM meta WHERE key = ?", [key])
    if value is not None:
        con.execute("INSERT INTO meta VALUES (?, ?)", [key, value])


def schema_current(con) -> bool:
    return read_meta(con, "schema_version") == schema_version()


def up_to_date(con) -> bool:
    """Whether a (read-only) connection sees the current schema and dimensions; if not, a writer must
    open the file once first (`pipeline.warehouse.submit` does)."""
    return schema_current(con) and read_meta(con, "dims_signature") == _dims_signature()


def _dims_signature() -> str:
    return (f"{cap_table().version}|{threshold('submission_window_months')}|{len(la_rows())}"
            f"|census {sum(len(years) for years in workforce().values())} vacancy_fte")


def refresh_dimensions(con: duckdb.DuckDBPyConnection) -> None:
    """Reload the dimension tables when the reference data, cap table or window changed."""
    signature = _dims_signature()
    if read_meta(con, "dims_signature") == signature:
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
        "dim_census": pd.DataFrame([(la, year, dt.date(year, 9, 30), m["inpost_fte"], m["vacancy_fte"],
                                     m["vacancy_rate_fte"], m["agency_fte"]) for la, years in workforce().items() for year, m in years.items()],
                                   columns=["la_code", "census_year", "census_date", "inpost_fte", "vacancy_fte",
                                            "vacancy_rate", "agency_fte"]),
    }
    con.execute("BEGIN TRANSACTION")
    try:
        for table, frame in frames.items():
            con.execute(f"DELETE FROM {table}")
            with registered(con, {"dim_src": frame}):
                con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM dim_src")
        write_meta(con, "dims_signature", signature)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


@dataclass(frozen=True)
class Paths:
    """Where the service keeps its state: from `home` when given, else from the environment."""

    data: Path
    warehouse: Path
    outputs: Path

    @property
    def raw(self) -> Path:
        return self.data / "raw"

    @property
    def index(self) -> Path:
        return self.raw / "received.jsonl"


def paths(home: Path | str | None = None) -> Paths:
    if home is None:
        return Paths(data_dir(), warehouse_path(), outputs_dir())
    home = Path(home).resolve()
    return Paths(home / "data", home / "data" / "warehouse.duckdb", home / "outputs")


_OPEN: ContextVar[dict | None] = ContextVar("warehouse_open", default=None)


@contextmanager
def _using(where: Paths, con):
    held = dict(_OPEN.get() or {})
    held[str(where.warehouse)] = con
    token = _OPEN.set(held)
    try:
        yield con
    finally:
        _OPEN.reset(token)


@contextmanager
def writing(where: Paths, wait: float | None = None):
    """A read-write connection for one operation, under the exclusive lock (`pipeline.warehouse.locks`); closed
    after. Inside a block that already writes to this warehouse, that connection.
    Raises locks.WarehouseBusy if the warehouse stays busy for the whole wait."""
    current = (_OPEN.get() or {}).get(str(where.warehouse))
    if current is not None and locks.holding(where.warehouse) == "write":
        yield current
        return
    with locks.write_lock(where.warehouse, wait):
        con = connect(where.warehouse)
        try:
            with _using(where, con):
                yield con
        finally:
            con.close()


@contextmanager
def reading(where: Paths, wait: float | None = None):
    """A read-only connection for one operation, under the shared lock; closed after. A warehouse
    that does not exist yet, or whose schema or dimensions are out of date, is first brought up to
    date by a writer (once). Inside a block that already holds this warehouse, its connection."""
    current = (_OPEN.get() or {}).get(str(where.warehouse))
    if current is not None:
        yield current
        return
    for _ in range(2):
        with locks.read_lock(where.warehouse, wait):
            con = None
            if where.warehouse.exists():
                con = connect(where.warehouse, read_only=True)
                if not up_to_date(con):
                    con.close()
                    con = None
            if con is not None:
                try:
                    with _using(where, con):
                        yield con
                finally:
                    con.close()
                return
        with writing(where):   # create or migrate it, then read
            pass
    raise RuntimeError(f"the warehouse {where.warehouse} could not be brought up to date")
