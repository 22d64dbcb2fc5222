"""Validating ahead: a batch of files validated (and answered) in worker processes while the caller
does something else, such as starting Prefect's server or recording the files before.

Validation is a pure function of a file's bytes, the quarter being collected and the LA's previous
accepted total, and it needs no warehouse, so it can run on every core before it is asked for. The
caller still submits each file itself, in its own order: `take` hands over the result computed
ahead if it is for the same bytes, else None and the caller validates in-process. A worker can also
write the council's feedback workbook for that result, which `place_feedback` moves into place.

A worker's answer travels as a file (0600) in a private (0700) folder named for the caller's process,
removed when the block ends, and by the next batch if the caller was killed; workers end with the
caller (they hold SWE numbers in memory, and a killed caller must not leave them running). Only an
answer's name goes through the pool's pipe: a worker killed (say by the out-of-memory killer)
while writing a large answer into the pipe would leave the pool waiting forever for the rest of
it, whereas a write of a few bytes is all-or-nothing, so a dead worker is always noticed.
"""
from __future__ import annotations

import multiprocessing
import os
import pickle
import select
import shutil
import tempfile
import threading
import time
import uuid
from collections import deque
from concurrent.futures import BrokenExecutor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from pipeline.rules.validate import Result, validate_file

MIN_BATCH = 8                     # a pool costs ~1 s to start: worth it only for a batch
IN_FLIGHT_BYTES = 16 * 2**20      # workbook bytes validated ahead of the caller (bounds memory)
# Work done ahead yields the CPU to the work it is ahead of (the caller recording each file, Prefect's
# server starting): on 2 cores this took the 153-workbook flow from ~43 s to ~41 s.
WORKER_NICENESS = 5
STAGING_PREFIX = "agency-return-ahead-"


def _worker_start(caller: int) -> None:
    """In each worker: lower priority, and end when the caller ends. A worker would otherwise outlive a
    killed caller for ever (it holds the pool's queue open itself, and the forkserver it came from waits
    for its workers), holding SWE numbers in memory."""
    os.nice(WORKER_NICENESS)
    threading.Thread(target=exit_with, args=(caller,), daemon=True, name="exit-with-caller").start()


def exit_with(caller: int) -> None:
    """Block until process `caller` has ended, then end this process at once (exit status 1): run in a
    daemon thread of every worker process, of these pools and the web service's judging pool, so no
    worker outlives a killed parent. Uses a pidfd on Linux, else looks once a second."""
    try:
        fd = os.pidfd_open(caller)      # readable when the caller has ended (Linux)
    except ProcessLookupError:
        os._exit(1)
    except (AttributeError, OSError):   # no pidfd: look every second
        while True:
            try:
                os.kill(caller, 0)
            except ProcessLookupError:
                os._exit(1)
            time.sleep(1)
    select.select([fd], [], [])
    os._exit(1)


def remove_stale_staging(folder: Path | None = None) -> int:
    """Remove answer folders left by callers that no longer run (killed mid-batch); how many."""
    removed = 0
    for path in Path(folder or tempfile.gettempdir()).glob(f"{STAGING_PREFIX}*"):
        try:
            pid = int(path.name[len(STAGING_PREFIX):].split("-", 1)[0])
        except ValueError:
            continue
        try:
            os.kill(pid, 0)
            continue                     # still running
        except ProcessLookupError:
            pass
        except PermissionError:
            continue                     # someone else's live process
        shutil.rmtree(path, ignore_errors=True)
        removed += 1
    return removed


