"""Taking submissions and answering for them: submit, status, pull and rebuild.

Raw uploads are kept content-addressed (data/raw/<sha256>.xlsx, 0600 in a 0700 directory) and
listed in received order in data/raw/received.jsonl, so `rebuild` can replay them exactly.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pandas as pd

from pipeline import ahead, config, warehouse
from pipeline.contract import Quarter
from pipeline.reference import REGIONS
from pipeline.validate import Result, file_sha256, validate_file

UNCHANGED = "unchanged"


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
        return Paths(config.data_dir(), config.warehouse_path(), config.outputs_dir())
    home = Path(home).resolve()
    return Paths(home / "data", home / "data" / "warehouse.duckdb", home / "outputs")


@dataclass
class SubmitOutcome:
    file: str
    la_code: str | None
    quarter: str | None
    status: str            # accepted | rejected | unreadable | unchanged
    sha256: str
    errors: int = 0
    queries: int = 0
    queries_outstanding: int = 0
    submission_id: int | None = None
    result: Result | None = None

    def to_dict(self) -> dict:
        base = self.result.to_dict() if self.result is not None else {"file": self.file}
        return {**base, "la_code": self.la_code, "quarter": self.quarter, "status": self.status,
                "sha256": self.sha256, "submission_id": self.submission_id,
                "errors": self.errors, "queries": self.queries, "queries_outstanding": self.queries_outstanding}


class PreviousTotals(dict):
    """(LA code, quarter) -> accepted total cost; called as Q514's lookup of the quarter before."""

    def __call__(self, la_code: str, quarter: Quarter) -> float | None:
        return self.get((la_code, str(quarter.previous())))


def submit_file(path, quarter: Quarter | str | None = None, *, home=None) -> SubmitOutcome:
    """Validate a file, keep its bytes and record it; if accepted, it replaces the LA's quarter.

    The same bytes as the LA's latest submission are a no-op ('unchanged'). A rejected file is
    recorded in the ledger and never touches the accepted return it would have replaced.
    """
    return submit_files([path], quarter, home=home)[0]


def submit_files(files, quarter: Quarter | str | None = None, *, home=None, workers: int | None = None
                 ) -> list[SubmitOutcome]:
    """Submit several files in order: validated ahead in parallel processes, recorded one by one.

    Validation is the slow part and needs no warehouse, so it runs on every core; recording
    needs the single DuckDB writer, so it stays in this process, in the order given.
    """
    where = paths(home)
    collecting = Quarter.parse(quarter) if isinstance(quarter, str) else quarter
    files = [Path(f) for f in files]
    with validating_ahead(files, collecting, home=home, workers=workers) as early, opened(where) as con:
        outcomes = []
        for path in files:
            sha = file_sha256(path) if path.is_file() else ""
            seen = warehouse.latest_submission(con, sha) if sha else None
            if seen is not None:
                outcomes.append(SubmitOutcome(str(path), seen[0], seen[1], UNCHANGED, sha))
                continue
            result = early.take(path, sha) or validate_file(
                path, collecting, previous_total=partial(warehouse.previous_total, con))
            received = dt.datetime.now(dt.timezone.utc)
            kept = sha and path.stat().st_size <= config.threshold("max_file_mb") * 2**20
            if kept:
                _keep_raw(where, sha, path.read_bytes())
            outcomes.append(_record(con, where, path, result, collecting, received, path.name))
            if kept:
                _append_index(where, {"sha256": sha, "received_at": received.isoformat(), "file_name": path.name,
                                      "quarter": str(collecting) if collecting else None})
    return outcomes


@contextmanager
def validating_ahead(files, quarter: Quarter | str | None = None, *, feedback: bool = False, home=None,
                     workers: int | None = None):
    """Start validating (and, with `feedback`, answering) the files that are not already the latest
    submission, in worker processes, for the length of the block; `submit_file` and
    `ahead.feedback_workbook` inside it take what is ready. Q514's previous totals are read now;
    recording checks them again."""
    collecting = Quarter.parse(quarter) if isinstance(quarter, str) else quarter
    files, totals = [Path(f) for f in files], None
    if ahead.active() is None and len(files) >= ahead.MIN_BATCH:   # else nothing would start
        with opened(paths(home)) as con:
            totals = PreviousTotals(warehouse.accepted_totals(con))
            files = [f for f in files if f.is_file() and warehouse.latest_submission(con, file_sha256(f)) is None]
    with ahead.validating(files, collecting, totals, feedback=feedback, workers=workers) as early:
        yield early


def _record(con, where: Paths, path: Path, result: Result, collecting, received: dt.datetime,
            file_name: str) -> SubmitOutcome:
    """Record one validated file in one transaction; Q514 rechecked against the warehouse as it is now
    (an earlier file in the same batch may have been the LA's previous quarter)."""
    if result.submission is not None and result.la_code and result.quarter:
        previous = warehouse.previous_total(con, result.la_code, Quarter.parse(result.quarter))
        if previous != result.submission.previous_total:
            result = validate_file(path, collecting, previous_total=previous)
    sid = warehouse.record(con, result, key=warehouse.swe_key(where.data), received_at=received,
                           file_name=file_name, collecting=collecting)
    return SubmitOutcome(str(path), result.la_code, result.quarter, result.status, result.sha256,
                         result.errors, result.queries, result.queries_outstanding, sid, result)


