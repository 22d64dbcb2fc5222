"""Taking submissions and answering for them: submit, status, pull and rebuild.

Raw uploads are kept content-addressed (data/raw/<sha256>.xlsx, 0600 in a 0700 directory) and
listed in received order in data/raw/received.jsonl, so `rebuild` can replay them exactly.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import shutil
from collections import deque
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pandas as pd

from pipeline import ahead, config, locks, warehouse
from pipeline.contract import Quarter
from pipeline.redaction import redact_name
from pipeline.reference import REGIONS
from pipeline.validate import Result, file_sha256, validate_file

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
    """What became of one file. `status` is the verdict on its bytes (accepted | rejected | unreadable),
    the same each time the same bytes are sent; `unchanged` says they were already the LA's latest
    submission with that verdict, so nothing new was recorded. `supersedes` names the accepted return
    this one replaced; `superseded_by` the later file of the same batch that replaced this one."""

    file: str
    la_code: str | None
    quarter: str | None
    status: str            # accepted | rejected | unreadable
    sha256: str
    errors: int = 0
    queries: int = 0
    queries_outstanding: int = 0
    submission_id: int | None = None
    result: Result | None = None
    unchanged: bool = False
    supersedes: dict | None = None        # {"submission_id", "file"} of the accepted return replaced
    superseded_by: str | None = None      # file name (redacted) of a later file in the same batch

    def to_dict(self) -> dict:
        base = self.result.to_dict() if self.result is not None else {"file": self.file}
        return {**base, "la_code": self.la_code, "quarter": self.quarter, "status": self.status,
                "sha256": self.sha256, "submission_id": self.submission_id, "unchanged": self.unchanged,
                "supersedes": self.supersedes, "superseded_by": self.superseded_by,
                "errors": self.errors, "queries": self.queries, "queries_outstanding": self.queries_outstanding}


class PreviousTotals(dict):
    """(LA code, quarter) -> accepted total cost; called as Q514's lookup of the quarter before."""

    def __call__(self, la_code: str, quarter: Quarter) -> float | None:
        return self.get((la_code, str(quarter.previous())))


# --- opening the warehouse: one operation at a time, under the readers–writer lock ------------------

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
    """A read-write connection for one operation, under the exclusive lock (`pipeline.locks`); closed
    after. Inside a block that already writes to this warehouse, that connection.
    Raises locks.WarehouseBusy if the warehouse stays busy for the whole wait."""
    current = (_OPEN.get() or {}).get(str(where.warehouse))
    if current is not None and locks.holding(where.warehouse) == "write":
        yield current
        return
    with locks.write_lock(where.warehouse, wait):
        con = warehouse.connect(where.warehouse)
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
                con = warehouse.connect(where.warehouse, read_only=True)
                if not warehouse.up_to_date(con):
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


# --- submit ----------------------------------------------------------------------------------------

def submit_file(path, quarter: Quarter | str | None = None, *, home=None, result: Result | None = None
                ) -> SubmitOutcome:
    """Validate a file, keep its bytes and record it; if accepted, it replaces the LA's quarter.

    The same bytes as the LA's latest submission, with the same verdict, record nothing new
    (`unchanged`), but the verdict is given again: a rejected file stays rejected, with its findings.
    A rejected file never touches the accepted return it would have replaced. Safe to call from many
    threads and processes at once: each file is recorded under the warehouse's write lock.
    Raises locks.WarehouseBusy if the warehouse stays busy, warehouse.KeyProblem if the HMAC key is
    missing, empty or not the warehouse's.
    `result` is the file's verdict when the caller has already judged it (`judge`, the web service
    binding an upload to its LA): it is recorded as it is, not computed again."""
    if result is None:
        return submit_files([path], quarter, home=home)[0]
    return submit_judged([(path, result)], quarter, home=home)[0]


