"""Accounts (`web.accounts`): the password policy on every way in, what a password change and disabling
end, and API tokens with a name, an expiry, a last use and revocation."""
from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from web import accounts, db
from web.accounts import AccountError
from web.session_store import Lifetime, Session, live_sessions, save

PASSWORD = "a long enough passphrase"


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "web.sqlite"
    db.initialise(path)
    accounts.add_user(path, "data@camden.example", "la", la_code="202", password=PASSWORD)
    return path


def user(database):
    return accounts.find_user(database, "data@camden.example")


def a_session(database) -> None:
    save(database, Session({"uid": user(database).id}), Lifetime())


@pytest.mark.parametrize("bad", ["a", "password", "12345678", "password1234"])
def test_no_way_in_takes_a_weak_password(database, bad):
    with pytest.raises(AccountError) as refused:
        accounts.add_user(database, "x@y.example", "dfe", password=bad)
    assert refused.value.field == "password"
    with pytest.raises(AccountError):
        accounts.set_password(database, "data@camden.example", bad)
    assert accounts.change_password(database, user(database), PASSWORD, bad)["new_password"]
    assert accounts.authenticate(database, "data@camden.example", PASSWORD)


def test_a_password_change_ends_every_session_and_token(database):
    """Issue 26, 3: a password change left sessions and API tokens working."""
    token = accounts.new_token(database, "data@camden.example")
    a_session(database)
    a_session(database)
    assert live_sessions(database, user(database).id, Lifetime()) == 2
    assert accounts.change_password(database, user(database), "wrong", "a new long passphrase") == {
        "current_password": "Your current password is not correct"}
    assert accounts.user_for_token(database, token) is not None
    assert accounts.change_password(database, user(database), PASSWORD, PASSWORD) == {
        "new_password": "Your new password must be different from your current password"}
    assert accounts.change_password(database, user(database), PASSWORD, "a new long passphrase") == {}
    assert accounts.user_for_token(database, token) is None
    assert live_sessions(database, user(database).id, Lifetime()) == 0
    assert accounts.authenticate(database, "data@camden.example", "a new long passphrase")


def test_disabling_ends_sessions_and_tokens_and_re_enabling_keeps_the_password(database):
    token = accounts.new_token(database, "data@camden.example")
    a_session(database)
    accounts.disable_user(database, "data@camden.example")
    assert accounts.user_for_token(database, token) is None
    assert live_sessions(database, user(database).id, Lifetime()) == 0
    assert accounts.authenticate(database, "data@camden.example", PASSWORD) is None
    accounts.enable_user(database, "data@camden.example")
    assert accounts.authenticate(database, "data@camden.example", PASSWORD)
    assert accounts.user_for_token(database, token) is None        # tokens do not come back


def test_a_token_has_a_name_an_expiry_and_a_last_use_and_is_kept_only_as_a_hash(database):
    token = accounts.new_token(database, "data@camden.example", name="  Case   system ", days=30)
    [listed] = accounts.list_tokens(database, user(database).id)
    assert listed.name == "Case system" and listed.last_used_at is None and not listed.expired
    assert dt.timedelta(days=29, hours=23) < listed.expires_at - listed.created_at <= dt.timedelta(days=30)
    assert accounts.user_for_token(database, token).email == "data@camden.example"
    [listed] = accounts.list_tokens(database, user(database).id)
    assert listed.last_used_at is not None
    stored = " ".join(str(v) for row in sqlite3.connect(database).execute("SELECT * FROM tokens") for v in row)
    assert token not in stored


def test_an_expired_token_stops_working(database):
    """Issue 26, 3: tokens never expired."""
    token = accounts.new_token(database, "data@camden.example", days=1)
    with sqlite3.connect(database) as con:
        con.execute("UPDATE tokens SET expires_at = ?",
                    ((dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)).isoformat(timespec="seconds"),))
    assert accounts.user_for_token(database, token) is None
    assert accounts.list_tokens(database, user(database).id)[0].expired


@pytest.mark.parametrize("name, days, field", [("", 90, "name"), ("x" * 101, 90, "name"), ("ok", 0, "days"),
                                               ("ok", 367, "days")])
def test_a_token_needs_a_name_and_a_sensible_life(database, name, days, field):
    with pytest.raises(AccountError) as refused:
        accounts.new_token(database, "data@camden.example", name=name, days=days)
    assert refused.value.field == field


def test_only_its_owner_or_an_admin_revokes_a_token(database):
    other = accounts.add_user(database, "data@westminster.example", "la", la_code="213", password=PASSWORD)
    token = accounts.new_token(database, "data@camden.example", name="Case system")
    [listed] = accounts.list_tokens(database, user(database).id)
    assert accounts.revoke_token(database, listed.id, owner=other.id) is None        # someone else's: nothing
    assert accounts.user_for_token(database, token) is not None
    assert accounts.revoke_token(database, listed.id, owner=user(database).id).name == "Case system"
    assert accounts.user_for_token(database, token) is None
    assert accounts.revoke_token(database, listed.id) is None


def test_a_database_from_before_token_expiry_gets_the_columns_and_old_tokens_an_end(tmp_path):
    path = tmp_path / "web.sqlite"
    with sqlite3.connect(path) as con:
        con.executescript("""
            CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE COLLATE NOCASE, role TEXT NOT NULL,
                la_code TEXT, region_code TEXT, password_hash TEXT, active INTEGER NOT NULL DEFAULT 1,
                created_at TEXT NOT NULL);
            CREATE TABLE tokens (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),
                token_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL);
            INSERT INTO users VALUES (1, 'old@x.example', 'dfe', NULL, NULL, NULL, 1, '2026-01-01T00:00:00+00:00');
            INSERT INTO tokens VALUES (1, 1, 'abc', '2026-01-01T00:00:00+00:00');""")
    con.close()
    db.initialise(path)
    db.initialise(path)                     # twice: nothing more to do
    [old] = accounts.list_tokens(path, 1)
    assert old.name == "API token" and old.expires_at == dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
