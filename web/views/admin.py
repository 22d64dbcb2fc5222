"""Admin pages: users (add with an emailed invitation, one user's sessions and tokens, disable after a
confirmation, re-enable, sign out everywhere, revoke a token), the quarter being collected, build and
rebuild (the CLI's own functions), and the audit log."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from pipeline.core import calendar
from pipeline.core.contract import Quarter
from pipeline.core.reference import REGIONS
from pipeline.warehouse import maintenance
from web import accounts, audit, collection, links, mailing
from web.access import Allow
from web.filters import counted
from web.pages import render
from web.roles import ROLES
from web.session_store import Lifetime, end_sessions, live_sessions
from web.sessions import check_csrf, client_address, flash, flashed

router = APIRouter()
ADMIN = Allow("admin")


@router.get("/admin/users")
def users_page(request: Request, user=Depends(ADMIN)):
    return _users(request, errors={}, form={}, done=flashed(request))


def _users(request: Request, errors: dict, form: dict, status_code: int = 200, done: str | None = None,
           warning: str | None = None):
    return render(request, "views/admin/users.html", status_code, users=accounts.list_users(
        request.app.state.settings.database), errors=errors, form=form, regions=REGIONS, roles=ROLES,
        done=done, warning=warning, error_title=bool(errors))


@router.post("/admin/users")
def add_user(request: Request, user=Depends(ADMIN), email: str = Form(""), role: str = Form(""),
             la_code: str = Form(""), region_code: str = Form(""), csrf_token: str = Form("")):
    """An admin makes the account and the service emails its owner an invitation to set a password (a
    password never travels through any form but its owner's)."""
    check_csrf(request, csrf_token)
    settings = request.app.state.settings
    form = {"email": email, "role": role, "la_code": la_code, "region_code": region_code}
    try:
        made = accounts.add_user(settings.database, email, role, la_code=la_code.strip() or None,
                                 region_code=region_code or None)
    except accounts.AccountError as exc:
        return _users(request, {exc.field: str(exc)}, form, 400)
    address = client_address(request)
    audit.record(settings.database, audit.USER_ADDED, user.email, f"{made.email} as {made.role} ({made.scope})",
                 address)
    not_sent = mailing.send_invitation(settings, made, user.email, address)
    if not_sent:
        return _users(request, {}, {}, warning=f"Added {made.email} ({made.role}, {made.scope}), but the invitation "
                                               f"was not sent. {not_sent}. Then send it again from their page.")
    return _users(request, {}, {}, done=f"Added {made.email} ({made.role}, {made.scope}) and sent them an invitation "
                                        f"to set their password. The link works for {links.INVITATION_DAYS} days.")


def _user_or_404(request: Request, user_id: int) -> accounts.User:
    found = accounts.get_user(request.app.state.settings.database, user_id) if 0 < user_id < 2 ** 63 else None
    if found is None:
        raise HTTPException(404)
    return found


@router.get("/admin/users/{user_id}")
def user_page(request: Request, user_id: int, user=Depends(ADMIN)):
    """One user: what the account covers, its sessions and API tokens, and what an admin may do to it."""
    return _user(request, _user_or_404(request, user_id), done=flashed(request))


def _user(request: Request, who: accounts.User, status_code: int = 200, done: str | None = None,
          warning: str | None = None):
    settings = request.app.state.settings
    return render(request, "views/admin/user.html", status_code, who=who,
                  tokens=accounts.list_tokens(settings.database, who.id),
                  sessions=live_sessions(settings.database, who.id,
                                         Lifetime(settings.session_idle_minutes, settings.session_hours)),
                  done=done, warning=warning)


def _back_to(request: Request, who: accounts.User, message: str):
    flash(request, message)
    return RedirectResponse(f"/admin/users/{who.id}", status_code=303)


@router.get("/admin/users/{user_id}/disable")
def disable_page(request: Request, user_id: int, user=Depends(ADMIN)):
    """Are you sure? Disabling ends the user's sessions and API tokens."""
    who = _user_or_404(request, user_id)
    if who.id == user.id or not who.active:
        raise HTTPException(404)
    return render(request, "views/admin/disable.html", who=who)


@router.post("/admin/users/{user_id}/disable")
def disable_user(request: Request, user_id: int, user=Depends(ADMIN), csrf_token: str = Form("")):
    check_csrf(request, csrf_token)
    who = _user_or_404(request, user_id)
    if who.id == user.id:
        raise HTTPException(404)
    gone = accounts.disable_user(request.app.state.settings.database, who.email)
    audit.record(request.app.state.settings.database, audit.USER_DISABLED, user.email, gone.email,
                 client_address(request))
    return _back_to(request, gone, f"{gone.email} has been disabled: they are signed out and their API tokens "
                                   "revoked. Re-enable the account to let them sign in again.")


@router.post("/admin/users/{user_id}/enable")
def enable_user(request: Request, user_id: int, user=Depends(ADMIN), csrf_token: str = Form("")):
    check_csrf(request, csrf_token)
    who = accounts.enable_user(request.app.state.settings.database, _user_or_404(request, user_id).email)
    audit.record(request.app.state.settings.database, audit.USER_ENABLED, user.email, who.email,
                 client_address(request))
    return _back_to(request, who, f"{who.email} has been re-enabled and can sign in with their password.")


@router.post("/admin/users/{user_id}/sign-out")
def sign_out_everywhere(request: Request, user_id: int, user=Depends(ADMIN), csrf_token: str = Form("")):
    check_csrf(request, csrf_token)
    who = _user_or_404(request, user_id)
    ended = end_sessions(request.app.state.settings.database, who.id)
    audit.record(request.app.state.settings.database, audit.SIGNED_OUT_EVERYWHERE, user.email,
                 f"{who.email}: {counted(ended, 'session')}", client_address(request))
    return _back_to(request, who, f"{who.email} has been signed out everywhere ({counted(ended, 'session')} ended).")


@router.post("/admin/users/{user_id}/invitation")
def invite_again(request: Request, user_id: int, user=Depends(ADMIN), csrf_token: str = Form("")):
    check_csrf(request, csrf_token)
    settings = request.app.state.settings
    who = _user_or_404(request, user_id)
    if not who.active:
        raise HTTPException(404)
    not_sent = mailing.send_invitation(settings, who, user.email, client_address(request))
    if not_sent:
        return _user(request, who, 503, warning=f"The invitation was not sent. {not_sent}.")
    return _back_to(request, who, f"A new invitation has been sent to {who.email}; any earlier link no longer works.")


@router.post("/admin/users/{user_id}/tokens/{token_id}/revoke")
def revoke_token(request: Request, user_id: int, token_id: int, user=Depends(ADMIN), csrf_token: str = Form("")):
    check_csrf(request, csrf_token)
    who = _user_or_404(request, user_id)
    gone = accounts.revoke_token(request.app.state.settings.database, token_id, owner=who.id) \
        if 0 < token_id < 2 ** 63 else None
    if gone is None:
        raise HTTPException(404)
    audit.record(request.app.state.settings.database, audit.TOKEN_REVOKED, user.email, f"{who.email}: {gone.name}",
                 client_address(request))
    return _back_to(request, who, f"The token ‘{gone.name}’ of {who.email} has been revoked.")


@router.get("/admin/collection")
def collection_page(request: Request, user=Depends(ADMIN)):
    database = request.app.state.settings.database
    current = collection.collecting_quarter(database)
    return render(request, "views/admin/collection.html", quarter=current,
                  quarters=calendar.collection_quarters(), message=None)


def offered_quarter(text) -> Quarter:
    """A quarter the admin lists offer (first collected up to the one just ended); else 400."""
    q = Quarter.parse(text)
    if q not in calendar.collection_quarters():
        raise HTTPException(400, f"Choose a quarter from {calendar.first_quarter()} up to the quarter just ended.")
    return q


@router.post("/admin/collection")
def set_collection(request: Request, user=Depends(ADMIN), quarter: str = Form(""), csrf_token: str = Form("")):
    check_csrf(request, csrf_token)
    q = offered_quarter(quarter)
    collection.set_collecting_quarter(request.app.state.settings.database, q)
    audit.record(request.app.state.settings.database, audit.COLLECTING, user.email, str(q), client_address(request))
    return RedirectResponse("/admin/collection", status_code=303)


@router.post("/admin/build")
async def build(request: Request, user=Depends(ADMIN)):
    """`agency-return build --quarter Q`, the same function."""
    form = await request.form()
    check_csrf(request, form.get("csrf_token"))
    q = offered_quarter(form.get("quarter"))
    from pipeline.outputs.build import build_quarter
    summary = await run_in_threadpool(build_quarter, q)
    audit.record(request.app.state.settings.database, audit.BUILD, user.email,
                 f"{q}: {summary.las_accepted} of {counted(summary.las_live, 'LA')} accepted", client_address(request))
    return _done(request, f"Built {q}: {summary.las_accepted} of {counted(summary.las_live, 'LA')} accepted; "
                          f"{counted(len(summary.files), 'file')}.")


@router.post("/admin/rebuild")
async def rebuild(request: Request, user=Depends(ADMIN)):
    """`agency-return rebuild`, the same function."""
    form = await request.form()
    check_csrf(request, form.get("csrf_token"))
    message = await run_in_threadpool(maintenance.rebuild)
    audit.record(request.app.state.settings.database, audit.REBUILD, user.email, message.split(" from ")[-1],
                 client_address(request))
    return _done(request, message)


def _done(request: Request, message: str):
    database = request.app.state.settings.database
    current = collection.collecting_quarter(database)
    return render(request, "views/admin/collection.html", quarter=current,
                  quarters=calendar.collection_quarters(), message=message)


@router.get("/admin/audit")
def audit_page(request: Request, user=Depends(ADMIN)):
    return render(request, "views/admin/audit.html", entries=audit.entries(request.app.state.settings.database))
