"""Server-side sessions (`web.session_store`): kept in web.sqlite under the id's hash, ended by idle time,
by age, by renewal and for every session of a user at once."""
from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from web import db
from web.session_store import Lifetime, Session, end_sessions, live_sessions, load, save

T0 = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)
LIFE = Lifetime(idle_minutes=30, hours=12)


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "web.sqlite"
    db.initialise(path)
    with db.connect(path) as con:
        for uid in (1, 2):
            con.execute("INSERT INTO users (id, email, role, created_at) VALUES (?, ?, 'dfe', '2026-01-01')",
                        (uid, f"u{uid}@x.example"))
    return path


def started(database, data, at=T0) -> str:
    sid = save(database, Session(data), LIFE, "127.0.0.1", now=at)
    assert sid
    return sid


def test_an_empty_session_is_never_stored(database):
    assert save(database, Session(), LIFE, now=T0) is None
    with sqlite3.connect(database) as con:
        assert con.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0


def test_a_session_is_kept_under_its_ids_hash_and_loaded_back(database):
    sid = started(database, {"uid": 1, "csrf": "c"})
    with sqlite3.connect(database) as con:
        stored = con.execute("SELECT id_hash, user_id, data FROM sessions").fetchall()
    assert len(stored) == 1 and sid not in str(stored) and stored[0][1] == 1
    assert load(database, sid, LIFE, now=T0 + dt.timedelta(minutes=5)) == {"uid": 1, "csrf": "c"}
    assert load(database, "made-up", LIFE, now=T0) is None


def test_a_session_ends_after_its_idle_time_unless_used(database):
    sid = started(database, {"uid": 1})
    assert load(database, sid, LIFE, now=T0 + dt.timedelta(minutes=31)) is None
    for minute in range(20, 12 * 60, 20):              # used every 20 minutes: it lasts, but not past 12 hours
        at = T0 + dt.timedelta(minutes=minute)
        session = load(database, sid, LIFE, now=at)
        assert session is not None, minute
        assert save(database, session, LIFE, now=at) is None
    assert load(database, sid, LIFE, now=T0 + dt.timedelta(hours=12)) is None


def test_the_last_request_is_noted_at_most_once_a_minute(database):
    sid = started(database, {"uid": 1})
    seen = lambda: sqlite3.connect(database).execute("SELECT last_seen_at FROM sessions").fetchone()[0]
    save(database, load(database, sid, LIFE, now=T0 + dt.timedelta(seconds=30)), LIFE,
         now=T0 + dt.timedelta(seconds=30))
    assert seen() == T0.isoformat(timespec="seconds")
    later = T0 + dt.timedelta(seconds=90)
    save(database, load(database, sid, LIFE, now=later), LIFE, now=later)
    assert seen() == later.isoformat(timespec="seconds")


def test_renewing_gives_a_new_id_and_the_old_one_stops_working(database):
    sid = started(database, {"csrf": "before"})
    session = load(database, sid, LIFE, now=T0)
    session.clear()
    session.renew()
    session["uid"] = 2
    new = save(database, session, LIFE, now=T0)
    assert new and new != sid
    assert load(database, sid, LIFE, now=T0) is None and load(database, new, LIFE, now=T0) == {"uid": 2}


def test_clearing_a_session_deletes_it_and_asks_for_the_cookie_to_go(database):
    sid = started(database, {"uid": 1})
    session = load(database, sid, LIFE, now=T0)
    session.clear()
    assert save(database, session, LIFE, now=T0) == ""
    assert load(database, sid, LIFE, now=T0) is None


def test_every_session_of_one_user_ends_at_once_and_no_one_elses(database):
    mine = [started(database, {"uid": 1}) for _ in range(3)]
    theirs = started(database, {"uid": 2})
    assert live_sessions(database, 1, LIFE, now=T0) == 3
    assert end_sessions(database, 1) == 3
    assert all(load(database, sid, LIFE, now=T0) is None for sid in mine)
    assert load(database, theirs, LIFE, now=T0) == {"uid": 2}


def test_ended_sessions_are_cleared_away_when_new_ones_start(database):
    started(database, {"uid": 1})
    started(database, {"uid": 2}, at=T0 + dt.timedelta(hours=13))
    with sqlite3.connect(database) as con:
        assert [r[0] for r in con.execute("SELECT user_id FROM sessions")] == [2]
