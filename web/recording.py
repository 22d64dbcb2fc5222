"""Recording judged uploads a group at a time: the uploads waiting to be recorded when the warehouse
becomes free are recorded together, in the order they arrived, in one hold of its write lock
(`pipeline.warehouse.submit.submit_judged`: one opening of the warehouse and one insert per table instead of one
each), by whichever of their requests got there first; the others wait for their outcome.

A group costs the writer a fixed ~0.1 s of CPU (opening the warehouse, one insert per table, the
commit) plus ~10 ms a file, and while other uploads are still being judged the cores are theirs: so a
judged upload waits for the uploads being judged (`judging()`) to join its group while their judging
goes on finishing (one at least every GATHER_GAP seconds), at most GATHER_SECONDS after the first of
the group was judged, or until the group is full. A burst of uploads is then recorded in one or two
groups instead of one every few uploads; an upload judged while only a slow one (a large workbook) is
being judged waits GATHER_GAP at most; one upload alone is recorded at once, as before. The
warehouse stays single-writer: this only decides who writes, when, and how much.

Uploads are recorded in the order they were received (`received`), not the order their judging
ended: a council's upload waits while one it sent earlier is still being judged, so of two returns
a council sends at once the one received later stands, as when it sends them one after the other.
"""
from __future__ import annotations

import itertools
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.core.contract import Quarter
from pipeline.rules.validate import Result
from pipeline.warehouse import submit

# A judged upload waits for the uploads being judged while one of them finishes at least every
# GATHER_GAP seconds (a typical return takes ~50 ms of a core to judge), GATHER_SECONDS at most: a
# burst of 16 typical returns is judged in ~0.6 s on two cores.
GATHER_GAP = 0.5
GATHER_SECONDS = 1.5


@dataclass(frozen=True)
class Receipt:
    """An upload's place in the order uploads were received, and whose it is (an LA code)."""
    ticket: int
    council: str | None


@dataclass(eq=False)
class _Waiting:
    path: Path
    quarter: Quarter | None
    result: Result
    receipt: Receipt
    since: float = field(default_factory=time.monotonic)
    outcome: submit.SubmitOutcome | None = None
    error: BaseException | None = None
    done: bool = False


_state = threading.Condition(threading.Lock())   # guards the six below; notified when any changes
_tickets = itertools.count()
_pending: dict[int, str | None] = {}   # uploads received, not yet waiting to be recorded: ticket -> council
_waiting: list[_Waiting] = []          # in the order received
_judging = 0        # uploads being judged now, each recorded next (or refused before recording)
_judged_at = 0.0    # when the last of them was judged (time.monotonic)
_busy = False       # a request is recording a group


@contextmanager
def received(council: str | None):
    """An upload from its receipt until it waits to be recorded (or is refused, or fails): while it is
    here, a later upload of the same `council` is not recorded before it. Yields its `Receipt`, for `record`."""
    with _state:
        receipt = Receipt(next(_tickets), council)
        _pending[receipt.ticket] = council
    try:
        yield receipt
    finally:
        with _state:
            if _pending.pop(receipt.ticket, _state) is not _state:
                _state.notify_all()


def _ready() -> list[_Waiting]:
    """The uploads waiting that no earlier upload of their council is still ahead of (under `_state`)."""
    return [w for w in _waiting if w.receipt.council is None or not any(
        ticket < w.receipt.ticket and council == w.receipt.council for ticket, council in _pending.items())]


@contextmanager
def judging():
    """Around judging an upload that comes to `record` next: while it is being judged, uploads already
    judged may wait for it to join their group (see the module's docstring)."""
    global _judging, _judged_at
    with _state:
        _judging += 1
    try:
        yield
    finally:
        with _state:
            _judging -= 1
            _judged_at = time.monotonic()
            _state.notify_all()


def record(path: Path, quarter: Quarter | None, result: Result, receipt: Receipt | None = None
           ) -> submit.SubmitOutcome:
    """`pipeline.warehouse.submit.submit_file(path, quarter, result=result)`, recorded with the uploads waiting
    alongside it, after any upload of the same council received before it (`receipt`, from `received`;
    none: received now). Raises what that raises (locks.WarehouseBusy, warehouse.KeyProblem) for every
    upload of the group."""
    global _busy
    with _state:
        if receipt is None:
            receipt = Receipt(next(_tickets), None)
        _pending.pop(receipt.ticket, None)
        mine = _Waiting(Path(path), quarter, result, receipt)
        _waiting.append(mine)
        _waiting.sort(key=lambda w: w.receipt.ticket)
        _state.notify_all()
        while not mine.done:
            ready = [] if _busy else _ready()
            if not ready:
                _state.wait()
                continue
            first = min(w.since for w in ready)
            gathering = min(first + GATHER_SECONDS, max(first, _judged_at) + GATHER_GAP) - time.monotonic()
            if _judging and len(ready) < submit.GROUP_FILES and gathering > 0:
                _state.wait(gathering)
                continue
            group = ready[:submit.GROUP_FILES]
            for waiting in group:
                _waiting.remove(waiting)
            _busy = True
            _state.release()
            try:
                _record(group)
            finally:
                _state.acquire()
                _busy = False
                _state.notify_all()
    if mine.error is not None:
        raise mine.error
    return mine.outcome


def _record(group: list[_Waiting]) -> None:
    """Record `group`, one `submit_judged` per quarter collected (in arrival order within each)."""
    by_quarter: dict[Quarter | None, list[_Waiting]] = {}
    for waiting in group:
        by_quarter.setdefault(waiting.quarter, []).append(waiting)
    for quarter, same in by_quarter.items():
        try:
            outcomes = submit.submit_judged([(w.path, w.result) for w in same], quarter)
            for waiting, outcome in zip(same, outcomes):
                waiting.outcome = outcome
        except Exception as exc:   # noqa: BLE001 - each request raises it to its caller
            for waiting in same:
                waiting.error = exc
        finally:
            for waiting in same:
                waiting.done = True
