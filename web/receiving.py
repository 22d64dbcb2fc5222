"""One upload from request to answer, the same for the upload page and the API: read the body to
disk under the size limit, check the CSRF token (cookie sessions), judge and record off the event
loop, and always remove what is left of the upload afterwards (`pipeline.warehouse.submit` keeps the raw file;
a recorded upload's file waits for its feedback workbook, `submissions.feedback_workbook`)."""
from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from pipeline.core.contract import Quarter
from web import collection, submissions
from web.accounts import User
from web.sessions import CSRF_FIELD, check_csrf, client_address
from web.uploads import read_upload

FILE_FIELD = "workbook"


@dataclass
class Received:
    submission: submissions.Submission | None = None
    problem: str | None = None        # what to fix in the form (no file chosen, an unknown quarter)


async def receive(request: Request, user: User) -> Received:
    """Take the `workbook` part of a multipart request (and an optional `quarter`). Raises
    UploadRefused for a body that is not multipart, HTTPException(403) for a bad CSRF token."""
    settings = request.app.state.settings
    upload = await read_upload(request, file_field=FILE_FIELD, work=settings.work / "incoming",
                               max_bytes=int(settings.max_upload_mb * 2**20))
    try:
        check_csrf(request, upload.fields.get(CSRF_FIELD))
        address = client_address(request)
        if upload.too_large:
            name = upload.path.name if upload.path else "upload.xlsx"
            return Received(await run_in_threadpool(_then_discard, upload, submissions.too_large, settings.database,
                                                    user, name, max(upload.size, upload.declared_size),
                                                    settings.max_upload_mb, address))
        if upload.path is None or upload.size == 0:
            return Received(problem="Select a workbook to upload")
        quarter_text = (upload.fields.get("quarter") or "").strip()
        quarter = Quarter.parse(quarter_text) if quarter_text else None
        if quarter_text and quarter is None:
            return Received(problem=f"Enter the quarter as YYYY-Qn, for example 2025-Q2, not {quarter_text!r}")
        return Received(await run_in_threadpool(_then_discard, upload, _take, settings, user, upload.path, quarter,
                                                address))
    finally:
        if not upload.discarded:
            await run_in_threadpool(upload.discard)


def _then_discard(upload, work, *args):
    """Off the event loop: `work(*args)`, then what is left of the upload removed (one trip to a thread)."""
    try:
        return work(*args)
    finally:
        upload.discard()


def _take(settings, user: User, path, quarter: Quarter | None, address: str | None) -> submissions.Submission:
    """Off the event loop: `submissions.take` against the form's quarter, else the one being collected."""
    quarter = quarter or collection.set_quarter(settings.database)
    return submissions.take(settings.database, settings.work, user, path, quarter, address)