def answer(path: Path, quarter, previous_total, staging: Path, feedback: bool) -> tuple[Path, Path | None]:
    """Worker: validate one file and, when asked, write its feedback workbook; both go into `staging`,
    and what comes back is where (see the module docstring). Also run by a work pool's workers
    (`flows/pool.py`)."""
    result = validate_file(path, quarter, previous_total=previous_total)
    staged = None
    if feedback:
        from pipeline.rules.feedback import write_report
        try:
            staged = write_report(result, path, staging / f"{uuid.uuid4().hex}.xlsx")
        except Exception:  # noqa: BLE001 - the caller writes it again in-process and reports any error there
            staged = None
    pickled = staging / f"{uuid.uuid4().hex}.pickle"
    fd = os.open(pickled, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    if staged is not None:
        os.chmod(staged, 0o600)
    return pickled, staged


class Ahead:
    """Files being validated in worker processes, in the order given, at most IN_FLIGHT_BYTES ahead."""

    def __init__(self, files, quarter=None, previous_total=None, *, feedback: bool = False,
                 workers: int | None = None):
        files = [Path(f).resolve() for f in files]
        workers = min(workers or os.cpu_count() or 1, len(files))
        self._queue: deque[Path] = deque()
        self._running: dict[Path, tuple[Future, int]] = {}   # path -> (its validation, its size)
        self._staged: dict[int, tuple[Result, Path]] = {}
        self._pool = self._staging = None
        if workers < 2 or len(files) < MIN_BATCH:
            return
        remove_stale_staging()
        self._staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-"))   # 0700
        self._args = (quarter, previous_total, self._staging, feedback)
        # Workers fork from a server that has imported only the validator and the report writer, so no
        # DuckDB connection or Prefect thread is inherited. (A calling script needs a __main__ guard.)
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["pipeline.rules.validate", "pipeline.rules.feedback"])
        self._pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_worker_start, initargs=(os.getpid(),))
        self._workers = workers
        self._queue.extend(files)
        self._fill()

    def _fill(self) -> None:
        """Start files until IN_FLIGHT_BYTES of them are under way (always at least one per worker)."""
        in_flight = sum(size for _, size in self._running.values())
        while self._queue and (in_flight < IN_FLIGHT_BYTES or len(self._running) <= self._workers):
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
            self._running[path] = (future, size)
            in_flight += size

    def take(self, path, sha256: str) -> Result | None:
        """The result computed ahead for `path`, if its bytes are still `sha256`; else None."""
        running = self._running.pop(Path(path).resolve(), None)
        if running is None:
            return None
        self._fill()
        try:
            answer, staged = running[0].result()
            result = pickle.loads(answer.read_bytes())
            answer.unlink()
        except Exception:  # noqa: BLE001 - its worker died: the caller validates it itself
            return None
        if result.sha256 != sha256:     # the file changed after it was read ahead
            if staged is not None:
                staged.unlink(missing_ok=True)
            return None
        if staged is not None:
            self._staged[id(result)] = (result, staged)
        return result

    def place_feedback(self, result: Result, out: Path) -> Path | None:
        """Move the feedback workbook a worker wrote for this very result to `out`; None if there is none
        (the result was computed again, for instance because Q514's previous total had changed)."""
        held = self._staged.pop(id(result), None)
        if held is None or held[0] is not result:
            return None
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        return Path(shutil.move(str(held[1]), out))

    def close(self) -> None:
        self._queue.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._running.clear()
        self._staged.clear()
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)


_ACTIVE: ContextVar[Ahead | None] = ContextVar("validating_ahead", default=None)


def active() -> Ahead | None:
    """The files being validated ahead for the current block, if any (see `validating`)."""
    return _ACTIVE.get()


@contextmanager
def validating(files, quarter=None, previous_total=None, *, feedback: bool = False, workers: int | None = None):
    """Validate `files` ahead for the length of the block; `take` and `place_feedback` in the block use
    it. Inside a block that already validates ahead, the outer one is kept (it started earlier)."""
    if _ACTIVE.get() is not None:
        yield _ACTIVE.get()
        return
    with validating_with(Ahead(files, quarter, previous_total, feedback=feedback, workers=workers)) as ahead:
        yield ahead


@contextmanager
def validating_with(ahead: Ahead):
    """Make `ahead` the files being validated ahead for the block (`validating` builds its own; a work
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
    placed = early.place_feedback(result, out) if early is not None else None
    if placed is not None:
        return placed
    from pipeline.rules.feedback import write_report
    return write_report(result, source, out)