def submit_judged(judged, quarter: Quarter | str | None = None, *, home=None) -> list[SubmitOutcome]:
    """`submit_file(path, quarter, result=)` for several already judged files, `judged` being
    (path, result) pairs, recorded in the order given in one hold of the write lock (one opening of
    the warehouse instead of one each): the web service records together the uploads that wait for
    it. Each file's hash is the one its validation took (`Result.sha256`). A verdict judged against an
    older snapshot of Q514's previous totals (`previous_totals`) is judged again first if the LA's
    previous total has changed since, so it is compared and recorded as the warehouse is now.
    Raises as `submit_file`."""
    where = paths(home)
    collecting = Quarter.parse(quarter) if isinstance(quarter, str) else quarter
    group = [(Path(path), result.sha256 or (file_sha256(path) if Path(path).is_file() else ""), result)
             for path, result in judged]
    with writing(where) as con:
        key = warehouse.writing_key(con, where.data)   # stops here, before anything is kept, if it is wrong
        return _submit_group(con, where, group, collecting, key)


def previous_totals(*, home=None, wait: float | None = None) -> PreviousTotals:
    """Every accepted total cost held, (LA code, quarter) -> £: Q514's lookup for judging files away from
    the warehouse (`submit_judged` rechecks it before recording). Raises locks.WarehouseBusy if a
    writer holds the warehouse for the whole wait."""
    with reading(paths(home), wait) as con:
        return PreviousTotals(warehouse.accepted_totals(con))


def judge(path, quarter: Quarter | str | None = None, *, home=None) -> Result:
    """`validate_file` with Q514's previous quarter read from the warehouse (briefly, for reading):
    the verdict `submit_file(..., result=)` records. Raises locks.WarehouseBusy if it stays busy."""
    collecting = Quarter.parse(quarter) if isinstance(quarter, str) else quarter
    return validate_file(path, collecting, previous_total=partial(_previous_total, paths(home)))


GROUP_FILES = 16   # at most this many files recorded per hold of the write lock (~0.3 s): others interleave


def submit_files(files, quarter: Quarter | str | None = None, *, home=None, workers: int | None = None
                 ) -> list[SubmitOutcome]:
    """Submit several files in order: validated ahead in parallel processes, then recorded in the order
    given, GROUP_FILES at a time: while the workers validate the next files, one hold of the write lock
    records a group in one opening of the warehouse and one insert per table (`_submit_group`), and
    other writers still get in between. Of two accepted files for one LA and quarter, the later
    supersedes the earlier, and both outcomes say so."""
    where = paths(home)
    collecting = Quarter.parse(quarter) if isinstance(quarter, str) else quarter
    queue = deque(Path(f) for f in files)
    outcomes = []
    with validating_ahead(list(queue), collecting, home=home, workers=workers) as early:
        while queue:
            group = [_validated(where, queue.popleft(), collecting, early) for _ in range(min(GROUP_FILES, len(queue)))]
            with writing(where) as con:
                key = warehouse.writing_key(con, where.data)   # stops here, before anything is kept, if it is wrong
                outcomes += _submit_group(con, where, group, collecting, key)
    latest: dict[tuple, SubmitOutcome] = {}
    for outcome in outcomes:
        if outcome.status == "accepted" and not outcome.unchanged:
            earlier = latest.get((outcome.la_code, outcome.quarter))
            if earlier is not None:
                earlier.superseded_by = redact_name(Path(outcome.file).name)
            latest[(outcome.la_code, outcome.quarter)] = outcome
    return outcomes


def _validated(where: Paths, path: Path, collecting: Quarter | None, early) -> tuple[Path, str, Result]:
    """The file, its hash and its verdict: computed ahead, else now (outside the write lock)."""
    sha = file_sha256(path) if path.is_file() else ""
    result = early.take(path, sha) or validate_file(path, collecting, previous_total=partial(_previous_total, where))
    return path, sha, result


