"""Validating ahead: a batch of files validated (and answered) in worker processes while the caller
does something else, such as starting Prefect's server or recording the files before.

Validation is a pure function of a file's bytes, the quarter being collected and the LA's previous
accepted total, and it needs no warehouse, so it can run on every core before it is asked for. The
caller still submits each file itself, in its own order: `take` hands over the result computed
ahead if it is for the same bytes, else None and the caller validates in-process. A worker can also
write the council's feedback workbook for that result, which `place` moves into place.

The workers and the private folder their answers come back through are those of every pool
(`pipeline.workers.pool`, `pipeline.workers.answers`); the folder is in the system's temporary one,
removed when the block ends, and by the next batch if the caller was killed.
"""
from __future__ import annotations

from collections import deque
from concurrent.futures import BrokenExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from pipeline.rules.validate import Result, validate_file
from pipeline.workers import answers, pool
from pipeline.workers.answers import Answers

MIN_BATCH = 8                     # a pool costs ~1 s to start: worth it only for a batch
IN_FLIGHT_BYTES = 16 * 2**20      # workbook bytes validated ahead of the caller (bounds memory)
# Work done ahead yields the CPU to the work it is ahead of (the caller recording each file, Prefect's
# server starting): on 2 cores this took the 153-workbook flow from ~43 s to ~41 s.
WORKER_NICENESS = 5
STAGING_PREFIX = "agency-return-ahead-"
PRELOAD = ["pipeline.rules.validate", "pipeline.rules.feedback"]   # so no DuckDB or Prefect in a worker


def answer(path: Path, quarter, previous_total, staging: Path, feedback: bool) -> tuple[Path, Path | None]:
    """Worker: validate one file and, when asked, write its feedback workbook; both go into `staging`,
    and what comes back is where (`answers.put`). Also run by a work pool's workers (`flows/pool.py`)."""
    result = validate_file(path, quarter, previous_total=previous_total)
    staged = None
    if feedback:
        from pipeline.rules.feedback import write_report
        try:
            staged = write_report(result, path, answers.new_file(staging, ".xlsx"))
        except Exception:  # noqa: BLE001 - the caller writes it again in-process and reports any error there
            staged = None
    return answers.put(result, staging, file=staged)


class Ahead(Answers):
    """Files being validated in worker processes, in the order given, at most IN_FLIGHT_BYTES ahead."""

    def __init__(self, files, quarter=None, previous_total=None, *, feedback: bool = False,
                 workers: int | None = None):
        files = [Path(f).resolve() for f in files]
        workers = pool.how_many(len(files), workers)
        self._queue: deque[Path] = deque()
        self._sizes: dict[Path, int] = {}     # the files under way -> their size
        self._pool = None
        if workers < 2 or len(files) < MIN_BATCH:
            super().__init__()
            return
        answers.remove_stale(STAGING_PREFIX)
        super().__init__(answers.private_folder(STAGING_PREFIX))
        self._args = (quarter, previous_total, self.folder, feedback)
        self._pool = pool.start(workers, PRELOAD, niceness=WORKER_NICENESS)
        self._workers = workers
        self._queue.extend(files)
        self._fill()

    def _fill(self) -> None:
        """Start files until IN_FLIGHT_BYTES of them are under way (always at least one per worker)."""
        in_flight = sum(self._sizes.values())
        while self._queue and (in_flight < IN_FLIGHT_BYTES or len(self._sizes) <= self._workers):
            path = self._queue.popleft()
            try:
                size = path.stat().st_size
            except OSError:
                size = 0     # gone: the worker reports it as the caller would
            try:
                future = self._pool.submit(answer, path, *self._args)
            except BrokenExecutor:   # a worker died (out of memory, killed): the caller validates the rest
                self._queue.clear()
                return
            self.expect(path, future)
            self._sizes[path] = size
            in_flight += size

    def take(self, path, sha256: str) -> Result | None:
        """The result computed ahead for `path`, if its bytes are still `sha256`; else None."""
        path = Path(path).resolve()
        if self._sizes.pop(path, None) is not None:
            self._fill()
        return super().take(path, sha256)

    def close(self) -> None:
        self._queue.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._sizes.clear()
        super().close()


_ACTIVE: ContextVar[Answers | None] = ContextVar("validating_ahead", default=None)


def active() -> Answers | None:
    """The answers being computed ahead for the current block, if any (see `validating`)."""
    return _ACTIVE.get()


@contextmanager
def validating(files, quarter=None, previous_total=None, *, feedback: bool = False, workers: int | None = None):
    """Validate `files` ahead for the length of the block; `take` and `place` in the block use it.
    Inside a block that already validates ahead, the outer one is kept (it started earlier)."""
    if _ACTIVE.get() is not None:
        yield _ACTIVE.get()
        return
    with validating_with(Ahead(files, quarter, previous_total, feedback=feedback, workers=workers)) as ahead:
        yield ahead


@contextmanager
def validating_with(ahead: Answers):
    """Make `ahead` the answers being computed ahead for the block (`validating` builds its own; a work
    pool's answers come in through here, see `flows/pool.py`), and close it afterwards."""
    token = _ACTIVE.set(ahead)
    try:
        yield ahead
    finally:
        _ACTIVE.reset(token)
        ahead.close()


def feedback_workbook(result: Result, source, out) -> Path:
    """The council's feedback workbook at `out`: the one a worker wrote ahead for this very result if
    there is one, else written now from `source`."""
    early = active()
    placed = early.place(result, out) if early is not None else None
    if placed is not None:
        return placed
    from pipeline.rules.feedback import write_report
    return write_report(result, source, out)
