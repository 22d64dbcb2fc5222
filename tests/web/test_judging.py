"""Judging uploads in worker processes (`web.judging`) and recording them a group at a time
(`web.recording`): the same verdicts and outcomes as `pipeline.store` gives in-process, on real
workbooks and a real warehouse."""
from __future__ import annotations

import os
import pickle
import shutil
import signal
import threading

import pytest

from pipeline.core.reference import live_las
from pipeline.outputs.sample import generate
from pipeline.warehouse import connection, queries, submit
from tests.webservice import QUARTER, SAMPLES
from web import judging, recording


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENCY_RETURN_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def upload(tmp_path, source):
    """A private copy, as `web.uploads` leaves an upload."""
    folder = tmp_path / f"upload-{source.stem}"
    folder.mkdir()
    return shutil.copy(source, folder / source.name)


def test_a_worker_judges_as_the_store_does_in_process(home, tmp_path):
    for name in (f"926_{QUARTER}.xlsx", f"205_{QUARTER}.xlsx"):
        path = upload(tmp_path, SAMPLES / name)
        worker = judging.judge(path, QUARTER)
        here = submit.judge(path, QUARTER)
        assert worker.to_dict() == here.to_dict() and worker.sha256 == here.sha256
        assert worker.submission is not None
        kept = judging.verdict_file(path)
        assert sorted(p.name for p in path.parent.iterdir()) == sorted([name, kept.name])
        assert kept.stat().st_mode & 0o777 == 0o600 and pickle.loads(kept.read_bytes()).to_dict() == here.to_dict()


def test_a_worker_killed_costs_one_upload_its_judging_here_and_a_new_pool_follows(home, tmp_path):
    path = upload(tmp_path, SAMPLES / f"205_{QUARTER}.xlsx")
    expected = judging.judge(path, QUARTER).to_dict()
    pool = judging._workers.current()
    for pid in list(pool._processes):
        os.kill(pid, signal.SIGKILL)
    assert judging.judge(path, QUARTER).to_dict() == expected     # judged here: the pool is broken
    assert judging.judge(path, QUARTER).to_dict() == expected     # a new pool
    assert judging._workers.current() is not pool


def test_uploads_waiting_together_are_recorded_together_in_arrival_order(home, tmp_path, monkeypatch):
    codes = [la.code for la in live_las(QUARTER)][:6]
    files = generate(QUARTER, tmp_path / "returns", la_codes=codes)
    judged = [(path, submit.judge(path, QUARTER)) for path in files]
    holds = []
    submit_judged = submit.submit_judged
    monkeypatch.setattr(submit, "submit_judged", lambda pairs, quarter: holds.append(len(pairs)) or
                        submit_judged(pairs, quarter))
    start = threading.Barrier(len(judged))
    outcomes = {}

    def send(path, result):
        start.wait()
        outcomes[path] = recording.record(path, QUARTER, result)

    threads = [threading.Thread(target=send, args=pair) for pair in judged]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(holds) == len(judged) and len(holds) < len(judged)   # at least one group of several
    assert {outcomes[p].la_code for p, _ in judged} == set(codes)
    assert all(o.status == "accepted" and o.submission_id is not None and not o.unchanged for o in outcomes.values())
    rows = queries.status(QUARTER)
    assert set(rows.loc[rows["status"] == "accepted", "la_code"]) == set(codes)
    again = recording.record(judged[0][0], QUARTER, judged[0][1])
    assert again.unchanged and again.submission_id == outcomes[judged[0][0]].submission_id


def test_a_judged_upload_waits_for_the_uploads_still_being_judged_and_is_recorded_with_them(home, tmp_path,
                                                                                           monkeypatch):
    first, second = (upload(tmp_path, SAMPLES / f"{la}_{QUARTER}.xlsx") for la in ("205", "926"))
    verdicts = {path: submit.judge(path, QUARTER) for path in (first, second)}
    holds = []
    submit_judged = submit.submit_judged
    monkeypatch.setattr(submit, "submit_judged", lambda pairs, quarter: holds.append([p for p, _ in pairs]) or
                        submit_judged(pairs, quarter))
    monkeypatch.setattr(recording, "GATHER_GAP", 30.0)
    monkeypatch.setattr(recording, "GATHER_SECONDS", 30.0)
    judged, outcomes = threading.Event(), {}

    def send(path, wait=None):
        with recording.judging():
            if wait is not None:
                wait.wait(30)
        outcomes[path] = recording.record(path, QUARTER, verdicts[path])

    threads = [threading.Thread(target=send, args=(second, judged)), threading.Thread(target=send, args=(first,))]
    for t in threads:
        t.start()
    threads[1].join(0.5)
    assert threads[1].is_alive() and not holds      # judged, waiting for the upload still being judged
    judged.set()
    for t in threads:
        t.join()
    assert holds == [[first, second]]
    assert {outcomes[p].la_code for p in (first, second)} == {"205", "926"}


def test_a_judged_upload_waits_for_a_slow_judging_only_gather_gap(home, tmp_path, monkeypatch):
    import time
    path = upload(tmp_path, SAMPLES / f"205_{QUARTER}.xlsx")
    result = submit.judge(path, QUARTER)
    monkeypatch.setattr(recording, "GATHER_GAP", 0.3)
    monkeypatch.setattr(recording, "GATHER_SECONDS", 30.0)
    with recording.judging():      # an upload whose judging does not finish meanwhile (a large workbook)
        started = time.monotonic()
        outcome = recording.record(path, QUARTER, result)
        waited = time.monotonic() - started
    assert outcome.status == "accepted" and outcome.submission_id is not None
    assert 0.3 <= waited < 10


