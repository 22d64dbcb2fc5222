"""Users, roles and API tokens (data-contract §6): Argon2 password hashes, tokens stored hashed."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from pipeline.core.reference import REGIONS, la_any
from web import db
from web.roles import ROLES

_HASHER = PasswordHasher()
# Verifying against this when the email is unknown takes as long as a real check (no timing oracle).
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


class NoSuchUser(LookupError, ValueError):
    """No (active) user with that email: a lookup that failed, and the caller's value to fix."""


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
    several comma-separated for a partnership of regions ('E12000006,E12000004').

    Raises ValueError for a bad role, LA, region, an empty password or an email already used.
    """
    email = email.strip()
    if "@" not in email:
        raise ValueError(f"{email!r} is not an email address")
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if role == "la" and (la_any(la_code or "") is None or la_any(la_code).end is not None):
        raise ValueError(f"an la user needs --la with a live 3-digit DfE LA code, not {la_code!r}")
    regions = list(dict.fromkeys(code.strip() for code in (region_code or "").split(",") if code.strip()))
    if role == "riia" and (not regions or not set(regions) <= set(REGIONS)):
        raise ValueError("a riia user needs --region with a region code (E12000001–E12000009), or several "
                         f"comma-separated, not {region_code!r}")
    region_code = ",".join(regions)
    if password is not None and not password:
        raise ValueError("the password is empty")
    with db.connect(database) as con:
        if con.execute("SELECT 1 FROM users WHERE email = ?", (email,)).fetchone():
            raise ValueError(f"there is already a user {email}")
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
    """Disable a user: their sessions and API tokens stop working at once. Raises NoSuchUser."""
    with db.connect(database) as con:
        row = con.execute("SELECT * FROM users WHERE email = ?", (email.strip(),)).fetchone()
        if row is None:
            raise NoSuchUser(f"no user {email}")
        con.execute("UPDATE users SET active = 0 WHERE id = ?", (row["id"],))
        con.execute("DELETE FROM tokens WHERE user_id = ?", (row["id"],))
        return get_user(database, row["id"], con=con)


def set_password(database: Path, email: str, password: str) -> User:
    """Give a user a new password (Argon2). Raises NoSuchUser for no such user, ValueError for an empty one."""
    if not password:
        raise ValueError("the password is empty")
    with db.connect(database) as con:
        row = con.execute("SELECT id FROM users WHERE email = ?", (email.strip(),)).fetchone()
        if row is None:
            raise NoSuchUser(f"no user {email}")
        con.execute("UPDATE users SET password_hash = ? WHERE id = ?", (_HASHER.hash(password), row["id"]))
        return get_user(database, row["id"], con=con)


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


def new_token(database: Path, email: str) -> str:
    """A new bearer token for an active user; only its SHA-256 is kept. Raises NoSuchUser."""
    user = find_user(database, email)
    if user is None or not user.active:
        raise NoSuchUser(f"no active user {email}")
    token = "ar_" + secrets.token_urlsafe(32)
    with db.connect(database) as con:
        con.execute("INSERT INTO tokens (user_id, token_hash, created_at) VALUES (?, ?, ?)",
                    (user.id, _token_hash(token), _now()))
    return token


def user_for_token(database: Path, token: str) -> User | None:
    """The active user a bearer token belongs to, or None."""
    with db.reading(database) as con:
        row = con.execute("SELECT users.* FROM tokens JOIN users ON users.id = tokens.user_id "
                          "WHERE tokens.token_hash = ? AND users.active = 1", (_token_hash(token),)).fetchone()
        return _user(row)


def _token_hash(token: str) -> str:
    # A token is 256 random bits, so a plain SHA-256 is enough to store it (no dictionary to guess from).
    return hashlib.sha256(token.encode()).hexdigest()
