"""Judging uploads in two worker processes, so that councils uploading at once use both cores and the
service's own process (its event loop, the recording, every other page) is not held up by the GIL.

The workers fork from a server that has imported the validator and the store (multiprocessing's
forkserver, preloaded), so a worker starts in milliseconds and inherits no thread, socket or DuckDB
connection of the service; they end with the service (`pipeline.ahead`'s watch on the caller). Each
call judges as the service would (`pipeline.store.judge`, Q514's previous total read from the
warehouse under its shared lock) with the service's environment and folder of the moment. The verdict
comes back as a file (0600) beside the upload, not through the pool's pipe (see `pipeline.ahead` for
why). A worker that dies (killed, out of memory) costs one upload its judging in the service's own
process, and a new pool is started for the next.
"""
from __future__ import annotations

import multiprocessing
import os
import pickle
import threading
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor
from pathlib import Path

from pipeline import ahead, store
from pipeline.contract import Quarter
from pipeline.validate import Result

WORKERS = 2            # the service's machine has 2 cores; more would only queue for them
PRELOAD = ["pipeline.store", "web.judging"]

_pool: ProcessPoolExecutor | None = None
_starting = threading.Lock()


def judge(path: Path, quarter: Quarter | None) -> Result:
    """`pipeline.store.judge(path, quarter)`, run in a worker process (in this one if the pool is
    broken). Raises what `store.judge` raises (locks.WarehouseBusy)."""
    pool = _running_pool()
    verdict = Path(path).with_name(f"{Path(path).name}.verdict")
    try:
        future = pool.submit(_judge_in_worker, str(path), quarter, dict(os.environ), os.getcwd(), str(verdict))
    except (BrokenExecutor, RuntimeError):   # broken, or shut down while starting: judge here
        _forget(pool)
        return store.judge(path, quarter)
    try:
        future.result()
    except BrokenExecutor:
        _forget(pool)
        return store.judge(path, quarter)
    try:
        return pickle.loads(verdict.read_bytes())
    finally:
        verdict.unlink(missing_ok=True)


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
    threading.Thread(target=ahead._exit_with, args=(caller,), daemon=True, name="exit-with-service").start()


def _judge_in_worker(path: str, quarter: Quarter | None, environ: dict, cwd: str, verdict: str) -> None:
    """Worker: judge `path` with the service's environment and folder, the verdict written to `verdict`."""
    if os.environ != environ:
        os.environ.clear()
        os.environ.update(environ)
    if os.getcwd() != cwd:
        os.chdir(cwd)
    result = store.judge(path, quarter)
    fd = os.open(verdict, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        pickle.dump(result, fh, protocol=pickle.HIGHEST_PROTOCOL)
