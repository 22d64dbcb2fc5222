"""Taking submissions: `submit_files` judges each file (ahead, in worker processes), keeps its bytes
and records it; resubmission replaces the LA's quarter and identical bytes record nothing new but
get the same verdict. The spine the CLI, the Prefect flows and the web service all call."""
from __future__ import annotations

import datetime as dt
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pipeline.core import config
from pipeline.core.contract import Quarter
from pipeline.core.redaction import redact_name
from pipeline.rules.validate import Result, file_sha256, validate_file
from pipeline.warehouse import keys, loads, locks, queries
from pipeline.warehouse.connection import Paths, paths, writing
from pipeline.warehouse.queries import previous_totals
from pipeline.warehouse.raw import keep_raw, list_received
from pipeline.workers import ahead


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


def submit_file(path, quarter: Quarter | str | None = None, *, home=None, result: Result | None = None
                ) -> SubmitOutcome:
    """Validate a file, keep its bytes and record it; if accepted, it replaces the LA's quarter.

    The same bytes as the LA's latest submission, with the same verdict, record nothing new
    (`unchanged`), but the verdict is given again: a rejected file stays rejected, with its findings.
    A rejected file never touches the accepted return it would have replaced. Safe to call from many
    threads and processes at once: each file is recorded under the warehouse's write lock.
    Raises locks.WarehouseBusy if the warehouse stays busy, keys.KeyProblem if the HMAC key is
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
        key = keys.writing_key(con, where.data)   # stops here, before anything is kept, if it is wrong
        return _submit_group(con, where, group, collecting, key)


def judge(path, quarter: Quarter | str | None = None, *, home=None) -> Result:
    """`validate_file` with Q514's previous totals read from the warehouse first (briefly, for reading):
    the verdict `submit_file(..., result=)` records. Raises locks.WarehouseBusy if it stays busy."""
    collecting = Quarter.parse(quarter) if isinstance(quarter, str) else quarter
    return validate_file(path, collecting, previous_total=previous_totals(home=home))


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
            group = [_validated(queue.popleft(), collecting, early, home) for _ in range(min(GROUP_FILES, len(queue)))]
            with writing(where) as con:
                key = keys.writing_key(con, where.data)   # stops here, before anything is kept, if it is wrong
                outcomes += _submit_group(con, where, group, collecting, key)
    latest: dict[tuple, SubmitOutcome] = {}
    for outcome in outcomes:
        if outcome.status == "accepted" and not outcome.unchanged:
            earlier = latest.get((outcome.la_code, outcome.quarter))
            if earlier is not None:
                earlier.superseded_by = redact_name(Path(outcome.file).name)
            latest[(outcome.la_code, outcome.quarter)] = outcome
    return outcomes


def _validated(path: Path, collecting: Quarter | None, early, home) -> tuple[Path, str, Result]:
    """The file, its hash and its verdict: computed ahead, else now (outside the write lock)."""
    sha = file_sha256(path) if path.is_file() else ""
    result = early.take(path, sha) or judge(path, collecting, home=home)
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
        batch: list[tuple[int, Path, str, Result, dict | None, loads.Received]] = []
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
                          loads.Received(result, received, redact_name(path.name), collecting)))
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
    totals: dict[tuple[str, str], float]   # accepted total cost by (LA code, quarter), Q514's

    @classmethod
    def read(cls, con, run: list[tuple[Path, str, Result]]) -> _Seen:
        quarters = {Quarter.parse(r.quarter) for _, _, r in run if r.quarter}
        return cls(queries.latest_submissions(con, [sha for _, sha, _ in run if sha]),
                   queries.standing_returns(con, {str(q) for q in quarters if q}),
                   queries.accepted_totals(con, {str(q.previous()) for q in quarters if q}))

    def already(self, sha: str, result: Result) -> dict | None:
        """The ledger row that already holds these bytes with this verdict: the LA's latest submission,
        else its standing accepted return; None if the file is new."""
        seen = self.latest.get(sha)
        if seen is not None and same_verdict(seen, result):
            return seen
        if result.status == "accepted" and result.la_code and result.quarter:
            stands = self.standing.get((result.la_code, result.quarter))
            if stands is not None and stands["sha256"] == sha and same_verdict(stands, result):
                return stands
        return None

    def as_now(self, path: Path, result: Result, collecting: Quarter | None) -> Result:
        """The verdict with Q514 as the warehouse is now: the file judged again if the LA's previous
        total is not the one it was judged with (an earlier file of the same run, or an upload judged
        against an older snapshot of the totals, changed it)."""
        if result.submission is not None and result.la_code and result.quarter:
            previous = self.totals.get((result.la_code, str(Quarter.parse(result.quarter).previous())))
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
    """Keep and list the batch's files, then record them in one transaction (`loads.record`)."""
    if not batch:
        return
    # kept and listed BEFORE the warehouse commits: a crash in between leaves files `rebuild`
    # replays, never a ledger row it cannot
    listed = []
    for _, path, sha, _, _, entry in batch:
        if sha and path.stat().st_size <= config.threshold("max_file_mb") * 2**20:
            keep_raw(where, sha, path.read_bytes())
            listed.append({"sha256": sha, "received_at": entry.received_at.isoformat(),
                           "file_name": entry.file_name,
                           "quarter": str(entry.collecting) if entry.collecting else None})
    list_received(where, listed)
    sids = loads.record(con, [entry for *_, entry in batch], key=key)
    for (slot, path, _, result, replaced, _), sid in zip(batch, sids):
        outcomes[slot] = _outcome(path, result, sid, replaced)


def same_verdict(seen: dict, result: Result) -> bool:
    return (seen["status"], seen["errors"], seen["queries"], seen["queries_outstanding"]) == (
        result.status, result.errors, result.queries, result.queries_outstanding)


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


def record_one(con, where: Paths, path: Path, result: Result, collecting, received: dt.datetime,
               file_name: str, key: bytes) -> SubmitOutcome:
    """Record one validated file in one transaction (`rebuild` replays each kept file so)."""
    seen = _Seen.read(con, [(path, result.sha256, result)])
    result = seen.as_now(path, result, collecting)
    replaced = seen.replaced(result)
    (sid,) = loads.record(con, [loads.Received(result, received, file_name, collecting)], key=key)
    return _outcome(path, result, sid, replaced)
