"""Q504 (pipeline/rules/cool_off.py): left a permanent post in the same region, or this LA (its
Leavers sheet), under 3 calendar months before starting, with no exception."""
from __future__ import annotations

import pytest

from pipeline.rules.validate import validate_file
from tests.rules.edits import A, D, check, fired, leavers
from tests.workbooks import make_workbook, valid_sheets


@pytest.fixture
def cool_off():
    """A002 (starts 11/04/2025) left a permanent post at Camden (202, London, same region as Newham)."""
    return [(A, 3, "Left permanent LA post in last 3 months", "Yes"), (A, 3, "Previous LA code", "202"),
            (A, 3, "Cool-off exception", "None")]


def test_q504_fires_under_three_calendar_months(tmp_path, cool_off):
    result = check(tmp_path, cool_off + [(A, 3, "Date left permanent post", D(2025, 1, 12))])
    (f,) = [f for f in result.findings if f.code == "Q504"]
    assert (f.cell, f.value) == ("AC3", "None")
    assert "Camden" in f.message and "12/01/2025" in f.message and "11/04/2025" in f.message


def test_q504_blank_exception_is_no_exception(tmp_path, cool_off):
    result = check(tmp_path, cool_off[:2] + [(A, 3, "Date left permanent post", D(2025, 3, 1))])
    assert fired(result, "Q504") == [("Q504", "AC3")]


@pytest.mark.parametrize("edit", [
    (A, 3, "Date left permanent post", D(2025, 1, 11)),     # exactly 3 months before the start
    (A, 3, "Date left permanent post", D(2024, 12, 1)),
])
def test_q504_silent_from_three_months(tmp_path, cool_off, edit):
    assert fired(check(tmp_path, cool_off + [edit]), "Q504") == []


@pytest.mark.parametrize("exception", ["Moving to permanent role", "Redundancy", "Left during probation"])
def test_q504_each_exception_silences_it(tmp_path, cool_off, exception):
    edits = cool_off + [(A, 3, "Date left permanent post", D(2025, 3, 1)), (A, 3, "Cool-off exception", exception)]
    assert fired(check(tmp_path, edits), "Q") == []


def test_q504_different_region_does_not_excuse_a_previous_la_in_the_same_region(tmp_path, cool_off):
    edits = cool_off + [(A, 3, "Date left permanent post", D(2025, 3, 1)), (A, 3, "Cool-off exception", "Different region")]
    result = check(tmp_path, edits)
    (f,) = [f for f in result.findings if f.code == "Q504"]
    assert (f.cell, f.value) == ("AC3", "Different region")
    assert "Different region" in f.message and "Camden" in f.message and "in your region" in f.message


def test_q504_different_region_with_a_previous_la_elsewhere_is_silent(tmp_path, cool_off):
    edits = cool_off + [(A, 3, "Previous LA code", "812"), (A, 3, "Date left permanent post", D(2025, 3, 1)),
                        (A, 3, "Cool-off exception", "Different region")]
    assert fired(check(tmp_path, edits), "Q") == []


def test_q504_left_after_starting_says_so(tmp_path, cool_off):
    """A002 started 11/04/2025 and left Camden on 20/04/2025: not 'less than 3 months before starting'."""
    result = check(tmp_path, cool_off + [(A, 3, "Date left permanent post", D(2025, 4, 20))])
    (f,) = [f for f in result.findings if f.code == "Q504"]
    assert f.cell == "AC3" and "after this assignment started on 11/04/2025" in f.message
    assert "before starting" not in f.message


def test_q504_unknown_is_queried_as_not_checked(tmp_path):
    result = check(tmp_path, [(A, 3, "Left permanent LA post in last 3 months", "Unknown")])
    (f,) = [f for f in result.findings if f.code == "Q504"]
    assert (f.cell, f.value) == ("Z3", "Unknown") and "not checked" in f.message
    excused = [(A, 3, "Left permanent LA post in last 3 months", "Unknown"), (A, 3, "Cool-off exception", "Redundancy")]
    assert fired(check(tmp_path, excused), "Q504") == []


def test_q504_own_leaver_within_three_months(tmp_path):
    """A002 (SW100002, starts 11/04/2025) is on Newham's own Leavers sheet: left 01/03/2025."""
    sheets = valid_sheets()
    sheets["Leavers"] = leavers(["SW100002", D(2025, 3, 1), "Resigned"])
    result = validate_file(make_workbook(tmp_path / "return.xlsx", sheets))
    (f,) = [f for f in result.findings if f.code == "Q504"]
    assert (f.sheet, f.cell) == ("Assignments", "AC3")
    assert "Leavers sheet (row 2)" in f.message and "01/03/2025" in f.message and "Resigned" in f.message


@pytest.mark.parametrize("leaver", [
    ["SW100002", D(2025, 1, 11), "Resigned"],     # exactly 3 months before the start
    ["SW100002", D(2025, 3, 1), "Redundancy"],    # redundancy is an exception
    ["SW100002", D(2025, 3, 1), "Probation"],     # so is leaving during probation
    ["SW999999", D(2025, 3, 1), "Resigned"],      # someone else
])
def test_q504_own_leaver_silent(tmp_path, leaver):
    sheets = valid_sheets()
    sheets["Leavers"] = leavers(leaver)
    assert fired(validate_file(make_workbook(tmp_path / "return.xlsx", sheets)), "Q504") == []


def test_q504_previous_la_in_another_region_is_not_a_breach(tmp_path, cool_off):
    edits = cool_off + [(A, 3, "Previous LA code", "812"), (A, 3, "Date left permanent post", D(2025, 3, 1))]
    assert fired(check(tmp_path, edits), "Q") == []


def test_q504_legacy_assignment(tmp_path):
    edits = [(A, 2, "Left permanent LA post in last 3 months", "Yes"), (A, 2, "Previous LA code", "213"),
             (A, 2, "Date left permanent post", D(2024, 9, 1)), (A, 2, "Start date", D(2024, 10, 1))]
    assert fired(check(tmp_path, edits), "Q") == []
