"""Taking a file in from the inbox (pipeline/warehouse/intake.py), without Prefect: submitted, filed in
processed/ or rejected/, answered with a feedback workbook; I/O steps retried, a submission never;
a step that fails is reported on the file's row and loses nothing."""
import os
import shutil
import time
from pathlib import Path

import pytest

from pipeline.core.contract import Quarter
from pipeline.warehouse import intake, queries
from tests.workbooks import make_workbook, set_cell, valid_sheets

Q = Quarter(2025, 2)


@pytest.fixture
def inbox(tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


def clean(inbox, name="316_2025-Q2.xlsx"):
    return make_workbook(inbox / name, valid_sheets(Q))


@pytest.fixture
def no_waiting(monkeypatch):
    monkeypatch.setattr(intake, "IO_RETRY_SECONDS", 0)


def test_an_accepted_file_is_filed_in_processed_with_its_feedback(inbox):
    row = intake.take(inbox, clean(inbox), Q)
    assert (row["status"], row["la_code"], row["errors"], row["error"]) == ("accepted", "316", 0, None)
    assert row["moved_to"] == str(inbox / "processed" / "316_2025-Q2.xlsx")
    assert row["feedback"] == str(inbox / "processed" / "316_2025-Q2_feedback.xlsx")
    assert not (inbox / "316_2025-Q2.xlsx").exists() and (inbox / "processed" / "316_2025-Q2_feedback.xlsx").exists()


def test_rejected_and_unreadable_files_are_filed_in_rejected_with_their_feedback(inbox):
    sheets = valid_sheets(Q)
    set_cell(sheets, "Assignments", 2, "Hourly pay rate", "lots")
    bad = make_workbook(inbox / "bad.xlsx", sheets)
    corrupt = inbox / "corrupt.xlsx"
    corrupt.write_bytes(b"PK\x03\x04 not really a workbook")
    rows = [intake.take(inbox, p, Q) for p in (bad, corrupt)]
    assert [r["status"] for r in rows] == ["rejected", "unreadable"]
    assert sorted(p.name for p in (inbox / "rejected").iterdir()) == [
        "bad.xlsx", "bad_feedback.xlsx", "corrupt.xlsx", "corrupt_feedback.xlsx"]


def test_a_second_upload_of_the_same_bytes_is_filed_beside_the_first_and_answered_the_same(inbox, tmp_path):
    original = clean(tmp_path)            # one set of bytes (a workbook written twice differs in its timestamps)
    intake.take(inbox, Path(shutil.copy2(original, inbox)), Q)
    again = intake.take(inbox, Path(shutil.copy2(original, inbox)), Q)
    assert again["status"] == "accepted" and again["unchanged"]
    assert again["feedback"] == str(inbox / "processed" / "316_2025-Q2-2_feedback.xlsx")
    assert again["moved_to"] == str(inbox / "processed" / "316_2025-Q2-2.xlsx")


def test_a_move_that_fails_for_a_moment_is_tried_again(inbox, monkeypatch, no_waiting):
    real, calls = shutil.move, []

    def flaky(src, dst):
        calls.append(src)
        if len(calls) < 3:
            raise PermissionError("held by an antivirus scanner")
        return real(src, dst)

    monkeypatch.setattr(intake.shutil, "move", flaky)
    row = intake.take(inbox, clean(inbox), Q)
    assert len(calls) == 3 and row["status"] == "accepted" and row["error"] is None


def test_a_move_that_keeps_failing_is_reported_and_the_file_stays_for_the_next_run(inbox, monkeypatch, no_waiting):
    def broken(src, dst):
        raise OSError("share unavailable")

    path = clean(inbox)
    with monkeypatch.context() as patched:
        patched.setattr(intake.shutil, "move", broken)
        row = intake.take(inbox, path, Q)
    assert row["status"] == "accepted" and "not moved: share unavailable" in row["error"]
    assert path.exists()
    again = intake.take(inbox, path, Q)     # the next run files it away
    assert again["status"] == "accepted" and again["unchanged"] and again["moved_to"]


def test_a_feedback_workbook_that_cannot_be_written_does_not_undo_the_submission(inbox, monkeypatch):
    def crash(*args):
        raise ValueError("openpyxl could not style a cell")

    monkeypatch.setattr(intake.ahead, "feedback_workbook", crash)
    row = intake.take(inbox, clean(inbox), Q)
    assert row["status"] == "accepted" and row["feedback"] is None
    assert row["error"] == "feedback workbook not written: openpyxl could not style a cell"
    assert queries.status(Q).set_index("la_code").at["316", "status"] == "accepted"


def test_retrying_tries_again_only_after_os_errors(no_waiting):
    attempts = []

    def wrong():
        attempts.append(1)
        raise ValueError("not an I/O problem")

    with pytest.raises(ValueError):
        intake.retrying(wrong)
    assert len(attempts) == 1

    def gone():
        attempts.append(1)
        raise FileNotFoundError("gone")

    with pytest.raises(FileNotFoundError):
        intake.retrying(gone)
    assert len(attempts) == 1 + intake.IO_ATTEMPTS


def test_new_files_skips_lock_files_hidden_files_subfolders_and_uploads_in_progress_and_says_why(tmp_path):
    for name in ("b.xlsx", "a.XLSX", "~$a.xlsx", ".hidden.xlsx", "notes.txt", "m.xlsm"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "processed").mkdir()
    (tmp_path / "processed" / "old.xlsx").write_bytes(b"x")
    old = time.time() - 600
    for p in tmp_path.glob("*"):
        os.utime(p, (old, old))
    (tmp_path / "c.xlsx").write_bytes(b"still uploading")
    assert [p.name for p in intake.new_files(tmp_path)] == ["a.XLSX", "b.xlsx", "c.xlsx", "m.xlsm"]
    assert [p.name for p in intake.new_files(tmp_path, min_age_seconds=60)] == ["a.XLSX", "b.xlsx", "m.xlsm"]
    why = {p.name: reason for p, reason in intake.skipped(tmp_path, min_age_seconds=60)}
    assert set(why) == {"~$a.xlsx", ".hidden.xlsx", "notes.txt", "c.xlsx"}
    assert "still be arriving" in why["c.xlsx"] and "not a spreadsheet" in why["notes.txt"]


def test_free_path_never_overwrites(tmp_path):
    assert intake.free_path(tmp_path, "205.xlsx") == tmp_path / "205.xlsx"
    (tmp_path / "205.xlsx").write_bytes(b"x")
    (tmp_path / "205-2.xlsx").write_bytes(b"x")
    assert intake.free_path(tmp_path, "205.xlsx") == tmp_path / "205-3.xlsx"
