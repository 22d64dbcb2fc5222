"""Taking a council's upload: judge it, bind it to the uploader's LA (E009), record it, answer it.

The service's own submission table (web.sqlite) holds what the council was told — id, user, LA,
quarter, sha256, the ledger's status, the `validate --json` answer and the feedback workbook —
because warehouse ledger ids change on `rebuild`. The feedback workbook is made on its first
download, not while the council waits for its findings: the upload keeps, beside where the workbook
will be, the file and its verdict (`feedback_workbook`), and the workbook is kept once made. An answer is the council's own about its own
file (its findings may quote the file's values, SWE numbers too); `dfe` may read it, nobody else
outside the LA (`web.access`). An E009 answer (another LA's return) holds only the E009 finding: nothing read
from the other LA's data is kept or shown. The kept file name is redacted
(`pipeline.core.redaction.redact_name`).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import pickle
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.contract import Quarter
from pipeline.core.findings import finding
from pipeline.core.redaction import redact_name
from pipeline.rules.validate import REJECTED, Result
from web import audit, db, judging, recording
from web.accounts import User

log = logging.getLogger(__name__)
NOT_RECORDED = "not recorded"
UNCHANGED = "unchanged"       # the same bytes and verdict as the LA's latest: nothing new recorded


@dataclass(frozen=True)
class Submission:
    """One upload as the service answered it."""

    id: int
    user_id: int
    la_code: str | None
    quarter: str | None
    sha256: str
    status: str              # accepted | rejected | unreadable (what the council is told)
    ledger_status: str       # the warehouse's: accepted | rejected | unreadable | unchanged | not recorded
    recorded: bool
    received_at: str
    answer: dict             # the `validate --json` object plus id and recorded
    feedback_path: str | None

    @property
    def received(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.received_at)


def take(database: Path, work: Path, user: User, path: Path, quarter: Quarter | None,
         address: str | None = None) -> Submission:
    """Validate the file (`web.judging`: `pipeline.warehouse.submit.judge` in a worker process); an `la` user's
    return for another LA gets E009 and nothing is stored; otherwise record it through `web.recording`
    (`pipeline.warehouse.submit.submit_file`'s recording, which keeps the raw file and, with no errors, replaces
    the LA's quarter). Keeps what its feedback workbook is made from (`path` is moved there, with the
    verdict the worker wrote if that is the one recorded) and writes an audit entry.
    """
    with recording.received(user.la_code or f"user {user.id}") as receipt:   # recorded in the order received
        with recording.judging():
            judged = result = judging.judge(path, quarter)   # quarter None: the return's own, as `validate` does
        if _other_la(user, result):
            result = refused_for_other_la(user, result)
            ledger, recorded = NOT_RECORDED, False
        else:
            outcome = recording.record(path, quarter, result, receipt)
            ledger = UNCHANGED if outcome.unchanged else outcome.status
            recorded = outcome.submission_id is not None
            if outcome.result is not None:     # judged again with the warehouse at hand (Q514's previous quarter)
                result = outcome.result
    return _answer(database, work, user, result, path.name, ledger, recorded, address, source=path,
                   verdict=judging.verdict_file(path) if result is judged else None)


def too_large(database: Path, user: User, file_name: str, size: int, limit_mb: float,
              address: str | None = None) -> Submission:
    """An upload stopped at the size limit: E006, nothing read further, nothing stored but the answer."""
    result = Result(file=file_name, findings=[finding("E006", "file_size", size_mb=size / 2**20, limit_mb=limit_mb)])
    return _answer(database, None, user, result, file_name, NOT_RECORDED, False, address, source=None)


def _answer(database: Path, work: Path | None, user: User, result: Result, file_name: str, ledger: str,
            recorded: bool, address: str | None, source: Path | None, verdict: Path | None = None) -> Submission:
    """Keep what the council was told (and what its feedback workbook is made from), audit it, return it:
    one write (`db.together`, committed with the other uploads answered meanwhile), so the answer, its
    audit entry and its feedback inputs are kept together or not at all."""
    received = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    told = {**result.to_dict(), "file": redact_name(file_name)}

    def keep(con) -> Submission:
        sid = con.execute(
            "INSERT INTO submissions (user_id, la_code, quarter, sha256, status, ledger_status, recorded, received_at,"
            " result_json, feedback_path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '{}', NULL)",
            (user.id, result.la_code, result.quarter, result.sha256, result.status, ledger, int(recorded),
             received)).lastrowid
        answer = {**told, "id": sid, "recorded": recorded}
        if ledger == UNCHANGED:
            answer["unchanged"] = True
        kept = json.dumps(answer, default=str)
        feedback = _keep_for_feedback(work, sid, result, source, verdict) \
            if source is not None and ledger != NOT_RECORDED else None
        feedback_path = str(feedback) if feedback else None
        con.execute("UPDATE submissions SET result_json = ?, feedback_path = ? WHERE id = ?",
                    (kept, feedback_path, sid))
        audit.record(database, audit.UPLOAD, user.email,
                     f"submission {sid}: LA {result.la_code or '?'} {result.quarter or '?'} {result.status}"
                     f" ({result.errors} errors, {result.queries} queries; warehouse: {ledger};"
                     f" sha256 {result.sha256[:12] or '-'})", address, con=con)
        return Submission(sid, user.id, result.la_code, result.quarter, result.sha256, result.status, ledger,
                          recorded, received, json.loads(kept), feedback_path)

    return db.together(database, keep)


def _other_la(user: User, result: Result) -> bool:
    return user.role == "la" and result.la_code is not None and result.la_code != user.la_code


def refused_for_other_la(user: User, judged: Result) -> Result:
    """The answer to an `la` user's upload of another LA's return: the E009 finding alone (the file,
    the LA code found in it, its quarter). No other finding, value, compliance row or feedback
    workbook: those would show the other LA's data (SWE numbers among it) to this council."""
    return Result(file=judged.file, sha256=judged.sha256, la_code=judged.la_code, quarter=judged.quarter,
                  status=REJECTED, rule_set=judged.rule_set,
                  findings=[finding("E009", value=judged.la_code, la_code=user.la_code)])


