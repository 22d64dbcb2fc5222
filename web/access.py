"""Who may see what (data-contract §6), in one place: the roles a route allows, declared on the route,
and which region, LA status rows and submissions a user may see.

Every route declares its rule on itself: `user=Depends(Allow(role, …))` for pages,
`Depends(Allow(…, api=True))` for the API, `@anyone` for what needs no account (sign-in, the health
check, static assets); `tests/web/test_access.py` walks every route and fails one that declares
none. Signed out, a page redirects to sign-in and the API answers 401; signed in without the role,
or asking for another council's submission or another region, the answer is 404, so nothing
reveals what exists.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from fastapi import HTTPException, Request

from pipeline.core.contract import Quarter
from pipeline.core.reference import REGIONS
from pipeline.warehouse import queries
from web import db, submissions
from web.accounts import User
from web.roles import ROLES
from web.sessions import request_user

ANYONE = "anyone"


class SignInRequired(Exception):
    """A page was asked for without a session: the handler redirects to sign-in."""

    def __init__(self, next_url: str):
        self.next_url = next_url


class Allow:
    """A route's dependency naming the roles that may use it; returns the signed-in `User`.

    Raises ValueError when made with no role or one not in `ROLES`; on a request, SignInRequired
    (a page signed out), HTTPException 401 (the API signed out) or 404 (a role not named).
    """

    def __init__(self, *roles: str, api: bool = False):
        unknown = set(roles) - set(ROLES)
        if not roles or unknown:
            raise ValueError(f"name the roles allowed (from {ROLES}), not {roles}")
        self.roles, self.api = roles, api

    def __call__(self, request: Request) -> User:
        user = request_user(request, bearer=self.api)
        if user is None:
            if self.api:
                raise HTTPException(401, "Sign in or send a valid API token (Authorization: Bearer …).",
                                    headers={"WWW-Authenticate": "Bearer"})
            raise SignInRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        request.state.user = user
        if user.role not in self.roles:
            raise HTTPException(404)
        return user


def anyone(endpoint):
    """Declare a route anyone may use, signed in or not (sign-in, the health check, static assets)."""
    endpoint.access = ANYONE
    return endpoint


def region_or_404(user: User, region: str) -> str:
    """The region code if `user` may see that region (a riia user: only their own); else 404."""
    if region not in REGIONS or (user.role == "riia" and region != user.region_code):
        raise HTTPException(404)
    return region


def visible_regions(user: User) -> dict[str, str]:
    """Region code -> name of the regions `user` may see: a riia user's own, all for others."""
    return {code: name for code, name in REGIONS.items() if user.role != "riia" or code == user.region_code}


def visible_status(user: User, quarter: Quarter, rows: pd.DataFrame | None = None) -> pd.DataFrame:
    """The `status` rows (every LA's, read when not given) `user` may see: a riia user's region, every
    LA for dfe and admin, an la user's own LA."""
    rows = queries.status(quarter) if rows is None else rows
    if user.role == "riia":
        rows = rows[rows["region_code"] == user.region_code]
    elif user.role == "la":
        rows = rows[rows["la_code"] == user.la_code]
    return rows.reset_index(drop=True)


def may_see_submission(user: User, sub: submissions.Submission | None) -> bool:
    """An `la` user sees their LA's submissions (and their own uploads), `dfe` every one; nobody else.
    A return refused as another LA's (not recorded) is seen only by the user who uploaded it."""
    if sub is None:
        return False
    if user.role == "la":
        return sub.user_id == user.id or (sub.la_code is not None and sub.la_code == user.la_code
                                          and sub.ledger_status != submissions.NOT_RECORDED)
    return user.role == "dfe"


def submission_or_404(request: Request, user: User, sid: int) -> submissions.Submission:
    """The submission if `user` may see it; another's (or none) is 404 alike."""
    sub = submissions.get(request.app.state.settings.database, sid)
    if not may_see_submission(user, sub):
        raise HTTPException(404)
    return sub


def council_submissions(database: Path, user: User, limit: int = 200) -> list[submissions.Submission]:
    """What an `la` user may see of the service's answers (`may_see_submission` as a query), newest
    first: their own uploads and their LA's recorded ones."""
    with db.reading(database) as con:
        rows = con.execute("SELECT * FROM submissions WHERE user_id = ? OR (la_code = ? AND ledger_status != ?) "
                           "ORDER BY id DESC LIMIT ?", (user.id, user.la_code, submissions.NOT_RECORDED, limit))
        return [submissions.from_row(r) for r in rows]
