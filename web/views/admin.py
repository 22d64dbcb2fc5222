"""Admin pages: users, the quarter being collected, build and rebuild (the CLI's own functions),
and the audit log."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from pipeline.core import calendar
from pipeline.core.contract import Quarter
from pipeline.core.reference import REGIONS
from pipeline.warehouse import maintenance
from web import accounts, audit, collection
from web.access import Allow
from web.filters import counted
from web.pages import render
from web.roles import ROLES
from web.sessions import check_csrf, client_address

router = APIRouter()
ADMIN = Allow("admin")


@router.get("/admin/users")
def users_page(request: Request, user=Depends(ADMIN)):
    return _users(request, errors={}, form={})


def _users(request: Request, errors: dict, form: dict, status_code: int = 200, done: str | None = None):
    return render(request, "views/admin/users.html", status_code, users=accounts.list_users(
        request.app.state.settings.database), errors=errors, form=form, regions=REGIONS, roles=ROLES,
        done=done, error_title=bool(errors))


@router.post("/admin/users")
def add_user(request: Request, user=Depends(ADMIN), email: str = Form(""), role: str = Form(""),
             la_code: str = Form(""), region_code: str = Form(""), csrf_token: str = Form("")):
    """An admin makes the account; its password is set with `agency-return users password EMAIL`
    (a password never travels through a form other than sign-in)."""
    check_csrf(request, csrf_token)
    form = {"email": email, "role": role, "la_code": la_code, "region_code": region_code}
    try:
        made = accounts.add_user(request.app.state.settings.database, email, role, la_code=la_code.strip() or None,
                                 region_code=region_code or None)
    except ValueError as exc:
        return _users(request, {"email": str(exc)[0].upper() + str(exc)[1:]}, form, 400)
    audit.record(request.app.state.settings.database, audit.USER_ADDED, user.email,
                 f"{made.email} as {made.role} ({made.scope})", client_address(request))
    return _users(request, {}, {}, done=f"Added {made.email} ({made.role}, {made.scope}). Set their password with "
                                          f"`agency-return users password {made.email}`, or give them a token with "
                                          f"`agency-return users token {made.email}`.")


@router.post("/admin/users/disable")
def disable_user(request: Request, user=Depends(ADMIN), email: str = Form(""), csrf_token: str = Form("")):
    check_csrf(request, csrf_token)
    try:
        gone = accounts.disable_user(request.app.state.settings.database, email)
    except LookupError:
        raise HTTPException(404)
    audit.record(request.app.state.settings.database, audit.USER_DISABLED, user.email, gone.email,
                 client_address(request))
    return RedirectResponse("/admin/users", status_code=303)


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
