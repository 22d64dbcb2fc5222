"""An inbox folder of council workbooks (the intake): which files are new, and taking one in.

Taking a file: submit it (`store.submit_file`: validate, keep the raw bytes, load or record the
rejection), move it to `processed/` or `rejected/`, and write the council's feedback workbook
next to it. The move and the feedback workbook are I/O on what may be a network share, so they
try again after an OSError; the submission never does (a validation result is an answer, and
running it again gives the same answer). Prefect's `ingest_inbox` flow runs `take` once per file.
"""
from __future__ import annotations

import shutil
import time
from pathlib import Path

from pipeline import ahead, store
from pipeline.contract import Quarter

PROCESSED, REJECTED = "processed", "rejected"
STATUSES = ("accepted", "rejected", "unreadable", "unchanged", "failed")
IO_ATTEMPTS, IO_RETRY_SECONDS = 3, 1.0


def new_files(inbox: Path, min_age_seconds: float = 0) -> list[Path]:
    """The workbooks waiting in the inbox (not its subfolders), oldest name first. Excel's `~$` lock
    files and hidden files are skipped, and so is a file modified in the last `min_age_seconds`
    (it may still be uploading)."""
    now = time.time()
    return sorted(p for p in Path(inbox).glob("*") if p.is_file() and p.suffix.lower() == ".xlsx"
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


def move(path: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.move(str(path), free_path(folder, path.name)))


def retrying(step, *args):
    """`step(*args)`, tried IO_ATTEMPTS times in all after an OSError (a share that blipped, a file an
    antivirus scanner held for a moment), IO_RETRY_SECONDS apart; the last error is raised."""
    for attempt in range(1, IO_ATTEMPTS + 1):
        try:
            return step(*args)
        except OSError:
            if attempt == IO_ATTEMPTS:
                raise
            time.sleep(IO_RETRY_SECONDS)


def row(path: Path, outcome=None, *, moved_to: Path | None = None, feedback: Path | None = None,
        error: str | None = None) -> dict:
    """One file's line in a run's summary (JSON-friendly: it is what the flow returns)."""
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


def take(inbox: Path, path: Path, quarter: Quarter | str | None = None) -> dict:
    """Submit, file away and answer one workbook; its summary row. An unexpected failure to submit
    raises, and the file stays in the inbox for the next run."""
    outcome = store.submit_file(path, quarter)
    try:
        target = retrying(move, path, destination(inbox, outcome.status))
    except OSError as exc:
        return row(path, outcome, error=f"submitted, but not moved: {exc}")
    report, problem = None, None
    if outcome.result is not None:   # 'unchanged' files were answered the first time
        try:
            report = retrying(ahead.feedback_workbook, outcome.result, target,
                              target.with_name(f"{target.stem}_feedback.xlsx"))
        except Exception as exc:  # noqa: BLE001 - the submission stands; say the answer is missing
            problem = f"feedback workbook not written: {exc}"
    return row(path, outcome, moved_to=target, feedback=report, error=problem)


def summarise(inbox: Path, rows: list[dict]) -> dict:
    counts = {s: sum(r["status"] == s for r in rows) for s in STATUSES}
    return {"inbox": str(inbox), "files": len(rows), **counts,
            "queries": sum(r["queries"] for r in rows), "submissions": rows}


def markdown_table(rows: list[dict], columns: tuple[str, ...]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for r in rows:
        lines.append("| " + " | ".join("" if r.get(c) is None else str(r[c]).replace("|", "\\|") for c in columns) + " |")
    return "\n".join(lines)
