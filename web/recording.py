"""Recording judged uploads a group at a time: the uploads waiting to be recorded when the warehouse
becomes free are recorded together, in the order they arrived, in one hold of its write lock
(`pipeline.store.submit_judged`: one opening of the warehouse instead of one per upload), by whichever
of their requests got there first; the others wait for their outcome. One upload alone is recorded
at once, as before. The warehouse stays single-writer: this only decides who writes, and how much.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from pipeline import store
from pipeline.contract import Quarter
from pipeline.validate import Result


@dataclass(eq=False)
class _Waiting:
    path: Path
    quarter: Quarter | None
    result: Result
    outcome: store.SubmitOutcome | None = None
    error: BaseException | None = None
    done: bool = False


_waiting: list[_Waiting] = []
_queue = threading.Lock()        # guards `_waiting`
_recording = threading.Lock()    # held by the request recording a group


def record(path: Path, quarter: Quarter | None, result: Result) -> store.SubmitOutcome:
    """`pipeline.store.submit_file(path, quarter, result=result)`, recorded with the uploads waiting
    alongside it. Raises what that raises (locks.WarehouseBusy, warehouse.KeyProblem) for every
    upload of the group."""
    mine = _Waiting(Path(path), quarter, result)
    with _queue:
        _waiting.append(mine)
    while not mine.done:
        with _recording:
            if not mine.done:
                with _queue:
                    group = _waiting[:store.GROUP_FILES]
                    del _waiting[:len(group)]
                _record(group)
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
            outcomes = store.submit_judged([(w.path, w.result) for w in same], quarter)
            for waiting, outcome in zip(same, outcomes):
                waiting.outcome = outcome
        except Exception as exc:   # noqa: BLE001 - each request raises it to its caller
            for waiting in same:
                waiting.error = exc
        finally:
            for waiting in same:
                waiting.done = True
