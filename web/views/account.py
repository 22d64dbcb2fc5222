"""A user's own account: the account page, changing the password, API tokens (make one, shown once;
see and revoke them), and the pages behind the emailed single-use links: setting a password from an
invitation, asking for a reset and resetting."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse

from web import accounts, audit, links, mailing
from web.access import Allow, anyone
from web.pages import render
from web.roles import ROLES
from web.sessions import check_csrf, client_address, flash, flashed, sign_in

router = APIRouter()
SIGNED_IN = Allow(*ROLES)
RESETS_AN_HOUR = 3


@router.get("/account")
def account_page(request: Request, user=Depends(SIGNED_IN)):
    return render(request, "views/account/account.html", done=flashed(request))


@router.get("/account/password")
def password_page(request: Request, user=Depends(SIGNED_IN)):
    return render(request, "views/account/password.html", errors={})


@router.post("/account/password")
def change_password(request: Request, user=Depends(SIGNED_IN), current_password: str = Form(""),
                    new_password: str = Form(""), csrf_token: str = Form("")):
    """The current password and a new one; every session and API token of the user ends, and this browser
    goes on in a fresh session."""
    check_csrf(request, csrf_token)
    settings = request.app.state.settings
    errors = accounts.change_password(settings.database, user, current_password, new_password)
    if errors:
        return render(request, "views/account/password.html", 400, errors=errors, error_title=True)
    audit.record(settings.database, audit.PASSWORD_CHANGED, user.email, "every session and API token ended",
                 client_address(request))
    mailing.send_password_changed(settings, user, client_address(request))
    sign_in(request, user)
    flash(request, "Your password has been changed. Anywhere else you were signed in has been signed out, "
                    "and your API tokens have been revoked.")
    return RedirectResponse("/account", status_code=303)


@router.get("/account/tokens")
def tokens_page(request: Request, user=Depends(SIGNED_IN)):
    return _tokens(request, user, done=flashed(request))


def _tokens(request: Request, user, status_code: int = 200, **context):
    settings = request.app.state.settings
    context = {"errors": {}, "form": {}, "new_token": None, "done": None, **context}
    return render(request, "views/account/tokens.html", status_code, tokens=accounts.list_tokens(
        settings.database, user.id), default_days=settings.token_days, error_title=bool(context["errors"]), **context)


@router.post("/account/tokens")
def make_token(request: Request, user=Depends(SIGNED_IN), name: str = Form(""), days: str = Form(""),
               csrf_token: str = Form("")):
    """A new token, shown on this answer only (the service keeps its hash)."""
    check_csrf(request, csrf_token)
    settings = request.app.state.settings
    form = {"name": name, "days": days}
    try:
        lasting = int(days) if days.strip() else settings.token_days
    except ValueError:
        return _tokens(request, user, 400, errors={"days": "Enter the number of days as a whole number, like 90"},
                       form=form)
    try:
        token = accounts.new_token(settings.database, user.email, name=name, days=lasting)
    except accounts.AccountError as exc:
        return _tokens(request, user, 400, errors={exc.field: str(exc)}, form=form)
    audit.record(settings.database, audit.TOKEN_ISSUED, user.email, f"{' '.join(name.split())}, {lasting} days",
                 client_address(request))
    return _tokens(request, user, new_token=token)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(request: Request, token_id: int, user=Depends(SIGNED_IN), csrf_token: str = Form("")):
    check_csrf(request, csrf_token)
    settings = request.app.state.settings
    gone = accounts.revoke_token(settings.database, token_id, owner=user.id) if 0 < token_id < 2 ** 63 else None
    if gone is None:
        raise HTTPException(404)
    audit.record(settings.database, audit.TOKEN_REVOKED, user.email, gone.name, client_address(request))
    flash(request, f"The token ‘{gone.name}’ has been revoked: it no longer works.")
    return RedirectResponse("/account/tokens", status_code=303)


# The single-use links: anyone holding one may use it once; what it says never shows whether an email exists.

PURPOSES = {"invitation": links.INVITATION, "reset": links.RESET}
SET = "set"     # /account/<purpose>/set: the form, the link's token kept in the session
HEADINGS = {links.INVITATION: "Set your password", links.RESET: "Reset your password"}


@router.get("/account/{purpose}/{token}")
@anyone
def link_page(request: Request, purpose: str, token: str):
    """An emailed link: its token moves into the session and the browser to `/account/<purpose>/set`, so the
    token is not left in the address bar, the history or a Referer (as Django's password reset does)."""
    kind = PURPOSES.get(purpose)
    if kind and token != SET:
        if links.link_user(request.app.state.settings.database, token, kind) is None:
            return _link_dead(request, kind)
        request.session[f"link_{kind}"] = token
        return RedirectResponse(f"/account/{purpose}/{SET}", status_code=303)
    token = request.session.get(f"link_{kind}") if kind else None
    user = links.link_user(request.app.state.settings.database, token, kind) if token else None
    if user is None:
        return _link_dead(request, kind)
    return render(request, "views/account/set-password.html", heading=HEADINGS[kind], email=user.email, errors={},
                  action=request.url.path)


@router.post("/account/{purpose}/set")
@anyone
def use_link(request: Request, purpose: str, new_password: str = Form(""), confirm_password: str = Form(""),
             csrf_token: str = Form("")):
    check_csrf(request, csrf_token)
    settings = request.app.state.settings
    kind = PURPOSES.get(purpose)
    token = request.session.get(f"link_{kind}") if kind else None
    user = links.link_user(settings.database, token, kind) if token else None
    if user is None:
        return _link_dead(request, kind)
    errors = {}
    if new_password != confirm_password:
        errors["confirm_password"] = "The passwords do not match: enter the same password twice"
    else:
        try:
            user = links.use_link(settings.database, token, kind, new_password)
        except accounts.AccountError as exc:
            errors["new_password"] = str(exc)
    if errors:
        return render(request, "views/account/set-password.html", 400, heading=HEADINGS[kind], email=user.email,
                      errors=errors, action=request.url.path, error_title=True)
    request.session.pop(f"link_{kind}", None)
    if user is None:
        return _link_dead(request, kind)
    audit.record(settings.database, audit.PASSWORD_SET, user.email, f"by {purpose} link", client_address(request))
    if kind == links.RESET:
        mailing.send_password_changed(settings, user, client_address(request))
    return render(request, "views/account/notice.html", heading="Your password has been set",
                  paragraphs=["You can now sign in with your email address and new password."],
                  link=("/sign-in", "Sign in"), panel=True)


def _link_dead(request: Request, kind: str | None):
    again = ("Ask your administrator to send you a new invitation." if kind == links.INVITATION else
             "You can ask for a new link.")
    return render(request, "views/account/notice.html", 404, heading="This link has expired or has been used",
                  paragraphs=["Each link works once, for a limited time.", again],
                  link=("/account/reset", "Reset your password") if kind != links.INVITATION else None, panel=False)


@router.get("/account/reset")
@anyone
def reset_page(request: Request):
    return render(request, "views/account/reset.html", errors={}, email="")


@router.post("/account/reset")
@anyone
def ask_reset(request: Request, email: str = Form(""), csrf_token: str = Form("")):
    """Email a reset link to an active user with that address; the same answer whether or not there is one."""
    check_csrf(request, csrf_token)
    settings = request.app.state.settings
    if not email.strip() or "@" not in email:
        return render(request, "views/account/reset.html", 400, email=email, error_title=True,
                      errors={"email": "Enter an email address in the correct format, like name@example.com"})
    user = accounts.find_user(settings.database, email)
    if user is not None and user.active and \
            audit.count_recent(settings.database, audit.RESET_SENT, user.email, minutes=60) < RESETS_AN_HOUR:
        mailing.send_reset(settings, user, client_address(request))
    return render(request, "views/account/notice.html", heading="Check your email",
                  paragraphs=[(f"If {email.strip()} has an account on this service, we have sent it a link to reset "
                               f"the password. The link works once and expires in {links.RESET_MINUTES} minutes."),
                              "If no email arrives, check your spam folder or ask your administrator."],
                  link=None, panel=False)
