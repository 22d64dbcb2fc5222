"""Users, roles and API tokens (data-contract §6): Argon2 password hashes (the policy is
`web.passwords`), tokens stored as their SHA-256 with a name, an expiry and when last used. Changing a
password or disabling a user ends every session (`web.session_store`) and API token of theirs."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from pipeline.core.reference import REGIONS, la_any
from web import db, passwords
from web.roles import ROLES
from web.session_store import end_sessions

_HASHER = PasswordHasher()
# Verifying against this when the email is unknown takes as long as a real check (no timing oracle).
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


class NoSuchUser(LookupError, ValueError):
    """No (active) user with that email: a lookup that failed, and the caller's value to fix."""


class AccountError(ValueError):
    """A value to fix, in plain words, and the `field` it is about (email, role, la_code, region_code,
    password), so a form shows the error beside that field and the command line names its option."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Token:
    """An API token as its owner and admins see it (never the token itself)."""

    id: int
    user_id: int
    name: str
    created_at: dt.datetime
    expires_at: dt.datetime
    last_used_at: dt.datetime | None

    @property
    def expired(self) -> bool:
        return self.expires_at <= dt.datetime.now(dt.timezone.utc)


@dataclass(frozen=True)
class User:
    id: int
    email: str
    role: str
    la_code: str | None
    region_code: str | None   # a riia user's region; a partnership's several, comma-separated
    active: bool

    @property
    def regions(self) -> tuple[str, ...]:
        """The region codes a riia user may see: one, or several for a partnership of regions."""
        return tuple(code for code in (self.region_code or "").split(",") if code)

    @property
    def scope(self) -> str:
        """What the account covers, in words: 'Hammersmith and Fulham (LA 205)', 'London', 'England'."""
        if self.role == "la":
            la = la_any(self.la_code or "")
            return f"{la.name} (LA {self.la_code})" if la else f"LA {self.la_code}"
        if self.role == "riia":
            return ", ".join(REGIONS.get(code, code) for code in self.regions)
        return "England"


def _user(row) -> User | None:
    if row is None:
        return None
    return User(row["id"], row["email"], row["role"], row["la_code"], row["region_code"], bool(row["active"]))


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def add_user(database: Path, email: str, role: str, *, la_code: str | None = None,
             region_code: str | None = None, password: str | None = None) -> User:
    """Create a user. An `la` user needs a live LA code, a `riia` user a region code (E12000001–9), or
    several comma-separated for a partnership of regions ('E12000006,E12000004'); with no `password`
    the user sets one through an invitation (`web.links`).

    Raises AccountError (a ValueError naming the field) for a bad email, role, LA, region or password, or
    an email already used.
    """
    email = email.strip()
    if not email:
        raise AccountError("email", "Enter an email address")
    if "@" not in email.strip("@") or any(c.isspace() for c in email):
        raise AccountError("email", "Enter an email address in the correct format, like name@example.com")
    if role not in ROLES:
        raise AccountError("role", f"Select a role ({', '.join(ROLES)})")
    if role == "la" and (la_any(la_code or "") is None or la_any(la_code).end is not None):
        raise AccountError("la_code", "Enter the 3-digit DfE code of a council that exists today, like 205"
                           if la_code else "Enter the 3-digit DfE code of the council, like 205")
    regions = list(dict.fromkeys(code.strip() for code in (region_code or "").split(",") if code.strip()))
    if role == "riia" and (not regions or not set(regions) <= set(REGIONS)):
        raise AccountError("region_code", "Select the region the analyst works for")
    region_code = ",".join(regions)
    if password is not None and (wrong := passwords.problem(password)):
        raise AccountError("password", wrong)
    with db.connect(database) as con:
        if con.execute("SELECT 1 FROM users WHERE email = ?", (email,)).fetchone():
            raise AccountError("email", f"There is already an account for {email}")
        cur = con.execute(
            "INSERT INTO users (email, role, la_code, region_code, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (email, role, la_code if role == "la" else None, region_code if role == "riia" else None,
             _HASHER.hash(password) if password else None, _now()))
        return get_user(database, cur.lastrowid, con=con)


def get_user(database: Path, user_id: int, *, con=None) -> User | None:
    if con is None:
        with db.reading(database) as con:
            return get_user(database, user_id, con=con)
    return _user(con.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone())


def find_user(database: Path, email: str) -> User | None:
    with db.connect(database) as con:
        return _user(con.execute("SELECT * FROM users WHERE email = ?", (email.strip(),)).fetchone())


def list_users(database: Path) -> list[User]:
    with db.connect(database) as con:
        return [_user(r) for r in con.execute("SELECT * FROM users ORDER BY role, email")]


def disable_user(database: Path, email: str) -> User:
    """Disable a user: their sessions and API tokens end at once. Raises NoSuchUser."""
    with db.connect(database) as con:
        row = con.execute("SELECT * FROM users WHERE email = ?", (email.strip(),)).fetchone()
        if row is None:
            raise NoSuchUser(f"no user {email}")
        con.execute("UPDATE users SET active = 0 WHERE id = ?", (row["id"],))
        end_everything(database, row["id"], con=con)
        return get_user(database, row["id"], con=con)


def enable_user(database: Path, email: str) -> User:
    """Let a disabled user sign in again (with the password they had; their tokens are gone). Raises NoSuchUser."""
    with db.connect(database) as con:
        row = con.execute("SELECT id FROM users WHERE email = ?", (email.strip(),)).fetchone()
        if row is None:
            raise NoSuchUser(f"no user {email}")
        con.execute("UPDATE users SET active = 1 WHERE id = ?", (row["id"],))
        return get_user(database, row["id"], con=con)


def end_everything(database: Path, user_id: int, *, con) -> None:
    """End every session and API token of a user, within `con`'s transaction."""
    end_sessions(database, user_id, con=con)
    con.execute("DELETE FROM tokens WHERE user_id = ?", (user_id,))


