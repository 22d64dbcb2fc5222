"""Signing in and out, the start page and the health check."""
from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse

from web import accounts, audit, db, throttle
from web.access import Allow, anyone
from web.filters import counted
from web.pages import render
from web.roles import ROLES
from web.sessions import check_csrf, client_address, request_user, sign_in, sign_out

router = APIRouter()
HOME = {"la": "/submissions", "riia": "/analyst/status", "dfe": "/analyst/status", "admin": "/admin/users"}


@router.get("/")
@anyone
def start(request: Request):
    user = request_user(request)
    return RedirectResponse(HOME[user.role] if user else "/sign-in", status_code=303)


@router.get("/healthz")
@anyone
def healthz(request: Request):
    """200 when the service can serve: its database answers."""
    with db.reading(request.app.state.settings.database) as con:
        con.execute("SELECT 1").fetchone()
    return JSONResponse({"status": "ok"})


@router.get("/sign-in")
@anyone
def sign_in_page(request: Request, next: str = "/"):
    return render(request, "views/auth/sign-in.html", next=_local(next), errors={}, email="")


@router.post("/sign-in")
@anyone
def sign_in_form(request: Request, email: str = Form(""), password: str = Form(""), next: str = Form("/"),
                 csrf_token: str = Form("")):
    check_csrf(request, csrf_token)
    settings = request.app.state.settings
    address = client_address(request)
    errors = {}
    if not email.strip():
        errors["email"] = "Enter your email address"
    if not password:
        errors["password"] = "Enter your password"
    if not errors:
        wait = throttle.sign_in_wait(settings.database, email=email, address=address,
                                     free=settings.sign_in_free_failures, cap=settings.sign_in_max_wait_seconds,
                                     window_minutes=settings.sign_in_window_minutes)
        if wait:
            audit.record(settings.database, audit.SIGN_IN_THROTTLED, email.strip(), f"asked to wait {wait} s", address)
            errors["email"] = (f"There have been several failed attempts to sign in. Wait {counted(wait, 'second')} "
                               "and try again")
            response = render(request, "views/auth/sign-in.html", 429, next=_local(next), errors=errors,
                              email=email, error_title=True)
            response.headers["Retry-After"] = str(wait)
            return response
        user = accounts.authenticate(settings.database, email, password)
        if user is not None:
            sign_in(request, user)
            audit.record(settings.database, audit.SIGN_IN, user.email, f"role {user.role}", address)
            target = _local(next)
            return RedirectResponse(target if target != "/" else HOME[user.role], status_code=303)
        audit.record(settings.database, audit.SIGN_IN_FAILED, email.strip(), "wrong email or password", address)
        errors["email"] = "Enter a correct email address and password"
    return render(request, "views/auth/sign-in.html", 400, next=_local(next), errors=errors, email=email,
                  error_title=True)


@router.get("/sign-in/oidc")
@anyone
async def oidc_start(request: Request, next: str = "/"):
    """Off to the identity provider; it comes back to `oidc_callback`."""
    provider = request.app.state.oidc
    if provider is None:
        raise HTTPException(404)
    request.session["oidc_next"] = _local(next)
    return await provider.authorize_redirect(request, str(request.url_for("oidc_callback")))


@router.get("/sign-in/oidc/callback")
@anyone
async def oidc_callback(request: Request):
    """The provider's answer: a verified email that is an active user's signs them in."""
    from authlib.integrations.base_client import OAuthError

    from web import oidc
    provider, settings = request.app.state.oidc, request.app.state.settings
    if provider is None:
        raise HTTPException(404)
    address = client_address(request)
    try:
        token = await provider.authorize_access_token(request)
    except OAuthError as exc:
        audit.record(settings.database, audit.SIGN_IN_FAILED, None, f"identity provider: {exc.error}", address)
        return _oidc_refused(request, f"Signing in with {settings.oidc_name} did not work. Try again")
    email = oidc.verified_email(token)
    user = accounts.find_user(settings.database, email) if email else None
    if user is None or not user.active:
        audit.record(settings.database, audit.SIGN_IN_FAILED, email, "identity provider: no active account", address)
        return _oidc_refused(request, "There is no account for that email address on this service. Ask your "
                                      "administrator to add you")
    target = request.session.get("oidc_next", "/")
    sign_in(request, user)
    audit.record(settings.database, audit.SIGN_IN, user.email, f"role {user.role}, identity provider", address)
    return RedirectResponse(target if target != "/" else HOME[user.role], status_code=303)


def _oidc_refused(request: Request, message: str):
    return render(request, "views/auth/sign-in.html", 400, next="/", errors={"oidc": message}, email="",
                  error_title=True)


@router.post("/sign-out")
def sign_out_form(request: Request, user=Depends(Allow(*ROLES)), csrf_token: str = Form("")):
    """End every session of the user (a copied cookie stops working too), then say so."""
    check_csrf(request, csrf_token)
    sign_out(request, user)
    audit.record(request.app.state.settings.database, audit.SIGN_OUT, user.email, "every session ended",
                 client_address(request))
    return RedirectResponse("/signed-out", status_code=303)


@router.get("/signed-out")
@anyone
def signed_out(request: Request):
    return render(request, "views/auth/signed-out.html")


def _local(target: str) -> str:
    """Only a path on this service may follow sign-in (no open redirect)."""
    parts = urlsplit(target or "/")
    if parts.scheme or parts.netloc or not (target or "/").startswith("/") or target.startswith("//"):
        return "/"
    return target
