"""Server-side sessions (ASVS 3): the cookie carries only a random session id (256 bits, signed with the
service's secret so a made-up id costs no database look-up); what the session holds (the user, the CSRF
token, an identity provider's state) is a row of `sessions` in web.sqlite, keyed by the id's SHA-256 so
the database holds nothing a cookie could be made from.

A session ends after `idle_minutes` without a request, `hours` after it began whatever happens, at
sign-out, and when its user's password changes, the user is disabled or an admin signs them out
everywhere (`end_sessions`). Starlette's `request.session` is the `Session` this middleware puts in the
request's scope, so views and authlib use it as they would the cookie session it replaces.

Why not `starsessions`: its store interface is keyed by the session id with the contents opaque, so
ending every session of one user, the point of keeping sessions on the server, would mean reading and
decoding every stored session; the table here has the user as a column with an index.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from itsdangerous import BadSignature, Signer
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import cookie_parser

from web import db

COOKIE = "agency_return_session"
SESSIONLESS = ("/static/", "/assets/", "/healthz")    # no page here reads a session: no look-up for them
TOUCH_SECONDS = 60        # last_seen_at is written at most once a minute a session


class Session(dict):
    """What a session holds (`request.session`). `renew()` gives it a fresh id when the response is sent:
    done at sign-in and at a password change, so an id known before is worth nothing after."""

    def __init__(self, data: dict | None = None, sid: str | None = None, last_seen: dt.datetime | None = None):
        super().__init__(data or {})
        self.sid, self.last_seen, self.loaded, self.renewed = sid, last_seen, dict(data or {}), False

    def renew(self) -> None:
        self.renewed = True


@dataclass(frozen=True)
class Lifetime:
    """How long a session lasts: `idle_minutes` since its last request, `hours` since it began."""

    idle_minutes: int = 30
    hours: int = 12


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _key(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def load(database: Path, sid: str, lifetime: Lifetime, now: dt.datetime | None = None) -> Session | None:
    """The live session with id `sid`, or None (unknown, ended, idle too long or past its end)."""
    now = now or _now()
    with db.reading(database) as con:
        row = con.execute("SELECT data, last_seen_at, expires_at FROM sessions WHERE id_hash = ?",
                          (_key(sid),)).fetchone()
    if row is None:
        return None
    last_seen = dt.datetime.fromisoformat(row["last_seen_at"])
    if now >= dt.datetime.fromisoformat(row["expires_at"]) or now - last_seen >= dt.timedelta(
            minutes=lifetime.idle_minutes):
        return None
    return Session(json.loads(row["data"]), sid, last_seen)


def save(database: Path, session: Session, lifetime: Lifetime, address: str | None = None,
         now: dt.datetime | None = None) -> str | None:
    """Keep `session` as it stands at the end of a request. Returns the session id the cookie must now
    carry: a new one for a new or renewed session, "" when the cookie must go (an emptied or ended
    session), None when the cookie stays as it is."""
    now = now or _now()
    user_id = session.get("uid")
    if session.sid and (session.renewed or not session):
        with db.connect(database) as con:
            con.execute("DELETE FROM sessions WHERE id_hash = ?", (_key(session.sid),))
        if not session:
            return ""
    if session.sid is None or session.renewed:
        if not session:
            return None
        sid = secrets.token_urlsafe(32)
        with db.connect(database) as con:
            con.execute("DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ?",
                        (_iso(now), _iso(now - dt.timedelta(minutes=lifetime.idle_minutes))))
            con.execute("INSERT INTO sessions (id_hash, user_id, data, created_at, last_seen_at, expires_at, address) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (_key(sid), user_id, json.dumps(dict(session)), _iso(now), _iso(now),
                         _iso(now + dt.timedelta(hours=lifetime.hours)), address))
        return sid
    if dict(session) != session.loaded:
        with db.connect(database) as con:
            con.execute("UPDATE sessions SET data = ?, user_id = ?, last_seen_at = ? WHERE id_hash = ?",
                        (json.dumps(dict(session)), user_id, _iso(now), _key(session.sid)))
    elif session.last_seen is None or (now - session.last_seen).total_seconds() >= TOUCH_SECONDS:
        with db.connect(database) as con:
            con.execute("UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?", (_iso(now), _key(session.sid)))
    return None


def end_sessions(database: Path, user_id: int, *, con=None) -> int:
    """End every session of a user (within `con`'s transaction when given); returns how many there were."""
    if con is None:
        with db.connect(database) as con:
            return end_sessions(database, user_id, con=con)
    return con.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,)).rowcount


def live_sessions(database: Path, user_id: int, lifetime: Lifetime, now: dt.datetime | None = None) -> int:
    """How many sessions of a user are live now."""
    now = now or _now()
    with db.reading(database) as con:
        return con.execute("SELECT count(*) FROM sessions WHERE user_id = ? AND expires_at > ? AND last_seen_at > ?",
                           (user_id, _iso(now), _iso(now - dt.timedelta(minutes=lifetime.idle_minutes)))).fetchone()[0]


class ServerSessions:
    """ASGI middleware: loads the request's session from web.sqlite into `scope["session"]` and keeps it
    when the response starts, setting or clearing the cookie (HttpOnly, SameSite=Lax, Secure behind HTTPS)."""

    def __init__(self, app, *, database: Path, secret_key: str, lifetime: Lifetime, https: bool = False):
        self.app, self.database, self.lifetime, self.https = app, database, lifetime, https
        self.signer = Signer(secret_key, salt="agency-return session id")

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket") or scope["path"].startswith(SESSIONLESS):
            await self.app(scope, receive, send)
            return
        sent = self._cookie(scope)
        session = await run_in_threadpool(load, self.database, sent, self.lifetime) if sent else None
        scope["session"] = session = session or Session()
        address = scope["client"][0] if scope.get("client") else None

        async def send_with_cookie(message):
            if message["type"] == "http.response.start":
                sid = await run_in_threadpool(save, self.database, session, self.lifetime, address)
                if sid is None and sent and session.sid is None:
                    sid = ""          # the cookie named a session that has ended: take it away
                if sid is not None:
                    MutableHeaders(scope=message).append("set-cookie", self._set_cookie(sid))
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _cookie(self, scope) -> str | None:
        for name, value in scope.get("headers", ()):
            if name == b"cookie" and COOKIE in (cookies := cookie_parser(value.decode("latin-1"))):
                try:
                    return self.signer.unsign(cookies[COOKIE]).decode()
                except BadSignature:
                    return None
        return None

    def _set_cookie(self, sid: str) -> str:
        value = self.signer.sign(sid).decode() if sid else ""
        age = self.lifetime.hours * 3600 if sid else 0
        return (f"{COOKIE}={value}; Path=/; Max-Age={age}; HttpOnly; SameSite=Lax"
                + ("; Secure" if self.https else ""))
