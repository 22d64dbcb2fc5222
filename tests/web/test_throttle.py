"""Sign-in throttling: waits that grow with failures, capped, never a lock-out."""
from __future__ import annotations

import datetime as dt

import pytest

from web import audit, db, throttle

T0 = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)


def failures(*seconds) -> list[dt.datetime]:
    return [T0 + dt.timedelta(seconds=s) for s in seconds]


@pytest.mark.parametrize("failed, now, wait", [
    ((), 0, 0),
    ((0, 1), 1, 0),                # fewer than 3: no wait
    ((0, 1, 2), 2, 1),             # the third: 1 s
    ((0, 1, 2, 4), 4, 2),          # then 2 s
    ((0, 1, 2, 4, 8), 8, 4),       # then 4 s …
    ((0, 1, 2, 4, 8), 10, 2),      # … counted from the last failure
    ((0, 1, 2, 4, 8), 12, 0),
    (tuple(range(40)), 39, 60),   # never more than the cap
])
def test_the_wait_doubles_after_the_free_failures_up_to_the_cap(failed, now, wait):
    assert throttle.wait_seconds(failures(*failed), T0 + dt.timedelta(seconds=now), free=3, cap=60) == wait


def test_waits_come_from_the_audit_log_per_account_and_per_address(tmp_path):
    database = tmp_path / "web.sqlite"
    db.initialise(database)
    for _ in range(3):
        audit.record(database, audit.SIGN_IN_FAILED, "victim@x.example", "", "10.0.0.1")
    wait = {"free": 3, "cap": 60, "window_minutes": 15}
    assert throttle.sign_in_wait(database, email="victim@x.example", address="10.0.0.9", **wait) == 1
    assert throttle.sign_in_wait(database, email="VICTIM@x.example ", address="10.0.0.9", **wait) == 1
    assert throttle.sign_in_wait(database, email="other@x.example", address="10.0.0.9", **wait) == 0
    for i in range(11):                                  # one address trying many accounts: 4 × 3 free
        audit.record(database, audit.SIGN_IN_FAILED, f"u{i}@x.example", "", "10.0.0.2")
    assert throttle.sign_in_wait(database, email="new@x.example", address="10.0.0.2", **wait) == 0
    audit.record(database, audit.SIGN_IN_FAILED, "u11@x.example", "", "10.0.0.2")
    assert throttle.sign_in_wait(database, email="new@x.example", address="10.0.0.2", **wait) == 1
    audit.record(database, audit.SIGN_IN, "victim@x.example", "", "10.0.0.9")   # a success starts the count again
    assert throttle.sign_in_wait(database, email="victim@x.example", address="10.0.0.9", **wait) == 0
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=16)
    assert throttle.sign_in_wait(database, email="new@x.example", address="10.0.0.2", now=later, **wait) == 0
