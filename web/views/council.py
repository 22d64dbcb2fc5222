"""Council pages: upload a return, see its findings, download the feedback workbook and the
template, the LA's returns and their status per quarter."""
from __future__ import annotations

import tempfile
from collections import defaultdict
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from pipeline.core.findings import ERROR, QUERY
from web import access, audit, collection, returns, submissions
from web.access import Allow
from web.pages import render
from web.receiving import receive
from web.sessions import client_address

router = APIRouter()
COUNCIL = Allow("la")
READERS = Allow("la", "dfe")


@router.get("/upload")
def upload_page(request: Request, user=Depends(COUNCIL)):
    quarter = collection.collecting_quarter(request.app.state.settings.database)
    return render(request, "views/council/upload.html", quarter=quarter, problem=None)


@router.post("/upload")
async def upload(request: Request, user=Depends(COUNCIL)):
    received = await receive(request, user)
    if received.problem:
        quarter = collection.collecting_quarter(request.app.state.settings.database)
        return render(request, "views/council/upload.html", 400, quarter=quarter, problem=received.problem,
                      error_title=True)
    return RedirectResponse(f"/submissions/{received.submission.id}", status_code=303)


@router.get("/submissions/{sid:int}")
def submission_page(request: Request, sid: int, user=Depends(READERS)):
    sub = access.submission_or_404(request, user, sid)
    findings = [{**f, "anchor": f"finding-{i}"} for i, f in enumerate(sub.answer.get("findings", []), start=1)]
    by_sheet = defaultdict(list)
    for f in findings:
        if f["severity"] == ERROR:
            by_sheet[f["sheet"] or "The file"].append(f)
    return render(request, "views/council/submission.html", sub=sub, answer=sub.answer,
                  errors=[f for f in findings if f["severity"] == ERROR], errors_by_sheet=dict(by_sheet),
                  outstanding=[f for f in findings if f["severity"] == QUERY and not f.get("explained")],
                  explained=[f for f in findings if f["severity"] == QUERY and f.get("explained")],
                  compliance=sub.answer.get("compliance", []), agreement=sub.answer.get("agreement", []),
                  other_la=any(f["code"] == "E009" for f in findings))


@router.get("/submissions/{sid:int}/feedback.xlsx")
def feedback_workbook(request: Request, sid: int, user=Depends(READERS)):
    return feedback_download(request, user, sid)


def feedback_download(request: Request, user, sid: int, how: str = "page") -> FileResponse:
    """The feedback workbook of a submission `user` may see (404 otherwise, or if none was kept), made on
    its first download (`submissions.feedback_workbook`); audited."""
    sub = access.submission_or_404(request, user, sid)
    workbook = submissions.feedback_workbook(sub)
    if workbook is None:
        raise HTTPException(404, "There is no feedback workbook for this upload: the file was not kept.")
    audit.record(request.app.state.settings.database, audit.DOWNLOAD, user.email,
                 f"feedback workbook of submission {sid} (LA {sub.la_code or '?'}) by {how}", client_address(request))
    return FileResponse(workbook, filename=f"{sub.la_code or 'return'}_{sub.quarter or 'quarter'}_feedback.xlsx",
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@router.get("/submissions")
async def submissions_page(request: Request, user=Depends(COUNCIL)):
    """The LA's returns as the warehouse holds them (`web.returns`), however they were sent."""
    settings = request.app.state.settings
    quarter = collection.collecting_quarter(settings.database)
    mine = await run_in_threadpool(access.council_submissions, settings.database, user)
    quarters, others = await run_in_threadpool(returns.for_la, user.la_code, quarter, mine)
    return render(request, "views/council/submissions.html", quarter=quarter, quarters=quarters, others=others)


@router.get("/template")
def template_page(request: Request, user=Depends(COUNCIL)):
    quarter = collection.collecting_quarter(request.app.state.settings.database)
    return render(request, "views/council/template.html", quarter=quarter)


@router.get("/template.xlsx")
async def template_workbook(request: Request, user=Depends(COUNCIL)):
    from pipeline.outputs.template import write_template
    quarter = collection.collecting_quarter(request.app.state.settings.database)
    folder = Path(tempfile.mkdtemp(prefix="template-"))
    path = await run_in_threadpool(write_template, folder / "template.xlsx", quarter, user.la_code)
    data = path.read_bytes()
    path.unlink()
    folder.rmdir()
    audit.record(request.app.state.settings.database, audit.DOWNLOAD, user.email,
                 f"template for LA {user.la_code} {quarter}", client_address(request))
    return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{user.la_code}_{quarter}.xlsx"'})