def set_password(database: Path, email: str, password: str, *, con=None) -> User:
    """Give a user a new password (Argon2) and end every session and API token they had. Raises NoSuchUser
    for no such user, AccountError for a password the policy refuses (`web.passwords`)."""
    if wrong := passwords.problem(password):
        raise AccountError("password", wrong)
    if con is None:
        with db.connect(database) as con:
            return set_password(database, email, password, con=con)
    row = con.execute("SELECT id FROM users WHERE email = ?", (email.strip(),)).fetchone()
    if row is None:
        raise NoSuchUser(f"no user {email}")
    con.execute("UPDATE users SET password_hash = ? WHERE id = ?", (_HASHER.hash(password), row["id"]))
    end_everything(database, row["id"], con=con)
    return get_user(database, row["id"], con=con)


def change_password(database: Path, user: User, current: str, new: str) -> dict[str, str]:
    """A signed-in user's change of password: {field: error} (empty when it was changed). The current
    password must be right and the new one pass the policy and differ from it; then every session and
    API token of the user ends (the caller starts a fresh session for the browser that asked)."""
    errors = {}
    if not current:
        errors["current_password"] = "Enter your current password"
    elif authenticate(database, user.email, current) is None:
        errors["current_password"] = "Your current password is not correct"
    if wrong := passwords.problem(new):
        errors["new_password"] = wrong
    elif current and new == current:
        errors["new_password"] = "Your new password must be different from your current password"
    if not errors:
        set_password(database, user.email, new)
    return errors


def authenticate(database: Path, email: str, password: str) -> User | None:
    """The active user with this email and password, or None (same work whether or not the email exists).
    The Argon2 check runs outside any transaction: the service's writes do not wait for it."""
    with db.reading(database) as con:
        row = con.execute("SELECT * FROM users WHERE email = ?", (email.strip(),)).fetchone()
    stored = row["password_hash"] if row is not None and row["password_hash"] else _DUMMY_HASH
    try:
        _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None or not row["password_hash"] or not row["active"]:
        return None
    if _HASHER.check_needs_rehash(stored):
        with db.connect(database) as con:
            con.execute("UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?",
                        (_HASHER.hash(password), row["id"], stored))
    return _user(row)