def _keep_raw(where: Paths, sha: str, data: bytes) -> Path:
    where.raw.mkdir(parents=True, exist_ok=True)
    os.chmod(where.raw, 0o700)
    target = where.raw / f"{sha}.xlsx"
    if not target.exists():
        tmp = target.with_suffix(".part")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    return target


def _append_index(where: Paths, entry: dict) -> None:
    fd = os.open(where.index, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry) + "\n")


_SESSION: ContextVar[tuple[Path, object] | None] = ContextVar("warehouse_session", default=None)


@contextmanager
def session(home=None):
    """Keep one warehouse connection open for many calls (a flow run over an inbox), instead of
    opening the DuckDB file for each; `opened` inside it reuses the connection."""
    where = paths(home)
    con = warehouse.connect(where.warehouse)
    token = _SESSION.set((where.warehouse, con))
    try:
        yield con
    finally:
        _SESSION.reset(token)
        con.close()


class opened:
    """A warehouse connection for one operation, closed afterwards (DuckDB allows one writer
    process), or the open connection of the current `session`."""

    def __init__(self, where: Paths):
        self.where = where

    def __enter__(self):
        shared = _SESSION.get()
        self.owned = not (shared and shared[0] == self.where.warehouse)
        self.con = warehouse.connect(self.where.warehouse) if self.owned else shared[1]
        return self.con

    def __exit__(self, *exc):
        if self.owned:
            self.con.close()


# --- status and pull -----------------------------------------------------------------------------

def region_code(region: str | None) -> str | None:
    """A region given as code (E12000007), name (London) or file name (East_of_England)."""
    if region is None:
        return None
    wanted = warehouse.file_stem(region.removesuffix(".xlsx")).lower()   # 'South_East.xlsx', as pull writes it
    for code, name in REGIONS.items():
        if wanted in (code.lower(), warehouse.file_stem(name).lower()):
            return code
    raise ValueError(f"unknown region {region!r}; use a code such as E12000007 or a name such as London")


def status(quarter: Quarter | str, region: str | None = None, *, home=None) -> pd.DataFrame:
    """Every live LA for the quarter: accepted / rejected / unreadable / missing, late, queries outstanding."""
    code = region_code(region)
    with opened(paths(home)) as con:
        frame = warehouse.run(con, "marts/01_status", quarter=str(quarter),
                              now=dt.datetime.now(dt.timezone.utc)).df()
    if code:
        frame = frame[frame["region_code"] == code].reset_index(drop=True)
    return frame


def pull(quarter: Quarter | str, region: str | None = None, fmt: str = "xlsx", out=None, *, home=None) -> list[Path]:
    """Copy the built outputs an analyst needs into `out`: the regional workbook (or every workbook
    and national.xlsx), or every output table as CSV / Parquet filtered to the region."""
    from pipeline.outputs import extract_tables
    built = paths(home).outputs / str(quarter)
    if not (built / "national.xlsx").exists():
        raise FileNotFoundError(f"no outputs built for {quarter}: run `agency-return build --quarter {quarter}` first")
    code = region_code(region)
    out = Path(out or ".")
    out.mkdir(parents=True, exist_ok=True)
    if fmt == "xlsx":
        if code:
            sources = [built / "regional" / f"{warehouse.file_stem(REGIONS[code])}.xlsx"]
        else:
            sources = [built / "national.xlsx", *sorted((built / "regional").glob("*.xlsx"))]
        return [Path(shutil.copy2(s, out / s.name)) for s in sources]
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"format must be xlsx, csv or parquet, not {fmt!r}")
    return extract_tables(built / "parquet", out, fmt, region_code=code)


# --- rebuild ---------------------------------------------------------------------------------------

def rebuild(*, home=None) -> str:
    """Recreate the warehouse from the kept raw files, in the order they were received.

    The old warehouse is kept aside until the new one is complete and restored if replay fails.
    """
    where = paths(home)
    entries = [json.loads(line) for line in where.index.read_text(encoding="utf-8").splitlines() if line.strip()] \
        if where.index.exists() else []
    backup = where.warehouse.with_name(where.warehouse.name + ".before-rebuild")
    wal = Path(str(where.warehouse) + ".wal")
    if where.warehouse.exists():
        os.replace(where.warehouse, backup)
    wal.unlink(missing_ok=True)
    counts: dict[str, int] = {}
    try:
        with opened(where) as con:
            for e in entries:
                raw = where.raw / f"{e['sha256']}.xlsx"
                collecting = Quarter.parse(e["quarter"]) if e.get("quarter") else None
                result = validate_file(raw, collecting, previous_total=partial(warehouse.previous_total, con),
                                       name=e.get("file_name"))
                outcome = _record(con, where, raw, result, collecting,
                                  dt.datetime.fromisoformat(e["received_at"]), e.get("file_name") or raw.name)
                counts[outcome.status] = counts.get(outcome.status, 0) + 1
    except BaseException:
        where.warehouse.unlink(missing_ok=True)
        wal.unlink(missing_ok=True)
        if backup.exists():
            os.replace(backup, where.warehouse)
        raise
    backup.unlink(missing_ok=True)
    detail = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "nothing to replay"
    return f"Rebuilt {where.warehouse} from {len(entries)} raw files ({detail})."