def _submit_group(con, where: Paths, group: list[tuple[Path, str, Result]], collecting: Quarter | None,
                  key: bytes) -> list[SubmitOutcome]:
    """Record validated files (path, sha256, verdict) in order, holding the write lock: nothing new for
    a file whose bytes already have this verdict as the LA's latest submission, or are its standing
    accepted return (a rejected version sent in between does not make the accepted bytes new).
    The others are kept and listed, then recorded in one transaction per run of files of different
    LAs and bytes, whose look-ups are read once for the run (`_Seen`): each file's look-ups see the
    warehouse as the files before it left it."""
    outcomes: list[SubmitOutcome | None] = []
    for run in _independent_runs(group):
        seen = _Seen.read(con, run)
        batch: list[tuple[int, Path, str, Result, dict | None, warehouse.Received]] = []
        for path, sha, result in run:
            result = seen.as_now(path, result, collecting)
            already = seen.already(sha, result) if sha else None
            if already is not None:
                outcomes.append(SubmitOutcome(str(path), result.la_code, result.quarter, result.status, sha,
                                              result.errors, result.queries, result.queries_outstanding,
                                              already["submission_id"], result, unchanged=True))
                continue
            received = dt.datetime.now(dt.timezone.utc)
            replaced = seen.replaced(result)
            batch.append((len(outcomes), path, sha, result, replaced,
                          warehouse.Received(result, received, redact_name(path.name), collecting)))
            outcomes.append(None)
        _record_batch(con, where, batch, outcomes, key)
    return outcomes


def _independent_runs(group: list[tuple[Path, str, Result]]) -> list[list[tuple[Path, str, Result]]]:
    """The group cut, in order, into runs of files of different LAs (unknown counts as one LA) and bytes."""
    runs: list[list] = []
    lanes: set = set()
    for path, sha, result in group:
        mine = {("la", result.la_code), ("sha", sha)}
        if not runs or lanes & mine:
            runs.append([])
            lanes = set()
        runs[-1].append((path, sha, result))
        lanes |= mine
    return runs


@dataclass
class _Seen:
    """What recording a run of files looks up in the warehouse, read in three queries for the run:
    the ledger rows of their bytes, the returns standing for their quarters, the accepted totals of
    the quarters before (Q514)."""

    latest: dict[str, dict]
    standing: dict[tuple[str, str], dict]
    totals: PreviousTotals

    @classmethod
    def read(cls, con, run: list[tuple[Path, str, Result]]) -> _Seen:
        quarters = {Quarter.parse(r.quarter) for _, _, r in run if r.quarter}
        return cls(warehouse.latest_submissions(con, [sha for _, sha, _ in run if sha]),
                   warehouse.standing_returns(con, {str(q) for q in quarters if q}),
                   PreviousTotals(warehouse.accepted_totals(con, {str(q.previous()) for q in quarters if q})))

    def already(self, sha: str, result: Result) -> dict | None:
        """The ledger row that already holds these bytes with this verdict: the LA's latest submission,
        else its standing accepted return; None if the file is new."""
        seen = self.latest.get(sha)
        if seen is not None and _same_verdict(seen, result):
            return seen
        if result.status == "accepted" and result.la_code and result.quarter:
            stands = self.standing.get((result.la_code, result.quarter))
            if stands is not None and stands["sha256"] == sha and _same_verdict(stands, result):
                return stands
        return None

    def as_now(self, path: Path, result: Result, collecting: Quarter | None) -> Result:
        """The verdict with Q514 as the warehouse is now: the file judged again if the LA's previous
        total is not the one it was judged with (an earlier file of the same run, or an upload judged
        against an older snapshot of the totals, changed it)."""
        if result.submission is not None and result.la_code and result.quarter:
            previous = self.totals(result.la_code, Quarter.parse(result.quarter))
            if previous != result.submission.previous_total:
                return validate_file(path, collecting, previous_total=previous)
        return result

    def replaced(self, result: Result) -> dict | None:
        """The accepted return an accepted verdict replaces (never itself), or None."""
        stands = self.standing.get((result.la_code, result.quarter)) if result.status == "accepted" else None
        if stands is None or stands["sha256"] == result.sha256:
            return None
        return {"submission_id": stands["submission_id"], "file": stands["file"]}


