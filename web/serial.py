"""One process-wide lock around every warehouse call the service makes (submit, status, build, rebuild).

Until `pipeline.store` is safe to call from many threads at once, the service's calls go one at
a time through `one_at_a_time()` (reads too: two connections in one process would each re-create
the warehouse's views). Another process (the CLI, a flow) holding the DuckDB file is waited
for, a few seconds at most, instead of failing the request. Remove this module when the
warehouse-writer locks are in `pipeline.store`.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
LOCK = threading.Lock()
WAIT_SECONDS = 60.0


def one_at_a_time(fn: Callable[..., T], *args, **kwargs) -> T:
    """Call `fn` holding the lock, retrying while another process has the DuckDB file open."""
    deadline = time.monotonic() + WAIT_SECONDS
    with LOCK:
        while True:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                if not _busy(exc) or time.monotonic() > deadline:
                    raise
            time.sleep(0.2)


def _busy(exc: Exception) -> bool:
    """DuckDB's answer when another process has the file open (the CLI says 'in use' for the same)."""
    return type(exc).__name__ == "IOException" and "lock" in str(exc).lower()
