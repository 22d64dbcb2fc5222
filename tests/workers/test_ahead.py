"""Validating ahead (pipeline/workers/ahead.py): what worker processes give is what validating in-process
gives; a result is used only for the bytes it was computed from; a feedback workbook written ahead
is placed only for the result it answers; a batch that changes Q514's previous total is rechecked."""
import os
import pickle
import shutil
import signal
import stat
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pipeline.core.contract import Quarter
from pipeline.outputs.sample import write_la_workbook
from pipeline.rules.validate import file_sha256, validate_file
from pipeline.warehouse import submit
from pipeline.workers import ahead
from tests.workbooks import make_workbook, valid_sheets

Q = Quarter(2025, 2)
LAS = ("202", "203", "204", "205", "206", "207", "208", "209")   # London, one with planted errors


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("batch")
    return [write_la_workbook(folder / f"{code}_{Q}.xlsx", code, Q, n_assignments=6,
                              flavour="errors" if code == "205" else "clean") for code in LAS]


def copies(files: list[Path], folder: Path) -> list[Path]:
    folder.mkdir()
    return [Path(shutil.copy2(f, folder / f.name)) for f in files]


def summary(outcome) -> tuple:
    return (outcome.la_code, outcome.status, outcome.errors, outcome.queries,
            [f.to_dict() for f in outcome.result.findings])


def test_a_batch_validated_in_workers_gives_what_one_file_at_a_time_gives(batch, tmp_path, service_home):
    assert len(batch) >= ahead.MIN_BATCH    # so submit_files starts worker processes
    together = submit.submit_files(batch, Q, workers=2)
    one_by_one = [submit.submit_file(f, Q, home=tmp_path / "other") for f in batch]
    assert [summary(o) for o in together] == [summary(o) for o in one_by_one]
    assert [o.status for o in together].count("rejected") == 1


def test_a_result_is_taken_only_for_the_bytes_it_was_computed_from(batch, tmp_path):
    files = copies(batch, tmp_path / "in")
    with ahead.validating(files, Q, workers=2) as early:
        first = early.take(files[0], file_sha256(files[0]))
        assert first is not None and first.findings == validate_file(files[0], Q).findings
        assert early.take(files[0], file_sha256(files[0])) is None       # taken once
        assert early.take(files[1], "0" * 64) is None                     # the file holds other bytes now
        assert early.take(tmp_path / "never-listed.xlsx", "0" * 64) is None


def test_when_the_workers_die_the_caller_validates_the_rest_itself(batch, tmp_path, service_home):
    files = copies(batch, tmp_path / "in")
    with ahead.validating(files, Q, workers=2) as early:
        assert early.take(files[0], file_sha256(files[0])) is not None
        for pid in list(early._pool._processes):      # as the kernel's out-of-memory killer would
            os.kill(pid, signal.SIGKILL)
        taken = {f.name: early.take(f, file_sha256(f)) for f in files[4:]}   # never waits forever
        assert None in taken.values()
        assert all(r is None or r.findings == validate_file(files[4 + i], Q).findings
                   for i, r in enumerate(taken.values()))
        outcomes = submit.submit_files(files, Q)       # inside the block: the broken pool is the one in use
    assert [o.status for o in outcomes] == ["accepted"] * 3 + ["rejected"] + ["accepted"] * 4


def test_a_few_files_are_not_worth_a_pool(batch, tmp_path):
    files = copies(batch[: ahead.MIN_BATCH - 1], tmp_path / "in")
    with ahead.validating(files, Q) as early:
        assert early.take(files[0], file_sha256(files[0])) is None       # the caller validates in-process


def test_an_inner_block_uses_the_outer_one(batch, tmp_path):
    files = copies(batch, tmp_path / "in")
    with ahead.validating(files, Q) as outer, ahead.validating(files[:2], Q) as inner:
        assert inner is outer and ahead.active() is outer
    assert ahead.active() is None


def test_feedback_written_ahead_is_placed_only_for_its_own_result(batch, tmp_path):
    files = copies(batch, tmp_path / "in")
    with ahead.validating(files, Q, feedback=True, workers=2) as early:
        taken = early.take(files[0], file_sha256(files[0]))
        elsewhere = validate_file(files[0], Q)                            # equal, but not the same result
        assert early.place(elsewhere, tmp_path / "x.xlsx") is None
        placed = ahead.feedback_workbook(taken, files[0], tmp_path / "out" / "a_feedback.xlsx")
        assert placed == tmp_path / "out" / "a_feedback.xlsx"
        assert load_workbook(placed).sheetnames[0] == "Findings"
        assert early.place(taken, tmp_path / "again.xlsx") is None   # placed once

        # a result computed again (say Q514's previous total changed) is answered now, in-process
        written = ahead.feedback_workbook(elsewhere, files[0], tmp_path / "out" / "b_feedback.xlsx")
        assert load_workbook(written).sheetnames[0] == "Findings"
        staging = early.folder
        assert staging.name.startswith(f"agency-return-ahead-{os.getpid()}-") and stat.S_IMODE(staging.stat().st_mode) == 0o700
    assert not staging.exists()     # removed when the block ends


def test_a_batch_holding_the_quarter_before_rechecks_q514(batch, tmp_path, service_home):
    q1 = Quarter(2025, 1)
    before = make_workbook(tmp_path / "316_q1.xlsx", valid_sheets(q1))
    sheets = valid_sheets(Q)
    for row in sheets["MonthlyCosts"][1:]:
        row[2:7] = [v * 2 for v in row[2:7]]
    after = make_workbook(tmp_path / "316_q2.xlsx", sheets)
    # both read ahead before either is recorded: Q2's previous total is only known once Q1 is in
    outcomes = submit.submit_files([before, after, *batch], None)
    assert [o.status for o in outcomes[:2]] == ["accepted", "accepted"]
    assert "Q514" in {f.code for f in outcomes[1].result.findings}


def test_a_verdict_travels_without_the_rules_cache(batch):
    """The rules' shared masks are keyed partly by object ids, which name nothing (or another frame) in
    the process that unpickles a verdict: a pickled submission carries none, and the one judged keeps its own."""
    result = validate_file(batch[3], Q)
    assert result.submission.memo
    back = pickle.loads(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    assert back.submission.memo == {}
    assert result.submission.memo
    assert [f.to_dict() for f in back.findings] == [f.to_dict() for f in result.findings]
