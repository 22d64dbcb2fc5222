"""Worker processes, started one way for every pool of the house: how many, from a preloaded
forkserver, at a chosen priority, ending with their caller, and started afresh when one dies.

Every pool (validating ahead, the web service's judging, the build's per-LA DfE returns) uses
multiprocessing's forkserver, whose server has imported only the modules the work needs: a worker
then starts in milliseconds and inherits no DuckDB connection, socket or Prefect thread of its caller
(a calling script needs a __main__ guard). Workers hold SWE numbers in memory, so each watches its
caller and ends the moment the caller does (`exit_with`), even when the caller was killed. What a
worker hands back beyond a few bytes goes through a private folder (`pipeline.workers.answers`).
"""
from __future__ import annotations

import multiprocessing
import os
import select
import threading
import time
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor
from contextlib import contextmanager

SAMPLE_SECONDS = 0.05   # how long `spare_cores` watches the CPU


def how_many(jobs: int, workers: int | None = None) -> int:
    """Worker processes for `jobs` pieces of work: `workers` if given, else one per core, and never
    more than the jobs."""
    return min(workers or os.cpu_count() or 1, jobs)


def spare_cores() -> float:
    """Cores idle right now: the share of CPU time idle over SAMPLE_SECONDS (/proc/stat), times the
    cores. The load average (else used) still counts a minute of this process's own work, such as
    the submit just before, and so kept the pool from a quiet machine."""
    before = _cpu_ticks()
    if before is None:
        return (os.cpu_count() or 1) - os.getloadavg()[0]
    time.sleep(SAMPLE_SECONDS)
    after = _cpu_ticks()
    idle, total = after[0] - before[0], after[1] - before[1]
    return (os.cpu_count() or 1) * idle / total if total > 0 else 0.0


def _cpu_ticks() -> tuple[int, int] | None:
    """(idle, total) clock ticks of all cores since boot, from /proc/stat (Linux); None elsewhere.
    Idle counts iowait; total counts time a virtual machine's host took (steal) as busy."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            fields = [int(v) for v in fh.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    return fields[3] + fields[4], sum(fields)


def start(workers: int, preload: list[str], *, niceness: int = 0) -> ProcessPoolExecutor:
    """A pool of `workers` processes forked from a server that has imported the modules `preload`
    (names, not imported here), each `niceness` steps lower in priority than its caller and ended
    when the caller ends. The forkserver is one per process: its preloads are those of the first pool
    that started it."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([*preload, __name__])
    return ProcessPoolExecutor(workers, mp_context=ctx, initializer=_worker_start, initargs=(os.getpid(), niceness))


@contextmanager
def started(workers: int, preload: list[str], *, niceness: int = 0):
    """`start` for the length of the block; the work not yet begun is dropped at its end, and the
    block waits for what is running."""
    pool = start(workers, preload, niceness=niceness)
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


class Lasting:
    """Worker processes kept for the life of a service (`start` once, on first use or `warm`), and
    started afresh after one has died: the work of the dead one raises BrokenExecutor, and the next
    call finds new workers."""

    def __init__(self, workers: int, preload: list[str], *, niceness: int = 0):
        self.workers, self.preload, self.niceness = workers, preload, niceness
        self._pool: ProcessPoolExecutor | None = None
        self._starting = threading.Lock()

    def current(self) -> ProcessPoolExecutor:
        """The workers running now, started if there are none."""
        with self._starting:
            if self._pool is None:
                self._pool = start(self.workers, self.preload, niceness=self.niceness)
            return self._pool

    def run(self, fn, *args):
        """`fn(*args)` in a worker: what it returns, or raises. Raises BrokenExecutor if a worker died
        meanwhile (killed, out of memory) or the workers were stopped; the next call starts new ones."""
        pool = self.current()
        try:
            future = pool.submit(fn, *args)
        except RuntimeError as stopped:   # broken, or shut down while starting
            self._forget(pool)
            raise BrokenExecutor(str(stopped)) from stopped
        try:
            return future.result()
        except BrokenExecutor:
            self._forget(pool)
            raise

    def warm(self) -> None:
        """Start the workers now, in the background: the first calls then find them ready instead of
        waiting ~1 s for the forkserver's imports."""
        def warm():
            pool = self.current()
            try:
                for future in [pool.submit(os.getpid) for _ in range(self.workers)]:
                    future.result()
            except RuntimeError:   # stopped meanwhile; the next `run` starts them again
                self._forget(pool)
        threading.Thread(target=warm, daemon=True, name="workers-start").start()

    def shutdown(self) -> None:
        """Stop the workers, waiting for the work they are doing; the next `run` starts them again."""
        with self._starting:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def _forget(self, pool: ProcessPoolExecutor) -> None:
        with self._starting:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)


def _worker_start(caller: int, niceness: int) -> None:
    """In each worker: lower priority, and end when the caller ends. A worker would otherwise outlive a
    killed caller for ever (it holds the pool's queue open itself, and the forkserver it came from waits
    for its workers), holding SWE numbers in memory."""
    if niceness:
        os.nice(niceness)
    threading.Thread(target=exit_with, args=(caller,), daemon=True, name="exit-with-caller").start()


def exit_with(caller: int) -> None:
    """Block until process `caller` has ended, then end this process at once (exit status 1): run in a
    daemon thread of every worker process, so no worker outlives a killed caller. Uses a pidfd on
    Linux, else looks once a second."""
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
