"""The warehouse's readers–writer lock, across processes and threads.

DuckDB lets one process open a database file read-write, and while it is open no other process
can open it at all; within one process it refuses to open the same file twice with different
settings. So nobody keeps the warehouse open: each operation takes this lock, opens the file,
does its work, closes it and lets go. Writers hold the lock exclusively, readers share it.

Two `fcntl.flock` files beside the warehouse do it across processes (and across threads, since
every acquisition opens its own descriptor, and flock treats descriptors independently):
`<warehouse>.lock` is the lock itself and `<warehouse>.lock.gate` lets a waiting writer in
before readers that come after it, so a stream of readers never starves a writer. A thread that
already holds the lock and asks again (a writer reading its own state) gets the same hold.

A writer waits up to AGENCY_RETURN_LOCK_WAIT seconds (default 120), saying once that it waits;
a reader waits up to AGENCY_RETURN_READ_WAIT seconds (default 30). Still busy after that raises
`WarehouseBusy`, which the command line answers with exit code 75 (EX_TEMPFAIL: try again later).
"""
from __future__ import annotations

import fcntl
import os
import sys
import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

WRITE_WAIT_ENV, READ_WAIT_ENV = "AGENCY_RETURN_LOCK_WAIT", "AGENCY_RETURN_READ_WAIT"
WRITE_WAIT_SECONDS, READ_WAIT_SECONDS = 120.0, 30.0
POLL_SECONDS = 0.02


class WarehouseBusy(RuntimeError):
    """The warehouse stayed in use by another writer for longer than the wait (exit code 75)."""


# the holds of the current thread: warehouse path -> "read" | "write"
_HELD: ContextVar[dict[str, str] | None] = ContextVar("warehouse_holds", default=None)
_local_writers: dict[str, threading.Lock] = {}
_local_guard = threading.Lock()


def _wait(env: str, default: float) -> float:
    try:
        return max(0.0, float(os.environ.get(env, default)))
    except ValueError:
        return default


def _say_waiting(what: str) -> None:
    print(f"agency-return: the warehouse is busy ({what}); waiting for it…", file=sys.stderr, flush=True)


def _open(path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.fchmod(fd, 0o600)   # whatever the umask
    return fd


def _flock(fd: int, mode: int, deadline: float, on_wait) -> bool:
    """Take `mode` on fd, polling until `deadline` (monotonic); False if it never came free."""
    said = False
    while True:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            if not said and on_wait is not None:
                on_wait()
                said = True
            time.sleep(POLL_SECONDS)


def _local_writer(key: str) -> threading.Lock:
    with _local_guard:
        return _local_writers.setdefault(key, threading.Lock())


def holding(warehouse: Path) -> str | None:
    """'read' or 'write' if the current thread holds the lock on `warehouse`, else None."""
    return (_HELD.get() or {}).get(str(Path(warehouse).resolve()))


@contextmanager
def _held(key: str, mode: str):
    holds = dict(_HELD.get() or {})
    holds[key] = mode
    token = _HELD.set(holds)
    try:
        yield
    finally:
        _HELD.reset(token)


@contextmanager
def write_lock(warehouse: Path, wait: float | None = None, on_wait=_say_waiting):
    """Hold the warehouse exclusively for the length of the block (see the module docstring).
    Raises WarehouseBusy if it is not free within `wait` seconds (default AGENCY_RETURN_LOCK_WAIT)."""
    key = str(Path(warehouse).resolve())
    mode = holding(warehouse)
    if mode == "write":
        yield
        return
    if mode == "read":
        raise RuntimeError("a reader of the warehouse cannot become its writer; take the write lock first")
    wait = _wait(WRITE_WAIT_ENV, WRITE_WAIT_SECONDS) if wait is None else wait
    deadline = time.monotonic() + wait
    local = _local_writer(key)
    # writers of this process queue on a thread lock (no polling); one of them at a time takes the file lock
    if not local.acquire(timeout=max(wait, 0.001)):
        raise WarehouseBusy(_busy_message(wait, "another writer in this process"))
    try:
        gate, lock = _open(Path(key + ".lock.gate")), _open(Path(key + ".lock"))
        try:
            what = "another command, flow or the web service is writing to it, or reading it"
            if not _flock(gate, fcntl.LOCK_EX, deadline, lambda: on_wait and on_wait(what)):
                raise WarehouseBusy(_busy_message(wait, "another writer"))
            if not _flock(lock, fcntl.LOCK_EX, deadline, lambda: on_wait and on_wait(what)):
                raise WarehouseBusy(_busy_message(wait, "readers"))
            with _held(key, "write"):
                yield
        finally:
            os.close(lock)   # closing the descriptors releases their locks
            os.close(gate)
    finally:
        local.release()


@contextmanager
def read_lock(warehouse: Path, wait: float | None = None):
    """Share the warehouse with other readers for the length of the block; wait (briefly, default
    AGENCY_RETURN_READ_WAIT) for a writer to finish. Raises WarehouseBusy if it does not."""
    key = str(Path(warehouse).resolve())
    if holding(warehouse) is not None:
        yield
        return
    wait = _wait(READ_WAIT_ENV, READ_WAIT_SECONDS) if wait is None else wait
    deadline = time.monotonic() + wait
    gate, lock = _open(Path(key + ".lock.gate")), _open(Path(key + ".lock"))
    try:
        if not _flock(gate, fcntl.LOCK_SH, deadline, None) or not _flock(lock, fcntl.LOCK_SH, deadline, None):
            raise WarehouseBusy(_busy_message(wait, "a writer"))
        os.close(gate)   # in: a writer that comes now waits for this reader, and readers after it wait for the writer
        gate = -1
        with _held(key, "read"):
            yield
    finally:
        os.close(lock)
        if gate >= 0:
            os.close(gate)


def _busy_message(wait: float, whom: str) -> str:
    return (f"the warehouse is still in use ({whom}) after waiting {wait:.0f} s; try again when it has finished "
            f"(a long build or rebuild may be running; {WRITE_WAIT_ENV} / {READ_WAIT_ENV} set the waits)")
