"""Who is behind a request and what their session holds: the signed-in user (the server-side session
of `web.session_store`, or an API token), signing in and out, CSRF tokens, the client's address. What the
user may then see is `web.access`."""
from __future__ import annotations

import secrets

from fastapi import HTTPException, Request

from web import accounts, db
from web.accounts import User

SESSION_USER, SESSION_CSRF, SESSION_FLASH = "uid", "csrf", "flash"
CSRF_FIELD, CSRF_HEADER = "csrf_token", "x-csrf-token"


def request_user(request: Request, *, bearer: bool = False) -> User | None:
    """The active user behind the request's session cookie (or, with `bearer`, its API token)."""
    database = request.app.state.settings.database
    header = request.headers.get("authorization", "")
    if bearer and header.lower().startswith("bearer "):
        request.state.by_token = True
        return accounts.user_for_token(database, header[7:].strip())
    uid = request.session.get(SESSION_USER)
    if uid is None:
        return None
    user = accounts.get_user(database, int(uid))
    if user is None or not user.active:
        request.session.clear()
        return None
    return user


def csrf_token(request: Request) -> str:
    """This session's CSRF token (made on first use); every form carries it."""
    token = request.session.get(SESSION_CSRF)
    if not token:
        token = request.session[SESSION_CSRF] = secrets.token_urlsafe(32)
    return token


def check_csrf(request: Request, sent: str | None) -> None:
    """Refuse a cookie-authenticated form whose token is missing or wrong (403).

    A request authenticated by a bearer token carries no cookie a third party could ride on.
    """
    if getattr(request.state, "by_token", False):
        return
    sent = sent or request.headers.get(CSRF_HEADER)
    expected = request.session.get(SESSION_CSRF)
    if not sent or not expected or not secrets.compare_digest(sent, expected):
        raise HTTPException(403, "The form had expired or did not come from this service. Go back, reload the page "
                                 "and try again.")


def sign_in(request: Request, user: User) -> None:
    """Start a fresh session for `user`: a new session id and CSRF token, nothing kept from before (an id
    someone knew before sign-in is worth nothing after)."""
    request.session.clear()
    request.session.renew()
    request.session[SESSION_USER] = user.id
    csrf_token(request)


def sign_out(request: Request, user: User) -> None:
    """End every session and API token of `user` (this browser's and any other's, contract section 6:
    "sign-out and password change end every session and API token of that user"); the cookie is taken
    away."""
    database = request.app.state.settings.database
    with db.connect(database) as con:
        accounts.end_everything(database, user.id, con=con)
    request.session.clear()


def flash(request: Request, text: str) -> None:
    """Keep a success message for the next page this session shows (after a redirect)."""
    request.session[SESSION_FLASH] = text


def flashed(request: Request) -> str | None:
    """The message kept by `flash`, once."""
    return request.session.pop(SESSION_FLASH, None)


def client_address(request: Request) -> str | None:
    """The client's address as uvicorn sees it (the proxy's X-Forwarded-For when started with proxy headers)."""
    return request.client.host if request.client else None