TOKEN_DAYS = 90          # an API token's life unless its maker says otherwise (Settings.token_days)
MAX_TOKEN_DAYS = 366
TOKEN_TOUCH_SECONDS = 60


def new_token(database: Path, email: str, *, name: str = "API token", days: int = TOKEN_DAYS) -> str:
    """A new bearer token for an active user, named `name`, ending after `days` (1–366); only its SHA-256
    is kept, so it is shown once. Raises NoSuchUser, or AccountError for a bad name or number of days."""
    name = " ".join(name.split())
    if not name or len(name) > 100:
        raise AccountError("name", "Enter a name for the token of 100 characters or fewer, like 'Case system'")
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise AccountError("days", f"The token must last between 1 and {MAX_TOKEN_DAYS} days")
    user = find_user(database, email)
    if user is None or not user.active:
        raise NoSuchUser(f"no active user {email}")
    token = "ar_" + secrets.token_urlsafe(32)
    now = dt.datetime.now(dt.timezone.utc)
    with db.connect(database) as con:
        con.execute("INSERT INTO tokens (user_id, token_hash, name, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                    (user.id, _token_hash(token), name, now.isoformat(timespec="seconds"),
                     (now + dt.timedelta(days=days)).isoformat(timespec="seconds")))
    return token


def user_for_token(database: Path, token: str) -> User | None:
    """The active user an unexpired bearer token belongs to, or None; notes when the token was used (at
    most once a minute)."""
    now = dt.datetime.now(dt.timezone.utc)
    with db.reading(database) as con:
        row = con.execute("SELECT users.*, tokens.id AS token_id, tokens.last_used_at FROM tokens "
                          "JOIN users ON users.id = tokens.user_id "
                          "WHERE tokens.token_hash = ? AND users.active = 1 AND tokens.expires_at > ?",
                          (_token_hash(token), now.isoformat(timespec="seconds"))).fetchone()
    if row is None:
        return None
    last = row["last_used_at"]
    if last is None or (now - dt.datetime.fromisoformat(last)).total_seconds() >= TOKEN_TOUCH_SECONDS:
        with db.connect(database) as con:
            con.execute("UPDATE tokens SET last_used_at = ? WHERE id = ?",
                        (now.isoformat(timespec="seconds"), row["token_id"]))
    return _user(row)


def list_tokens(database: Path, user_id: int) -> list[Token]:
    """A user's API tokens, newest first (expired ones too, until revoked)."""
    with db.reading(database) as con:
        rows = con.execute("SELECT * FROM tokens WHERE user_id = ? ORDER BY id DESC", (user_id,)).fetchall()
    when = dt.datetime.fromisoformat
    return [Token(r["id"], r["user_id"], r["name"], when(r["created_at"]), when(r["expires_at"]),
                  when(r["last_used_at"]) if r["last_used_at"] else None) for r in rows]


def revoke_token(database: Path, token_id: int, *, owner: int | None = None) -> Token | None:
    """Revoke one API token (only `owner`'s when given): the token revoked, or None when there is no such
    token (of that owner)."""
    with db.connect(database) as con:
        row = con.execute("SELECT user_id FROM tokens WHERE id = ?", (token_id,)).fetchone()
        if row is None or (owner is not None and row["user_id"] != owner):
            return None
    gone = next(t for t in list_tokens(database, row["user_id"]) if t.id == token_id)
    with db.connect(database) as con:
        con.execute("DELETE FROM tokens WHERE id = ?", (token_id,))
    return gone


def _token_hash(token: str) -> str:
    # A token is 256 random bits, so a plain SHA-256 is enough to store it (no dictionary to guess from).
    return hashlib.sha256(token.encode()).hexdigest()
