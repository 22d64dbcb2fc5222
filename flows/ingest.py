"""`ingest_inbox`: submit every new workbook in an inbox folder, one task run per file.

For each file: submit it (validate, keep the raw bytes, load the warehouse or record the
rejection; `pipeline.store.submit_file` does all of that), move it to `processed/` or
`rejected/`, and write the council's feedback workbook next to it. A file that fails in an
unexpected way is left in the inbox for the next run and counted as `failed`; it never fails the
run. Retries are on the file moves and the feedback workbook (I/O) only: a validation result is
an answer, not a failure, and running it again gives the same answer.
"""
from __future__ import annotations

import shutil
import time
from pathlib import Path

from pipeline.prefect_env import configure

configure()   # Prefect reads its settings on import

from prefect import flow, get_run_logger, task  # noqa: E402
from prefect.artifacts import create_markdown_artifact  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402
from prefect.utilities.annotations import quote  # noqa: E402

from pipeline import store  # noqa: E402
from pipeline.contract import Quarter  # noqa: E402
from pipeline.report import write_report  # noqa: E402

PROCESSED, REJECTED = "processed", "rejected"
STATUSES = ("accepted", "rejected", "unreadable", "unchanged", "failed")


def new_files(inbox: Path, min_age_seconds: float = 0) -> list[Path]:
    """The workbooks waiting in the inbox (not its subfolders), oldest name first. Excel's `~$` lock
    files and hidden files are skipped, and so is a file modified in the last `min_age_seconds`
    (it may still be uploading)."""
    now = time.time()
    return sorted(p for p in inbox.glob("*") if p.is_file() and p.suffix.lower() == ".xlsx"
                  and not p.name.startswith(("~$", ".")) and now - p.stat().st_mtime >= min_age_seconds)


def destination(inbox: Path, status: str) -> Path:
    """processed/ for loaded (or already loaded) files, rejected/ for the rest."""
    return inbox / (PROCESSED if status in ("accepted", "unchanged") else REJECTED)


def free_path(folder: Path, name: str) -> Path:
    """`folder/name`, or `folder/stem-2.xlsx`… if a file of that name was moved there before."""
    target, n = folder / name, 1
    while target.exists():
        n += 1
        target = folder / f"{Path(name).stem}-{n}{Path(name).suffix}"
    return target


def row(path: Path, outcome=None, *, moved_to: Path | None = None, feedback: Path | None = None,
        error: str | None = None) -> dict:
    """One line of the run's summary (JSON-friendly: it is the flow's return value)."""
    return {
        "file": path.name,
        "la_code": getattr(outcome, "la_code", None),
        "quarter": None if getattr(outcome, "quarter", None) is None else str(outcome.quarter),
        "status": outcome.status if outcome is not None else "failed",
        "errors": getattr(outcome, "errors", 0) or 0,
        "queries": getattr(outcome, "queries", 0) or 0,
        "moved_to": None if moved_to is None else str(moved_to),
        "feedback": None if feedback is None else str(feedback),
        "error": error,
    }


@task(task_run_name="submit-{path.name}", cache_policy=NO_CACHE)
def submit(path: Path, quarter: str | None):
    """Validate, keep the raw file, load or reject. No retries: the answer would be the same."""
    return store.submit_file(path, Quarter.parse(quarter) if quarter else None)


@task(task_run_name="move-{path.name}", retries=3, retry_delay_seconds=1, cache_policy=NO_CACHE)
def move(path: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = free_path(folder, path.name)
    return Path(shutil.move(str(path), target))


@task(task_run_name="feedback-{path.name}", retries=1, retry_delay_seconds=1, cache_policy=NO_CACHE)
def feedback(result, path: Path) -> Path:
    """The council's feedback workbook, `<name>_feedback.xlsx` next to their moved file."""
    return write_report(result, path, path.with_name(f"{path.stem}_feedback.xlsx"))


def summarise(inbox: Path, rows: list[dict]) -> dict:
    counts = {s: sum(r["status"] == s for r in rows) for s in STATUSES}
    return {"inbox": str(inbox), "files": len(rows), **counts,
            "queries": sum(r["queries"] for r in rows), "submissions": rows}


def markdown_table(rows: list[dict], columns: tuple[str, ...]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for r in rows:
        lines.append("| " + " | ".join("" if r.get(c) is None else str(r[c]).replace("|", "\\|") for c in columns) + " |")
    return "\n".join(lines)


def _ingest_one(inbox: Path, path: Path, quarter: str | None, log) -> dict:
    """Submit, file away and answer one workbook; returns its summary row."""
    state = submit(path, quarter, return_state=True)
    if not state.is_completed():
        log.warning("%s: failed (%s); left in the inbox for the next run", path.name, state.message)
        return row(path, error=str(state.message or state.name))
    outcome = state.result()
    moved = move(path, destination(inbox, outcome.status), return_state=True)
    if not moved.is_completed():
        log.warning("%s: %s, but could not be moved: %s", path.name, outcome.status, moved.message)
        return row(path, outcome, error=f"submitted, but not moved: {moved.message}")
    target = moved.result()
    report, problem = None, None
    if getattr(outcome, "result", None) is not None:   # 'unchanged' files were answered the first time
        # quote(): Prefect would otherwise walk the whole validated workbook looking for futures
        report_state = feedback(quote(outcome.result), target, return_state=True)
        if report_state.is_completed():
            report = report_state.result()
        else:
            problem = f"feedback workbook not written: {report_state.message}"
            log.warning("%s: %s", path.name, problem)
    log.info("%s: LA %s %s (%s errors, %s queries)", path.name, outcome.la_code or "?", outcome.status,
             outcome.errors, outcome.queries)
    return row(path, outcome, moved_to=target, feedback=report, error=problem)


@flow(name="ingest-inbox")
def ingest_inbox(inbox_dir: str | Path, quarter: str | None = None, min_age_seconds: float = 0) -> dict:
    """Submit every new .xlsx in `inbox_dir`. `quarter` is the quarter being collected (files that
    say otherwise are rejected, E005); without it each file's own quarter is used."""
    log = get_run_logger()
    inbox = Path(inbox_dir).resolve()
    inbox.mkdir(parents=True, exist_ok=True)
    files = new_files(inbox, min_age_seconds)
    log.info("%d new workbook(s) in %s", len(files), inbox)
    rows = []
    with store.session():   # one warehouse connection for the whole inbox, not one per file
        for path in files:
            rows.append(_ingest_one(inbox, path, quarter, log))
    summary = summarise(inbox, rows)
    create_markdown_artifact(
        key="inbox-submissions",
        markdown=f"## Inbox {inbox}\n\n{len(rows)} file(s): "
                 + ", ".join(f"{summary[s]} {s}" for s in STATUSES if summary[s]) + "\n\n"
                 + markdown_table(rows, ("file", "la_code", "quarter", "status", "errors", "queries", "moved_to",
                                         "feedback", "error")),
        description="Submission status of each file in this run")
    return summary
