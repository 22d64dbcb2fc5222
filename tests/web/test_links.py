"""Single-use links (`web.links`): invitations and password resets work once, until they expire, for an
active user; a newer link voids the older one."""
from __future__ import annotations

import datetime as dt

import pytest

from web import accounts, db, links
from web.accounts import AccountError


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "web.sqlite"
    db.initialise(path)
    accounts.add_user(path, "new@camden.example", "la", la_code="202")
    return path


def token_of(path: str) -> str:
    return path.rsplit("/", 1)[1]


def test_an_invitation_sets_the_password_once(database):
    new = accounts.find_user(database, "new@camden.example")
    path, expires = links.new_link(database, new, links.INVITATION)
    assert path.startswith("/account/invitation/")
    assert expires - dt.datetime.now(dt.UTC) > dt.timedelta(days=6, hours=23)
    token = token_of(path)
    assert links.link_user(database, token, links.INVITATION) == new
    assert links.link_user(database, token, links.RESET) is None          # a link is for one purpose
    with pytest.raises(AccountError):
        links.use_link(database, token, links.INVITATION, "short")
    assert links.use_link(database, token, links.INVITATION, "a long enough passphrase") == new
    assert accounts.authenticate(database, "new@camden.example", "a long enough passphrase")
    assert links.link_user(database, token, links.INVITATION) is None
    assert links.use_link(database, token, links.INVITATION, "another long passphrase") is None


def test_a_reset_link_expires_and_a_newer_one_voids_the_older(database):
    new = accounts.find_user(database, "new@camden.example")
    first, _ = links.new_link(database, new, links.RESET)
    second, expires = links.new_link(database, new, links.RESET)
    assert expires - dt.datetime.now(dt.UTC) <= dt.timedelta(minutes=links.RESET_MINUTES)
    assert links.link_user(database, token_of(first), links.RESET) is None
    assert links.link_user(database, token_of(second), links.RESET) == new
    assert links.link_user(database, token_of(second), links.RESET, now=expires) is None
    assert links.use_link(database, token_of(second), links.RESET, "a long enough passphrase", now=expires) is None


def test_a_disabled_users_link_does_nothing(database):
    new = accounts.find_user(database, "new@camden.example")
    path, _ = links.new_link(database, new, links.INVITATION)
    accounts.disable_user(database, "new@camden.example")
    assert links.link_user(database, token_of(path), links.INVITATION) is None
    assert links.use_link(database, token_of(path), links.INVITATION, "a long enough passphrase") is None
