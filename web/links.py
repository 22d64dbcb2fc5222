"""Single-use links that let someone set a password without one: an invitation to a new account
(`INVITATION_DAYS`) and a password reset (`RESET_MINUTES`). The link carries 256 random bits; only their
SHA-256 is kept (`account_links`). A link works once, until it expires, for an active user; using one
sets the password (`web.accounts.set_password`: every session and API token of the user ends) and
voids the user's other links of the same kind."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from pathlib import Path

from web import accounts, db
from web.accounts import User

INVITATION, RESET = "invitation", "reset"
INVITATION_DAYS = 7
RESET_MINUTES = 60
PATHS = {INVITATION: "/account/invitation/", RESET: "/account/reset/"}


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def lifetime(purpose: str) -> dt.timedelta:
    return dt.timedelta(days=INVITATION_DAYS) if purpose == INVITATION else dt.timedelta(minutes=RESET_MINUTES)


def new_link(database: Path, user: User, purpose: str, now: dt.datetime | None = None) -> tuple[str, dt.datetime]:
    """A new link for `user` (`INVITATION` or `RESET`): (the path on the service with its token, when it
    expires). The user's earlier unused links of the same kind stop working."""
    now = now or _now()
    token = secrets.token_urlsafe(32)
    expires = now + lifetime(purpose)
    with db.connect(database) as con:
        con.execute("DELETE FROM account_links WHERE user_id = ? AND purpose = ? AND used_at IS NULL",
                    (user.id, purpose))
        con.execute("INSERT INTO account_links (token_hash, user_id, purpose, created_at, expires_at) "
                    "VALUES (?, ?, ?, ?, ?)", (_key(token), user.id, purpose, now.isoformat(timespec="seconds"),
                                               expires.isoformat(timespec="seconds")))
    return PATHS[purpose] + token, expires


def link_user(database: Path, token: str, purpose: str, now: dt.datetime | None = None) -> User | None:
    """The active user a live (unused, unexpired) link of this kind is for, or None."""
    now = now or _now()
    with db.reading(database) as con:
        row = con.execute("SELECT user_id FROM account_links WHERE token_hash = ? AND purpose = ? AND used_at IS NULL "
                          "AND expires_at > ?", (_key(token), purpose, now.isoformat(timespec="seconds"))).fetchone()
    user = accounts.get_user(database, row["user_id"]) if row else None
    return user if user is not None and user.active else None


def use_link(database: Path, token: str, purpose: str, password: str, now: dt.datetime | None = None) -> User | None:
    """Set the password through a live link, once: the user, or None when the link is not live (used,
    expired, unknown, or its user disabled). Raises AccountError for a password the policy refuses (the
    link stays live)."""
    now = now or _now()
    with db.connect(database) as con:
        row = con.execute("SELECT account_links.user_id, users.email FROM account_links "
                          "JOIN users ON users.id = account_links.user_id "
                          "WHERE token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ? "
                          "AND users.active = 1", (_key(token), purpose, now.isoformat(timespec="seconds"))).fetchone()
        if row is None:
            return None
        user = accounts.set_password(database, row["email"], password, con=con)
        con.execute("UPDATE account_links SET used_at = ? WHERE token_hash = ?",
                    (now.isoformat(timespec="seconds"), _key(token)))
        con.execute("DELETE FROM account_links WHERE user_id = ? AND purpose = ? AND used_at IS NULL",
                    (row["user_id"], purpose))
        return user
