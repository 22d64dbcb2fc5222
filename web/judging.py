"""Judging uploads in two worker processes, so that councils uploading at once use both cores and the
service's own process (its event loop, the recording, every other page) is not held up by the GIL.

The workers are a lasting pool (`pipeline.workers.pool.Lasting`): forked from a server that has
imported the validator and the warehouse's submit, they start in milliseconds, inherit no thread,
socket or DuckDB connection of the service, and end with it. Each call judges as
`pipeline.warehouse.submit.judge` would, with the service's environment and folder of the moment,
except that Q514's previous totals come from a snapshot of the warehouse (`queries.previous_totals`)
that a worker takes again only when the warehouse has changed and the snapshot is TOTALS_SECONDS
old: a worker does not open the warehouse, or wait for its writer, once per upload. Recording
rechecks Q514 against the warehouse (`submit.submit_judged`), so an answer is never stale. The verdict
comes back as a file (0600) beside the upload, not through the pool's pipe (`pipeline.workers.answers`
says why). A worker that dies (killed, out of memory) costs one upload its judging in the service's
own process, and new workers are started for the next.
"""
from __future__ import annotations

import os
import pickle
import time
from concurrent.futures import BrokenExecutor
from pathlib import Path

from pipeline.core.contract import Quarter
from pipeline.rules.validate import Result, validate_file
from pipeline.warehouse import connection, locks, queries, submit
from pipeline.workers import answers, pool

WORKERS = 2            # the service's machine has 2 cores; more would only queue for them
TOTALS_SECONDS = 2.0   # a worker's snapshot of previous totals is kept at least this long
TOTALS_WAIT = 0.1      # seconds a worker waits for the warehouse to take a newer snapshot (else keeps its own)
PRELOAD = ["pipeline.warehouse.submit", "web.judging"]

_workers = pool.Lasting(WORKERS, PRELOAD)


def judge(path: Path, quarter: Quarter | None) -> Result:
    """`pipeline.warehouse.submit.judge(path, quarter)`, run in a worker process with its snapshot of
    Q514's previous totals (in this process, as `submit.judge`, if a worker died). The verdict, pickled,
    stays beside the upload as `verdict_file(path)` (0600; removed with the upload's folder) for
    whoever keeps it. Raises what `submit.judge` raises (locks.WarehouseBusy)."""
    verdict = verdict_file(path)
    verdict.unlink(missing_ok=True)
    try:
        _workers.run(_judge_in_worker, str(path), quarter, dict(os.environ), os.getcwd(), str(verdict))
    except BrokenExecutor:
        return submit.judge(path, quarter)
    return pickle.loads(verdict.read_bytes())


def verdict_file(path: Path) -> Path:
    """Where a worker's verdict on the upload at `path` is written (`judge`)."""
    return Path(path).with_name(f"{Path(path).name}.verdict")


def start() -> None:
    """Start the workers now, in the background (the service starting): the first uploads then find
    them ready instead of waiting ~1 s for the forkserver's imports."""
    _workers.warm()


def shutdown() -> None:
    """Stop the workers (the service stopping); the next `judge` starts them again."""
    _workers.shutdown()


def _judge_in_worker(path: str, quarter: Quarter | None, environ: dict, cwd: str, verdict: str) -> None:
    """Worker: judge `path` with the service's environment and folder, the verdict written to `verdict`."""
    if os.environ != environ:
        os.environ.clear()
        os.environ.update(environ)
    if os.getcwd() != cwd:
        os.chdir(cwd)
    result = validate_file(path, quarter, previous_total=_previous_totals())
    answers.put(result, Path(verdict).parent, Path(verdict).name)


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