def _record_batch(con, where: Paths, batch: list, outcomes: list, key: bytes) -> None:
    """Keep and list the batch's files, then record them in one transaction (`warehouse.record`)."""
    if not batch:
        return
    # kept and listed BEFORE the warehouse commits: a crash in between leaves files `rebuild`
    # replays, never a ledger row it cannot
    listed = []
    for _, path, sha, _, _, entry in batch:
        if sha and path.stat().st_size <= config.threshold("max_file_mb") * 2**20:
            _keep_raw(where, sha, path.read_bytes())
            listed.append({"sha256": sha, "received_at": entry.received_at.isoformat(),
                           "file_name": entry.file_name,
                           "quarter": str(entry.collecting) if entry.collecting else None})
    _append_index(where, listed)
    sids = warehouse.record(con, [entry for *_, entry in batch], key=key)
    for (slot, path, _, result, replaced, _), sid in zip(batch, sids):
        outcomes[slot] = _outcome(path, result, sid, replaced)


def _same_verdict(seen: dict, result: Result) -> bool:
    return (seen["status"], seen["errors"], seen["queries"], seen["queries_outstanding"]) == (
        result.status, result.errors, result.queries, result.queries_outstanding)


def _previous_total(where: Paths, la_code: str, quarter: Quarter) -> float | None:
    with reading(where) as con:
        return warehouse.previous_total(con, la_code, quarter)


@contextmanager
def validating_ahead(files, quarter: Quarter | str | None = None, *, feedback: bool = False, home=None,
                     workers: int | None = None):
    """Start validating (and, with `feedback`, answering) the files in worker processes, for the length
    of the block; `submit_file` and `ahead.feedback_workbook` inside it take what is ready. Q514's
    previous totals are read now (if the warehouse is busy, later: recording checks them again)."""
    collecting = Quarter.parse(quarter) if isinstance(quarter, str) else quarter
    files, totals = [Path(f) for f in files], None
    if ahead.active() is None and len(files) >= ahead.MIN_BATCH:   # else nothing would start
        try:
            totals = previous_totals(home=home, wait=1.0)
        except locks.WarehouseBusy:
            totals = None
    with ahead.validating(files, collecting, totals, feedback=feedback, workers=workers) as early:
        yield early


def _outcome(path: Path, result: Result, sid: int, replaced: dict | None) -> SubmitOutcome:
    return SubmitOutcome(str(path), result.la_code, result.quarter, result.status, result.sha256,
                         result.errors, result.queries, result.queries_outstanding, sid, result,
                         supersedes=replaced)


def _record(con, where: Paths, path: Path, result: Result, collecting, received: dt.datetime,
            file_name: str, key: bytes) -> SubmitOutcome:
    """Record one validated file in one transaction (`rebuild` replays each kept file so)."""
    seen = _Seen.read(con, [(path, result.sha256, result)])
    result = seen.as_now(path, result, collecting)
    replaced = seen.replaced(result)
    (sid,) = warehouse.record(con, [warehouse.Received(result, received, file_name, collecting)], key=key)
    return _outcome(path, result, sid, replaced)


def _keep_raw(where: Paths, sha: str, data: bytes) -> Path:
    warehouse.private_dir(where.raw)
    target = where.raw / f"{sha}.xlsx"
    if not target.exists():
        warehouse.write_private(target, data)
    return target


