"""The service's own SQLite database (`web.db`): writes handed in together share one commit, each
kept whole or not at all; look-ups do not take the write lock."""
from __future__ import annotations

import sqlite3
import threading

import pytest

from web import db


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "web.sqlite"
    db.initialise(path)
    return path


def add_setting(key):
    def write(con):
        con.execute("INSERT INTO settings (key, value) VALUES (?, 'x')", (key,))
        return key
    return write


def handed_in_behind_a_write(database, threads):
    """Start `threads` while this thread holds the service's write turn, until each has handed in its write."""
    with db._WRITING:
        for t in threads:
            t.start()
        while len(db._together.get(str(database), [])) < len(threads):
            threading.Event().wait(0.01)
    for t in threads:
        t.join()


def test_writes_handed_in_together_share_commits_and_each_returns_its_own_result(database, monkeypatch):
    commits = []
    connect = db.connect

    def counted(path):
        commits.append(path)
        return connect(path)

    monkeypatch.setattr(db, "connect", counted)
    start = threading.Barrier(16)
    results = {}

    def send(i):
        start.wait()
        results[i] = db.together(database, add_setting(f"k{i}"))

    handed_in_behind_a_write(database, [threading.Thread(target=send, args=(i,)) for i in range(16)])
    assert results == {i: f"k{i}" for i in range(16)}
    assert len(commits) == 1
    with db.reading(database) as con:
        assert con.execute("SELECT count(*) FROM settings").fetchone()[0] == 16


def test_a_write_that_raises_is_undone_alone_and_raises_to_its_caller(database):
    def half_then_fail(con):
        con.execute("INSERT INTO settings (key, value) VALUES ('half', 'x')")
        raise ValueError("no")

    failed = []

    def bad():
        try:
            db.together(database, half_then_fail)
        except ValueError as exc:
            failed.append(exc)

    handed_in_behind_a_write(database, [threading.Thread(target=bad),
                                        threading.Thread(target=db.together, args=(database, add_setting("good")))])
    assert len(failed) == 1
    with db.reading(database) as con:
        assert [r[0] for r in con.execute("SELECT key FROM settings")] == ["good"]


def test_a_look_up_reads_while_another_connection_holds_the_write_lock(database):
    writer = sqlite3.connect(database, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO settings (key, value) VALUES ('pending', 'x')")
    try:
        with db.reading(database) as con:    # would wait 30 s if it took the write lock
            assert con.execute("SELECT count(*) FROM settings").fetchone()[0] == 0
    finally:
        writer.execute("ROLLBACK")
        writer.close()