def test_a_judged_upload_waits_for_a_burst_being_judged_at_most_gather_seconds(home, tmp_path, monkeypatch):
    import time
    path = upload(tmp_path, SAMPLES / f"205_{QUARTER}.xlsx")
    result = submit.judge(path, QUARTER)
    monkeypatch.setattr(recording, "GATHER_GAP", 0.2)
    monkeypatch.setattr(recording, "GATHER_SECONDS", 0.8)
    stop = threading.Event()

    def burst():     # uploads still being judged, one finishing every 0.05 s
        with recording.judging():
            while not stop.is_set():
                with recording.judging():
                    time.sleep(0.05)

    judged = threading.Thread(target=burst)
    judged.start()
    try:
        started = time.monotonic()
        outcome = recording.record(path, QUARTER, result)
        waited = time.monotonic() - started
    finally:
        stop.set()
        judged.join()
    assert outcome.status == "accepted"
    assert 0.8 <= waited < 10


def test_a_busy_warehouse_is_raised_to_every_upload_of_the_group(home, tmp_path, monkeypatch):
    from pipeline.warehouse import locks
    path = upload(tmp_path, SAMPLES / f"205_{QUARTER}.xlsx")
    result = submit.judge(path, QUARTER)
    monkeypatch.setenv(locks.WRITE_WAIT_ENV, "0.2")
    with locks.write_lock(connection.paths().warehouse):
        errors = []

        def send():
            try:
                recording.record(path, QUARTER, result)
            except locks.WarehouseBusy as exc:
                errors.append(exc)

        threads = [threading.Thread(target=send) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(errors) == 3


def test_a_verdict_judged_against_an_older_snapshot_is_judged_again_before_it_is_compared_and_recorded(home, tmp_path):
    from pipeline.core.contract import Quarter
    from pipeline.rules.validate import validate_file
    code = live_las(QUARTER)[0].code
    (before,) = generate(Quarter(2025, 1), tmp_path / "q1", la_codes=[code])
    (now,) = generate(QUARTER, tmp_path / "q2", la_codes=[code])
    snapshot = queries.previous_totals()
    assert submit.submit_file(before, Quarter(2025, 1)).status == "accepted"
    stale = validate_file(now, QUARTER, previous_total=snapshot)     # judged before Q1 was recorded
    assert stale.submission.previous_total is None
    (outcome,) = submit.submit_judged([(now, stale)], QUARTER)
    fresh = submit.judge(now, QUARTER)
    assert fresh.submission.previous_total is not None
    assert outcome.result.to_dict() == fresh.to_dict() and outcome.result.submission.previous_total == \
        fresh.submission.previous_total
    (again,) = submit.submit_judged([(now, stale)], QUARTER)     # the same bytes and verdict: unchanged
    assert again.unchanged and again.submission_id == outcome.submission_id


def test_a_workers_snapshot_is_taken_again_only_when_the_warehouse_changed_and_it_is_old(home, tmp_path):
    judging._snapshot.clear()
    first = judging._previous_totals()
    assert judging._previous_totals() is first                      # nothing changed
    (path,) = generate(QUARTER, tmp_path / "returns", la_codes=[live_las(QUARTER)[0].code])
    submit.submit_file(path, QUARTER)
    assert judging._previous_totals() is first                      # changed, but the snapshot is young
    judging._snapshot["at"] -= judging.TOTALS_SECONDS
    taken = judging._previous_totals()
    assert taken is not first and len(taken) == len(first) + 1
    judging._snapshot["at"] -= judging.TOTALS_SECONDS
    assert judging._previous_totals() is taken                      # old, but nothing changed


def test_a_councils_uploads_are_recorded_in_the_order_received_whichever_is_judged_first(home, tmp_path,
                                                                                        monkeypatch):
    """Two returns a council sends at once: the one received later stands, as if sent one after the
    other, even when its judging ends first; each answer is true when given."""
    import openpyxl
    earlier = upload(tmp_path, SAMPLES / f"205_{QUARTER}.xlsx")
    later = tmp_path / "later" / earlier.name
    later.parent.mkdir()
    book = openpyxl.load_workbook(earlier)
    book["Return"]["B8"] = "Corrected after a call with the agency"
    book.save(later)
    verdicts = {path: submit.judge(path, QUARTER) for path in (earlier, later)}
    assert verdicts[earlier].sha256 != verdicts[later].sha256
    monkeypatch.setattr(recording, "GATHER_GAP", 0.05)
    outcomes, recorded_later = {}, threading.Event()

    def send_later():
        with recording.received("205") as receipt:
            with recording.judging():
                pass                                      # judged at once
            outcomes[later] = recording.record(later, QUARTER, verdicts[later], receipt)
        recorded_later.set()

    with recording.received("205") as first:             # received first, judged slowly
        thread = threading.Thread(target=send_later)
        thread.start()
        assert not recorded_later.wait(1.0)               # the later upload waits for the earlier one
        outcomes[earlier] = recording.record(earlier, QUARTER, verdicts[earlier], first)
    thread.join(30)
    assert outcomes[earlier].submission_id < outcomes[later].submission_id
    assert not outcomes[later].unchanged and outcomes[later].status == "accepted"
    rows = queries.status(QUARTER)
    standing = rows.loc[(rows["la_code"] == "205") & (rows["status"] == "accepted")]
    assert list(standing["sha256"]) == [verdicts[later].sha256]


def test_another_councils_upload_does_not_wait_for_a_slow_one(home, tmp_path):
    path = upload(tmp_path, SAMPLES / f"926_{QUARTER}.xlsx")
    result = submit.judge(path, QUARTER)
    with recording.received("205"):                       # another council's upload, still being read
        with recording.received("926") as mine:
            outcome = recording.record(path, QUARTER, result, mine)
    assert outcome.la_code == "926" and outcome.submission_id is not None
