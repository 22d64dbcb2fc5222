"""API v1 (data-contract §6): JSON in and out, a bearer token or a session; errors as
`{"error": {"status", "message"}}`."""
from __future__ import annotations

import json

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from pipeline.core import calendar
from pipeline.core.contract import Quarter
from pipeline.outputs.scenarios import cap_scenario, parse_cap
from pipeline.rules.validate import ACCEPTED
from web import access, audit, summaries
from web.access import Allow
from web.receiving import receive
from web.roles import ROLES
from web.sessions import client_address
from web.views.council import feedback_download

router = APIRouter(prefix="/api/v1")
UPLOADERS = Allow("la", api=True)
READERS = Allow("la", "dfe", api=True)
SIGNED_IN = Allow(*ROLES, api=True)
ANALYSTS = Allow("riia", "dfe", api=True)


def quarter_or_422(quarter: str) -> Quarter:
    q = Quarter.parse(quarter)
    if q is None:
        raise HTTPException(422, f"quarter must be written YYYY-Qn, for example 2025-Q2, not {quarter!r}")
    return calendar.check_collected(q)


@router.post("/submissions")
async def create_submission(request: Request, user=Depends(UPLOADERS)):
    """Validate and, with no errors, record: the `validate --json` object plus `id` and `recorded`;
    200 accepted, 422 rejected or unreadable."""
    received = await receive(request, user)
    if received.problem:
        raise HTTPException(422, received.problem)
    answer = received.submission.answer
    return JSONResponse(answer, 200 if answer["status"] == ACCEPTED else 422)


@router.get("/submissions/{sid:int}")
def read_submission(request: Request, sid: int, user=Depends(READERS)):
    sub = access.submission_or_404(request, user, sid)
    return JSONResponse({**sub.answer, "received_at": sub.received_at})


@router.get("/submissions/{sid:int}/feedback.xlsx")
def read_feedback(request: Request, sid: int, user=Depends(READERS)):
    return feedback_download(request, user, sid, how="API")


@router.get("/status")
async def read_status(request: Request, quarter: str, user=Depends(SIGNED_IN)):
    """The `status --json` rows the caller may see."""
    rows = await run_in_threadpool(access.visible_status, user, quarter_or_422(quarter))
    return JSONResponse(json.loads(rows.to_json(orient="records", date_format="iso")))


@router.get("/regions/{region}/summary")
def read_region_summary(request: Request, region: str, quarter: str, user=Depends(ANALYSTS)):
    """The regional summary tables as JSON (a riia user: their region; dfe: any), with `outputs`:
    when they were built and whether they are stale (`summaries.freshness`)."""
    code = access.region_or_404(user, region)
    q = quarter_or_422(quarter)
    if not summaries.built(q):
        raise HTTPException(404, f"No outputs have been built for {q} yet.")
    audit.record(request.app.state.settings.database, audit.DOWNLOAD, user.email,
                 f"regional summary {q} {code} by API", client_address(request))
    outputs = summaries.freshness(q)
    return JSONResponse({"region_code": code, "quarter": str(q), "outputs": outputs, "tables": summaries.as_json(
        summaries.region_tables(q, code))})


@router.get("/scenarios/caps")
async def read_cap_scenario(request: Request, quarter: str, regions: str, cap: list[str] = Query(...),
                            user=Depends(ANALYSTS)):
    """A cap scenario (data-contract §7) over the regions named (comma-separated codes or names; a riia
    user: only theirs, another is 404), one `cap=ROLE:AMOUNT` per role; changes nothing."""
    q = quarter_or_422(quarter)
    codes = access.regions_or_404(user, regions.split(","))
    try:
        caps = dict(parse_cap(text) for text in cap)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    scenario = await run_in_threadpool(cap_scenario, q, codes, caps)
    audit.record(request.app.state.settings.database, audit.DOWNLOAD, user.email,
                 f"cap scenario {q} {','.join(codes)} by API", client_address(request))
    return JSONResponse(scenario)
