"""Judging uploads in two worker processes, so that councils uploading at once use both cores and the
service's own process (its event loop, the recording, every other page) is not held up by the GIL.

The workers fork from a server that has imported the validator and the store (multiprocessing's
forkserver, preloaded), so a worker starts in milliseconds and inherits no thread, socket or DuckDB
connection of the service; they end with the service (`pipeline.workers.ahead`'s watch on the caller). Each
call judges as `pipeline.warehouse.submit.judge` would, with the service's environment and folder of the moment,
except that Q514's previous totals come from a snapshot of the warehouse (`queries.previous_totals`)
that a worker takes again only when the warehouse has changed and the snapshot is TOTALS_SECONDS
old: a worker does not open the warehouse, or wait for its writer, once per upload. Recording
rechecks Q514 against the warehouse (`submit.submit_judged`), so an answer is never stale. The verdict
comes back as a file (0600) beside the upload, not through the pool's pipe (see `pipeline.workers.ahead` for
why). A worker that dies (killed, out of memory) costs one upload its judging in the service's own
process, and a new pool is started for the next.
"""
from __future__ import annotations

import multiprocessing
import os
import pickle
import threading
import time
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor
from pathlib import Path

from pipeline.core.contract import Quarter
from pipeline.rules.validate import Result, validate_file
from pipeline.warehouse import connection, locks, queries, submit
from pipeline.workers import ahead

WORKERS = 2            # the service's machine has 2 cores; more would only queue for them
TOTALS_SECONDS = 2.0   # a worker's snapshot of previous totals is kept at least this long
TOTALS_WAIT = 0.1      # seconds a worker waits for the warehouse to take a newer snapshot (else keeps its own)
PRELOAD = ["pipeline.warehouse.submit", "web.judging"]

_pool: ProcessPoolExecutor | None = None
_starting = threading.Lock()


def judge(path: Path, quarter: Quarter | None) -> Result:
    """`pipeline.warehouse.submit.judge(path, quarter)`, run in a worker process with its snapshot of Q514's
    previous totals (in this process, as `submit.judge`, if the pool is broken). The verdict, pickled,
    stays beside the upload as `verdict_file(path)` (0600; removed with the upload's folder) for
    whoever keeps it. Raises what `submit.judge` raises (locks.WarehouseBusy)."""
    pool = _running_pool()
    verdict = verdict_file(path)
    verdict.unlink(missing_ok=True)
    try:
        future = pool.submit(_judge_in_worker, str(path), quarter, dict(os.environ), os.getcwd(), str(verdict))
    except (BrokenExecutor, RuntimeError):   # broken, or shut down while starting: judge here
        _forget(pool)
        return submit.judge(path, quarter)
    try:
        future.result()
    except BrokenExecutor:
        _forget(pool)
        return submit.judge(path, quarter)
    return pickle.loads(verdict.read_bytes())


def verdict_file(path: Path) -> Path:
    """Where a worker's verdict on the upload at `path` is written (`judge`)."""
    return Path(path).with_name(f"{Path(path).name}.verdict")


def start() -> None:
    """Start the workers now, in the background (the service starting): the first uploads then find
    them ready instead of waiting ~1 s for the forkserver's imports."""
    def warm():
        pool = _running_pool()
        try:
            for future in [pool.submit(os.getpid) for _ in range(WORKERS)]:
                future.result()
        except (BrokenExecutor, RuntimeError):   # stopped meanwhile; the next `judge` starts it again
            _forget(pool)
    threading.Thread(target=warm, daemon=True, name="judging-start").start()


def shutdown() -> None:
    """Stop the workers (the service stopping); the next `judge` starts them again."""
    global _pool
    with _starting:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def _running_pool() -> ProcessPoolExecutor:
    global _pool
    with _starting:
        if _pool is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(PRELOAD)
            _pool = ProcessPoolExecutor(WORKERS, mp_context=ctx, initializer=_worker_start, initargs=(os.getpid(),))
        return _pool


def _forget(pool: ProcessPoolExecutor) -> None:
    global _pool
    with _starting:
        if _pool is pool:
            _pool = None
    pool.shutdown(wait=False, cancel_futures=True)


def _worker_start(caller: int) -> None:
    """In each worker: end when the service ends (it would otherwise hold SWE numbers in memory)."""
    threading.Thread(target=ahead.exit_with, args=(caller,), daemon=True, name="exit-with-service").start()


def _judge_in_worker(path: str, quarter: Quarter | None, environ: dict, cwd: str, verdict: str) -> None:
    """Worker: judge `path` with the service's environment and folder, the verdict written to `verdict`."""
    if os.environ != environ:
        os.environ.clear()
        os.environ.update(environ)
    if os.getcwd() != cwd:
        os.chdir(cwd)
    result = validate_file(path, quarter, previous_total=_previous_totals())
    fd = os.open(verdict, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        pickle.dump(result, fh, protocol=pickle.HIGHEST_PROTOCOL)


_snapshot: dict = {}   # in a worker: the warehouse, what its files looked like, when, its previous totals


def _previous_totals() -> dict[tuple[str, str], float]:
    """Worker: Q514's previous totals, taken again when the warehouse has changed since (its files'
    size or time) and the snapshot is TOTALS_SECONDS old; the older one is kept if the warehouse is busy."""
    warehouse = connection.paths().warehouse
    looks = tuple(_looks(f) for f in (warehouse, warehouse.with_name(warehouse.name + ".wal")))
    held = _snapshot.get("totals") if _snapshot.get("warehouse") == warehouse else None
    now = time.monotonic()
    if held is not None and (_snapshot["looks"] == looks or now - _snapshot["at"] < TOTALS_SECONDS):
        return held
    try:
        totals = queries.previous_totals(wait=None if held is None else TOTALS_WAIT)
    except locks.WarehouseBusy:
        if held is None:
            raise
        return held
    _snapshot.update(warehouse=warehouse, looks=looks, at=now, totals=totals)
    return totals


def _looks(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_mtime_ns, st.st_size
