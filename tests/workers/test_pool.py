"""The one worker-pool mechanism (pipeline/workers/pool.py, pipeline/workers/answers.py): workers at
the priority asked that end with their caller; a dead worker costs its work, never a wait, and a
lasting pool starts afresh; an answer is taken once and only for the bytes it was computed from;
answers travel through a private folder that is removed."""
import os
import signal
import stat
import subprocess
import sys
import time
from concurrent.futures import BrokenExecutor, Future
from pathlib import Path
from types import SimpleNamespace

import pytest

from pipeline.workers import answers, pool

SHA = "a" * 64


def answered(answer, folder: Path, file: Path | None = None) -> Future:
    """A future that gives what a worker's `answers.put` gave, put here."""
    future = Future()
    future.set_result(answers.put(answer, folder, file=file))
    return future


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_how_many_workers_is_one_per_core_and_never_more_than_the_work():
    assert pool.how_many(1000) == (os.cpu_count() or 1)
    assert pool.how_many(3, workers=8) == 3
    assert pool.how_many(10, workers=2) == 2
    assert 0 <= pool.spare_cores() <= (os.cpu_count() or 1) + 0.01


def test_workers_run_at_the_priority_asked():
    here = os.nice(0)
    with pool.started(1, [], niceness=5) as low:
        assert low.submit(os.nice, 0).result() == min(here + 5, 19)
    with pool.started(1, []) as same:
        assert same.submit(os.nice, 0).result() == here


def test_workers_end_when_their_caller_is_killed(tmp_path):
    caller = subprocess.Popen(
        [sys.executable, "-c", "import os, time\nfrom pipeline.workers import pool\n"
                               "p = pool.start(1, [])\nprint(p.submit(os.getpid).result(), flush=True)\ntime.sleep(60)"],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2])
    try:
        worker = int(caller.stdout.readline())
        assert _alive(worker)
    finally:
        caller.kill()
        caller.wait()
    deadline = time.monotonic() + 10
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(worker)


def test_a_dead_worker_costs_its_answer_not_a_wait(tmp_path):
    folder = answers.private_folder("test-pool-", tmp_path)
    expected = answers.Answers(folder)
    with pool.started(1, []) as workers:
        pid = workers.submit(os.getpid).result()
        expected.expect(tmp_path / "a.xlsx", workers.submit(time.sleep, 60))
        os.kill(pid, signal.SIGKILL)                # as the kernel's out-of-memory killer would
        started = time.monotonic()
        assert expected.take(tmp_path / "a.xlsx", SHA) is None
        assert time.monotonic() - started < 30
    expected.close()


def test_a_lasting_pool_starts_afresh_after_a_worker_dies():
    workers = pool.Lasting(1, [])
    try:
        first = workers.current()
        pid = workers.run(os.getpid)
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(BrokenExecutor):
            workers.run(time.sleep, 60)
        assert workers.run(os.getpid) != pid
        assert workers.current() is not first
        workers.shutdown()
        assert workers.run(os.getpid)                # stopped, then started again when needed
    finally:
        workers.shutdown()


def test_an_answer_is_taken_once_and_only_for_the_same_bytes(tmp_path):
    folder = answers.private_folder("test-pool-", tmp_path)
    expected = answers.Answers(folder)
    with pool.started(1, []) as workers:            # written by a worker process, as in use
        expected.expect(tmp_path / "a.xlsx", workers.submit(answers.put, SimpleNamespace(sha256=SHA, n=1), folder))
        taken = expected.take(tmp_path / "a.xlsx", SHA)
    assert taken.n == 1
    assert expected.take(tmp_path / "a.xlsx", SHA) is None                # taken once
    assert expected.take(tmp_path / "never-expected.xlsx", SHA) is None

    extra = answers.new_file(folder, ".xlsx")
    extra.write_bytes(b"feedback")
    expected.expect(tmp_path / "b.xlsx", answered(SimpleNamespace(sha256=SHA), folder, extra))
    assert expected.take(tmp_path / "b.xlsx", "b" * 64) is None           # the file holds other bytes now
    assert list(folder.iterdir()) == []                                     # neither answer nor file kept
    expected.close()


def test_the_file_beside_an_answer_is_placed_only_for_that_very_answer(tmp_path):
    folder = answers.private_folder("test-pool-", tmp_path)
    expected = answers.Answers(folder)
    extra = answers.new_file(folder, ".xlsx")
    extra.write_bytes(b"feedback")
    expected.expect(tmp_path / "in" / ".." / "a.xlsx", answered(SimpleNamespace(sha256=SHA), folder, extra))
    (tmp_path / "in").mkdir()
    taken = expected.take(tmp_path / "a.xlsx", SHA)                         # the same file, named otherwise
    assert expected.place(SimpleNamespace(sha256=SHA), tmp_path / "x.xlsx") is None   # equal, not the same
    placed = expected.place(taken, tmp_path / "out" / "a_feedback.xlsx")
    assert placed == tmp_path / "out" / "a_feedback.xlsx" and placed.read_bytes() == b"feedback"
    assert expected.place(taken, tmp_path / "again.xlsx") is None          # placed once
    expected.close()


def test_answers_travel_through_a_private_folder_that_is_removed(tmp_path):
    folder = answers.private_folder("test-pool-", tmp_path)
    assert folder.name.startswith(f"test-pool-{os.getpid()}-") and stat.S_IMODE(folder.stat().st_mode) == 0o700
    extra = answers.new_file(folder, ".xlsx")
    extra.write_bytes(b"feedback")
    os.chmod(extra, 0o644)
    pickled, file = answers.put(SimpleNamespace(sha256=SHA), folder, file=extra)
    assert stat.S_IMODE(pickled.stat().st_mode) == 0o600 and stat.S_IMODE(file.stat().st_mode) == 0o600
    with pytest.raises(FileExistsError):                                    # an answer never overwrites another
        answers.put(SimpleNamespace(sha256=SHA), folder, pickled.name)
    expected = answers.Answers(folder)
    expected.expect(tmp_path / "a.xlsx", answered(SimpleNamespace(sha256=SHA), folder))
    expected.close()
    assert not folder.exists()


def test_folders_of_callers_that_no_longer_run_are_removed(tmp_path):
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    stale = tmp_path / f"test-pool-{ended.pid}-x"
    stale.mkdir()
    mine = answers.private_folder("test-pool-", tmp_path)
    other = tmp_path / "test-pool-not-a-pid"
    other.mkdir()
    assert answers.remove_stale("test-pool-", tmp_path) == 1
    assert not stale.exists() and mine.exists() and other.exists()