def scrub_other_la_answers(database: Path) -> int:
    """Cut every kept E009 answer down to what `refused_for_other_la` keeps (answers kept before it
    did so held the other LA's findings): the number of answers changed."""
    changed = 0
    with db.connect(database) as con:
        for row in con.execute("SELECT id, result_json FROM submissions WHERE ledger_status = ?", (NOT_RECORDED,)):
            answer = json.loads(row["result_json"])
            found = [f for f in answer.get("findings", []) if f.get("code") == "E009"]
            if not found or (len(answer["findings"]) == 1 and not answer.get("compliance")):
                continue
            kept = {**answer, "file": redact_name(answer.get("file") or ""), "findings": found[:1], "compliance": [],
                    "errors": 1, "queries": 0, "queries_outstanding": 0, "queries_explained": 0}
            con.execute("UPDATE submissions SET result_json = ?, feedback_path = NULL WHERE id = ?",
                        (json.dumps(kept, default=str), row["id"]))
            changed += 1
    return changed


def _keep_for_feedback(work: Path, sid: int, result: Result, source: Path, verdict: Path | None) -> Path:
    """Move the uploaded file and keep its verdict (pickled: `verdict`, the file that holds `result`
    already, moved, else written) beside where submission `sid`'s feedback workbook will be made
    (`feedback_workbook`), all 0600 in a 0700 folder: where that will be."""
    folder = work / "feedback"
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    target = folder / f"{sid}.xlsx"
    kept_source, kept_result = _feedback_inputs(target)
    if verdict is not None and verdict.is_file():
        shutil.move(verdict, kept_result)
    else:
        fd = os.open(kept_result, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(result, fh, protocol=pickle.HIGHEST_PROTOCOL)
    shutil.move(source, kept_source)
    os.chmod(kept_source, 0o600)
    return target


# A verdict kept before an upgrade names its classes' modules as that version laid them out: those
# moved into the stage folders (issue 21), so a kept verdict is read through this table, and an upload
# sent before the upgrade still gets its feedback workbook.
_MOVED = {"pipeline.validate": "pipeline.rules.validate", "pipeline.findings": "pipeline.core.findings",
          "pipeline.contract": "pipeline.core.contract", "pipeline.reference": "pipeline.core.reference",
          "pipeline.ingest": "pipeline.read.workbook", "pipeline.submission": "pipeline.rules.context"}
_RENAMED = {("pipeline.submission", "Submission"): "ReturnContext"}


class KeptVerdict(pickle.Unpickler):
    """Reads a kept verdict (a pickled `Result`), whichever version of the service kept it."""

    def find_class(self, module: str, name: str):
        if module in _MOVED:
            module, name = _MOVED[module], _RENAMED.get((module, name), name)
        return super().find_class(module, name)


def _feedback_inputs(target: Path) -> tuple[Path, Path]:
    """The council's file and its pickled verdict, kept until the workbook `target` is made from them."""
    return target.with_suffix(".source.xlsx"), target.with_suffix(".result.pickle")


_MAKING = threading.Lock()   # one feedback workbook made at a time: two downloads of one make it once


def feedback_workbook(sub: Submission) -> Path | None:
    """The council's feedback workbook for `sub` (`pipeline.rules.feedback.write_report` of the file and the
    verdict the council was told), made now if this is its first download, then kept (0600) and its
    inputs removed; None if it has none (another LA's return, too large, not recorded) or it cannot be
    made (the answer still stands)."""
    if not sub.feedback_path:
        return None
    target = Path(sub.feedback_path)
    with _MAKING:
        if target.is_file():
            return target
        kept_source, kept_result = _feedback_inputs(target)
        if not kept_result.is_file():
            return None
        from pipeline.rules.feedback import write_report
        making = target.with_suffix(".making.xlsx")
        try:
            with open(kept_result, "rb") as fh:
                verdict = KeptVerdict(fh).load()
            write_report(verdict, kept_source, making)
        except Exception:   # an unreadable file has no workbook to mark up: the answer still stands
            log.warning("no feedback workbook for submission %s", sub.id)
            making.unlink(missing_ok=True)
            return None
        os.chmod(making, 0o600)
        os.replace(making, target)
        kept_source.unlink(missing_ok=True)
        kept_result.unlink(missing_ok=True)
    return target


def from_row(row) -> Submission | None:
    """A row of the `submissions` table as a Submission (None for none)."""
    if row is None:
        return None
    return Submission(row["id"], row["user_id"], row["la_code"], row["quarter"], row["sha256"], row["status"],
                      row["ledger_status"], bool(row["recorded"]), row["received_at"], json.loads(row["result_json"]),
                      row["feedback_path"])


def get(database: Path, sid: int) -> Submission | None:
    with db.reading(database) as con:
        return from_row(con.execute("SELECT * FROM submissions WHERE id = ?", (sid,)).fetchone())
