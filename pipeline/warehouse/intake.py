"""An inbox folder of council workbooks (the intake): which files are new, and taking one in.

Every spreadsheet a council puts in the inbox is taken and answered, whatever its extension (a .xlsm,
.xls or .csv gets the verdict `submit` gives it: the guard decides what the file is), except Excel's
`~$` lock files, hidden files, files still being written and files that are no spreadsheet at all;
`skipped` says which and why, and the flow logs it. File names are
redacted (`pipeline.core.redaction`) wherever they are reported, and councils' files are filed under
redacted names, owner-only.

Taking a file: submit it (`submit.submit_file`: validate, keep the raw bytes, load or record the
rejection), move it to `processed/` or `rejected/`, and write the council's feedback workbook
next to it. The move and the feedback workbook are I/O on what may be a network share, so they
try again after an OSError; the submission never does (a validation result is an answer, and
running it again gives the same answer). Prefect's `ingest_inbox` flow runs `take_all` once per
submit.GROUP_FILES files.
"""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from pipeline.core.contract import Quarter
from pipeline.core.private import private_dir
from pipeline.core.redaction import redact_name
from pipeline.warehouse import keys, locks, submit
from pipeline.workers import ahead

PROCESSED, REJECTED = "processed", "rejected"
SPREADSHEETS = (".xlsx", ".xlsm", ".xltx", ".xltm", ".xlsb", ".xls", ".ods", ".csv")
STATUSES = ("accepted", "rejected", "unreadable", "failed")
IO_ATTEMPTS, IO_RETRY_SECONDS = 3, 1.0


def new_files(inbox: Path, min_age_seconds: float = 0) -> list[Path]:
    """The files waiting in the inbox (not its subfolders), name order: every file but those `skipped`."""
    passed = {p for p, _ in skipped(inbox, min_age_seconds)}
    return sorted(p for p in Path(inbox).glob("*") if p.is_file() and p not in passed)


def skipped(inbox: Path, min_age_seconds: float = 0) -> list[tuple[Path, str]]:
    """Files in the inbox left for now, each with why: Excel's `~$` lock files (a workbook open in Excel),
    hidden files, files that are not spreadsheets, and files modified in the last `min_age_seconds` (they may still be uploading)."""
    now, out = time.time(), []
    for p in sorted(Path(inbox).glob("*")):
        if not p.is_file():
            continue
        if p.name.startswith("~$"):
            out.append((p, "an Excel lock file (the workbook is open in Excel)"))
        elif p.name.startswith("."):
            out.append((p, "a hidden file"))
        elif p.suffix.lower() not in SPREADSHEETS:
            out.append((p, f"not a spreadsheet (the inbox takes {', '.join(SPREADSHEETS)})"))
        elif now - p.stat().st_mtime < min_age_seconds:
            out.append((p, f"changed in the last {min_age_seconds:.0f} s: it may still be arriving; taken next run"))
    return out


def destination(inbox: Path, status: str) -> Path:
    """processed/ for accepted files (loaded now or already), rejected/ for the rest."""
    return inbox / (PROCESSED if status == "accepted" else REJECTED)


def filed_name(name: str) -> str:
    """The name a council's file is filed under: its own, with anything like an SWE number removed."""
    return redact_name(name)


def free_path(folder: Path, name: str) -> Path:
    """`folder/name`, or `folder/stem-2.xlsx`… if a file of that name was moved there before."""
    target, n = folder / name, 1
    while target.exists():
        n += 1
        target = folder / f"{Path(name).stem}-{n}{Path(name).suffix}"
    return target


def move(path: Path, folder: Path) -> Path:
    """Move a council's file into `folder` (owner-only) under its filed name."""
    private_dir(folder)
    target = Path(shutil.move(str(path), free_path(folder, filed_name(path.name))))
    os.chmod(target, 0o600)
    return target


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
        "file": redact_name(path.name),
        "la_code": getattr(outcome, "la_code", None),
        "quarter": None if getattr(outcome, "quarter", None) is None else str(outcome.quarter),
        "status": outcome.status if outcome is not None else "failed",
        "unchanged": bool(getattr(outcome, "unchanged", False)),
        "errors": getattr(outcome, "errors", 0) or 0,
        "queries": getattr(outcome, "queries", 0) or 0,
        "moved_to": None if moved_to is None else str(moved_to),
        "feedback": None if feedback is None else str(feedback),
        "error": error,
    }


def take(inbox: Path, path: Path, quarter: Quarter | str | None = None) -> dict:
    """Submit, file away and answer one workbook; its summary row (see `take_all`)."""
    return take_all(inbox, [path], quarter)[0]


def take_all(inbox: Path, paths: list[Path], quarter: Quarter | str | None = None) -> list[dict]:
    """Submit, file away and answer workbooks, in order; their summary rows. Each submit.GROUP_FILES of
    them are submitted together (`submit.submit_files`: one hold of the write lock, recorded in one
    transaction). A warehouse still busy after the wait, or a wrong HMAC key, is said on the group's
    rows (status `failed`) and its files stay in the inbox for the next run; an unexpected failure to
    submit raises, and the files not yet submitted stay too."""
    rows = []
    for start in range(0, len(paths), submit.GROUP_FILES):
        group = paths[start:start + submit.GROUP_FILES]
        try:
            outcomes = submit.submit_files(group, quarter)
        except (locks.WarehouseBusy, keys.KeyProblem) as exc:
            rows += [row(path, error=f"not submitted, left in the inbox for the next run: {exc}") for path in group]
            continue
        rows += [_file_away(inbox, path, outcome) for path, outcome in zip(group, outcomes)]
    return rows


def _file_away(inbox: Path, path: Path, outcome) -> dict:
    """Move a submitted file to processed/ or rejected/ and write its feedback workbook beside it."""
    try:
        target = retrying(move, path, destination(inbox, outcome.status))
    except OSError as exc:
        return row(path, outcome, error=f"submitted, but not moved: {redact_name(str(exc))}")
    report, problem = None, None
    try:   # the same bytes get the same answer again, feedback included
        report = retrying(ahead.feedback_workbook, outcome.result, target, target.with_name(f"{target.stem}_feedback.xlsx"))
        os.chmod(report, 0o600)
    except Exception as exc:  # noqa: BLE001 - the submission stands; say the answer is missing
        problem = f"feedback workbook not written: {redact_name(str(exc))}"
    return row(path, outcome, moved_to=target, feedback=report, error=problem)


def summarise(inbox: Path, rows: list[dict]) -> dict:
    counts = {s: sum(r["status"] == s for r in rows) for s in STATUSES}
    return {"inbox": str(inbox), "files": len(rows), **counts, "unchanged": sum(r.get("unchanged", False) for r in rows),
            "queries": sum(r["queries"] for r in rows), "submissions": rows}


def describe(summary: dict) -> str:
    """A run's counts that add up to its files: '4 file(s): 1 accepted, 2 rejected, 1 unreadable
    (1 of them unchanged)'. `unchanged` flags files whose bytes and verdict were already recorded;
    it is said within their verdicts, never as a part of its own."""
    parts = ", ".join(f"{summary[s]} {s}" for s in STATUSES if summary[s]) or "none"
    unchanged = f" ({summary['unchanged']} of them unchanged)" if summary.get("unchanged") else ""
    return f"{summary['files']} file(s): {parts}{unchanged}"


def markdown_table(rows: list[dict], columns: tuple[str, ...]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for r in rows:
        lines.append("| " + " | ".join("" if r.get(c) is None else str(r[c]).replace("|", "\\|") for c in columns) + " |")
    return "\n".join(lines)
