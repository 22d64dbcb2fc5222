"""Sign-in throttling (ASVS 2.2.1): failures slow the next attempt down, never lock an account.

After `free` failed sign-ins in a row, each further attempt must wait twice as long as the one before,
counted from the last failure: 1 s, 2 s, 4 s … up to `cap` seconds. Counted per account (failures for
that email, from anywhere, since its last successful sign-in) and per client address (failures from it,
for any email), from the audit log, so the limits hold across the service's processes and restarts.
Someone guessing another's password makes that person wait at most `cap` (60 s by default) before
trying theirs: slowed, never shut out.
"""
from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

from web import audit, db


def wait_seconds(failures: list[dt.datetime], now: dt.datetime, *, free: int, cap: int) -> int:
    """Whole seconds still to wait before another attempt, given the times of the failures in a row
    (oldest first): 0 for fewer than `free`, else 2^(n − free) seconds after the last, at most `cap`."""
    if len(failures) < free:
        return 0
    delay = min(cap, 2 ** min(len(failures) - free, 30))
    return max(0, math.ceil(delay - (now - failures[-1]).total_seconds()))


def sign_in_wait(database: Path, *, email: str, address: str | None, free: int, cap: int, window_minutes: int,
                 now: dt.datetime | None = None) -> int:
    """Seconds the next sign-in for `email` from `address` must wait (0: go ahead): the longer of the wait
    for the account (`free` failures, up to `cap` s) and for the address (4 × `free`, up to 5 × `cap` s),
    counting failures within the last `window_minutes`."""
    now = now or dt.datetime.now(dt.UTC)
    since = (now - dt.timedelta(minutes=window_minutes)).isoformat(timespec="milliseconds")
    with db.reading(database) as con:
        last_success = con.execute("SELECT max(at) FROM audit WHERE action = ? AND actor = ? COLLATE NOCASE",
                                   (audit.SIGN_IN, email.strip())).fetchone()[0]
        by_email = [r[0] for r in con.execute(
            "SELECT at FROM audit WHERE action = ? AND at >= ? AND at > ? AND actor = ? COLLATE NOCASE ORDER BY at",
            (audit.SIGN_IN_FAILED, since, last_success or "", email.strip()))]
        by_address = [r[0] for r in con.execute(
            "SELECT at FROM audit WHERE action = ? AND at >= ? AND address = ? ORDER BY at",
            (audit.SIGN_IN_FAILED, since, address))] if address else []
    as_times = [dt.datetime.fromisoformat(t) for t in by_email], [dt.datetime.fromisoformat(t) for t in by_address]
    return max(wait_seconds(as_times[0], now, free=free, cap=cap),
               wait_seconds(as_times[1], now, free=4 * free, cap=5 * cap))
