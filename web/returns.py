"""A council's returns as the warehouse holds them: per quarter, what stands now (accepted, rejected
or missing; late; queries outstanding) and every file received for it, however it came (the web
service, `agency-return submit`, the quarterly inbox flow), superseded ones named. Files uploaded
here are linked to the service's own answer (with its feedback workbook) by their SHA-256."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from pipeline.core.calendar import due_date
from pipeline.core.contract import Quarter
from pipeline.core.redaction import redact_name
from pipeline.warehouse import queries
from web import submissions
from web.filters import LONDON


@dataclass
class QuarterReturns:
    """One quarter of an LA's returns: `standing` is its `pipeline.warehouse.queries.status` row (None if the
    quarter is not in the warehouse's calendar); `files` the warehouse's submissions, newest first,
    each a dict of the ledger's columns plus `standing` and `upload` (the matching web upload, or None)."""

    quarter: str
    standing: dict | None
    files: list[dict] = field(default_factory=list)


def for_la(la_code: str, collecting: Quarter, uploads: list[submissions.Submission]
           ) -> tuple[list[QuarterReturns], list[submissions.Submission]]:
    """Every quarter the LA sent a return for, and the quarter being collected, newest first; and the
    uploads the warehouse holds no file of for the LA (another LA's return, over the size limit,
    unreadable), newest first. `uploads` are the service's answers the user may see (newest first).
    Raises locks.WarehouseBusy as `pipeline.warehouse.submit` does."""
    history = queries.history(la_code)
    quarters = sorted({str(collecting), *history["quarter"].dropna().tolist()}, reverse=True)
    by_sha: dict[str, submissions.Submission] = {}
    for sub in uploads:                       # newest first: keep the latest upload of each file
        if sub.la_code == la_code and sub.ledger_status != submissions.NOT_RECORDED:
            by_sha.setdefault(sub.sha256, sub)
    out = []
    for quarter in quarters:
        rows = queries.status(quarter)
        mine = rows[rows["la_code"] == la_code].to_dict("records")
        files = history[history["quarter"] == quarter].sort_values("submission_id", ascending=False)
        out.append(QuarterReturns(quarter, mine[0] if mine else None, [
            {**_plain(f), "file_name": redact_name(f.get("file_name") or ""), "upload": by_sha.get(f["sha256"]),
             "late": _late(f["received_at"], quarter)} for f in files.to_dict("records")]))
    held = set(history["sha256"])
    return out, [s for s in uploads if s.sha256 not in held or s.ledger_status == submissions.NOT_RECORDED]


def _late(received_at, quarter: str) -> bool:
    """Received after the quarter's due date, on the London calendar (as `status` counts it)."""
    return pd.Timestamp(received_at).tz_convert(LONDON).date() > due_date(Quarter.parse(quarter))


def _plain(record: dict) -> dict:
    return {k: (None if not isinstance(v, (list, dict)) and pd.isna(v) else v) for k, v in record.items()}