def _append_index(where: Paths, entries: list[dict]) -> None:
    """Lines in received.jsonl, on disk (one write, one fsync) before the warehouse records the files."""
    if not entries:
        return
    fd = os.open(where.index, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fh.write("".join(json.dumps(entry) + "\n" for entry in entries))
        fh.flush()
        os.fsync(fh.fileno())


def received(where: Paths) -> list[dict]:
    """The entries of received.jsonl in order; a line a crash cut short is skipped."""
    if not where.index.exists():
        return []
    entries = []
    for line in where.index.read_text(encoding="utf-8").splitlines():
        try:
            entries.append(json.loads(line))
        except ValueError:
            continue
    return entries


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
    """Every live LA for the quarter: accepted / rejected / unreadable / missing, late, queries outstanding;
    `changed_since_build` is True for an LA whose accepted return changed after the quarter's outputs
    were built (they are stale until the next build), and `outputs_built_at` says when that was (NaT
    if never). Raises locks.WarehouseBusy if a writer holds the warehouse for the whole brief wait."""
    code = region_code(region)
    with reading(paths(home)) as con:
        frame = warehouse.run(con, "marts/01_status", quarter=str(quarter),
                              now=dt.datetime.now(dt.timezone.utc)).df()
        changed = warehouse.run(con, "checks/changed_since_build", quarter=str(quarter)).df()
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

def rebuild(*, home=None, new_key: bytes | None = None) -> str:
    """Recreate the warehouse from the kept raw files (received.jsonl, in received order).

    The new warehouse is built aside (`.<name>.rebuild-<pid>` beside it) while the current one stays
    in use, and others' submissions go on; at the end, under the write lock, the files received
    meanwhile are replayed too and the new file replaces the old in one rename. A rebuild that fails
    or is killed leaves the current warehouse as it was; its leftover file is removed by the next.
    `new_key` (see `rekey`) hashes with a new HMAC key; without it the current key must be the
    warehouse's (warehouse.KeyProblem otherwise). Raises locks.WarehouseBusy if another rebuild runs."""
    where = paths(home)
    with _only_rebuild(where):
        for stale in where.warehouse.parent.glob(f".{where.warehouse.name}.rebuild-*"):
            stale.unlink(missing_ok=True)
        if new_key is None:
            with writing(where) as con:
                key = warehouse.writing_key(con, where.data)
        else:
            key = new_key
        aside = where.warehouse.with_name(f".{where.warehouse.name}.rebuild-{os.getpid()}")
        counts: dict[str, int] = {}
        con = warehouse.connect(aside)
        try:
            warehouse.adopt_key(con, key)
            done = _replay(con, where, received(where), counts, key)
            with locks.write_lock(where.warehouse):
                entries = received(where)
                _replay(con, where, entries[done:], counts, key)
                con.close()
                Path(f"{where.warehouse}.wal").unlink(missing_ok=True)   # a crashed writer's log belongs to the old file
                os.replace(aside, where.warehouse)
        except BaseException:
            con.close()
            aside.unlink(missing_ok=True)
            Path(f"{aside}.wal").unlink(missing_ok=True)
            raise
    detail = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "nothing to replay"
    return f"Rebuilt {where.warehouse} from {len(entries)} raw files ({detail})."


@contextmanager
def _only_rebuild(where: Paths):
    """One rebuild at a time (a second one would replay the same files into a second copy)."""
    warehouse.private_dir(where.warehouse.parent)
    fd = os.open(f"{where.warehouse}.rebuild.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise locks.WarehouseBusy("another rebuild of the warehouse is running; wait for it to finish") from None
        yield
    finally:
        os.close(fd)


def _replay(con, where: Paths, entries: list[dict], counts: dict[str, int], key: bytes) -> int:
    """Record each kept file as `submit` did, identical re-sent bytes again recording nothing; how many
    entries were taken."""
    for e in entries:
        raw = where.raw / f"{e['sha256']}.xlsx"
        if not raw.exists():
            counts["no longer kept (purged)"] = counts.get("no longer kept (purged)", 0) + 1
            continue
        collecting = Quarter.parse(e["quarter"]) if e.get("quarter") else None
        result = validate_file(raw, collecting, previous_total=partial(warehouse.previous_total, con),
                               name=e.get("file_name"))
        seen = warehouse.latest_submission(con, e["sha256"])
        if seen is not None and _same_verdict(seen, result):
            counts["unchanged"] = counts.get("unchanged", 0) + 1
            continue
        outcome = _record(con, where, raw, result, collecting, dt.datetime.fromisoformat(e["received_at"]),
                          e.get("file_name") or raw.name, key)
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    return len(entries)


def rekey(*, home=None) -> str:
    """Rotate the HMAC key: every SWE number hashed again from the kept raw files with a new key.

    With AGENCY_RETURN_KEY set, that value is the new key (set it to the new value, then run this).
    Otherwise a new key is generated as <data>/secret.key.new, the warehouse rebuilt with it, and it
    replaces secret.key; a rekey cut short is finished (or started again) by the next one."""
    where = paths(home)
    if os.environ.get(warehouse.KEY_ENV):
        new = warehouse.swe_key(where.data)
        message = rebuild(home=home, new_key=new)
        return f"{message} SWE numbers hashed with the key in {warehouse.KEY_ENV}."
    current, pending = where.data / "secret.key", where.data / "secret.key.new"
    if pending.exists():
        new = pending.read_text().strip().encode("utf-8")
        with writing(where) as con:
            finished = warehouse.key_fingerprint(new) == warehouse.stored_fingerprint(con)
        if finished:   # the warehouse was swapped, the key file not yet
            os.replace(pending, current)
            return f"Finished the key rotation begun earlier: {current} is the new key."
    new = warehouse.new_key_file(pending)
    message = rebuild(home=home, new_key=new)
    with locks.write_lock(where.warehouse):
        os.replace(pending, current)
    return f"{message} SWE numbers hashed with a new key ({current}); the old key no longer matches anything."


# --- retention -------------------------------------------------------------------------------------

def purge(older_than_days: float, *, home=None, inbox=None, now: dt.datetime | None = None) -> str:
    """Delete what is kept of councils' files once older than `older_than_days` days: raw files in
    <data>/raw received before then (except those standing as an LA's accepted return, which the DfE
    return is built from), and the copies and feedback workbooks in the inbox's processed/ and
    rejected/ folders modified before then. The ledger and the facts stay; a later `rebuild` can no
    longer replay the purged files and says how many it skipped. Returns what was deleted."""
    if older_than_days < 0:
        raise ValueError("--older-than must be a number of days, 0 or more")
    where = paths(home)
    cutoff = (now or dt.datetime.now(dt.timezone.utc)) - dt.timedelta(days=older_than_days)
    standing_files: set[str] = set()
    if where.warehouse.exists():
        with reading(where) as con:
            standing_files = {sha for (sha,) in con.execute(
                "SELECT l.sha256 FROM current_submission JOIN ledger AS l USING (submission_id)").fetchall()}
    last_received: dict[str, dt.datetime] = {}
    for e in received(where):
        at = dt.datetime.fromisoformat(e["received_at"])
        last_received[e["sha256"]] = max(at, last_received.get(e["sha256"], at))
    raw = 0
    for sha, at in last_received.items():
        target = where.raw / f"{sha}.xlsx"
        if at < cutoff and sha not in standing_files and target.exists():
            target.unlink()
            raw += 1
    copies = 0
    inbox = Path(inbox) if inbox is not None else Path(os.environ.get("AGENCY_RETURN_INBOX", config.home() / "inbox"))
    if inbox.is_dir():
        for folder in (*inbox.rglob("processed"), *inbox.rglob("rejected")):
            for path in folder.glob("*"):
                if path.is_file() and dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc) < cutoff:
                    path.unlink()
                    copies += 1
    return (f"Purged {raw} raw file(s) received before {cutoff:%Y-%m-%d %H:%M} UTC (kept: {len(standing_files)} "
            f"standing accepted returns) and {copies} inbox cop(ies) and feedback workbook(s) under {inbox}.")
