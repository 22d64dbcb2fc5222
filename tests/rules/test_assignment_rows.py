"""E103, E105, E106, E108 (pipeline/rules/assignment_rows.py): each Assignments row across its
fields: role category after job mapping, dates, and its project team."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.rules.edits import A, D, check, fired, found, run
from tests.workbooks import set_cell


def test_E103_role_category_invalid_and_job_mapping(tmp_path):
    def edit(s):
        set_cell(s, "Assignments", 2, "Role category", "Chef")
        set_cell(s, "Assignments", 3, "Role category", None)
        set_cell(s, "Assignments", 3, "Local job title", "Practice Lead")
        set_cell(s, "Assignments", 4, "Role category", None)
        set_cell(s, "Assignments", 4, "Local job title", "SW (Child Protection)")
        s["JobMapping"] = [["Local job title", "Role category"], ["sw (child protection)", "Social worker"]]
    findings = found(run(tmp_path, edit), "E103")
    # the value is the cell's own (blank), the job title named in the message
    assert [(f.cell, f.value) for f in findings] == [("D2", "Chef"), ("D3", None)]
    assert "not a role category" in findings[0].message
    assert "job title 'Practice Lead' is not on the JobMapping sheet" in findings[1].message


def test_E103_role_category_and_job_title_both_blank(tmp_path):
    def edit(s):
        set_cell(s, "Assignments", 2, "Role category", None)
        set_cell(s, "Assignments", 2, "Local job title", None)
    [f] = found(run(tmp_path, edit), "E103")
    assert (f.cell, f.value) == ("D2", None) and "role category and the job title are both blank" in f.message


def test_E105_end_before_start(tmp_path):
    [f] = found(run(tmp_path, lambda s: set_cell(s, "Assignments", 3, "End date", dt.datetime(2025, 4, 2))), "E105")
    assert f.cell == "L3" and "before the start date 11/04/2025" in f.message


def test_E106_assignment_outside_quarter(tmp_path):
    def edit(s):
        set_cell(s, "Assignments", 2, "End date", dt.datetime(2025, 3, 31))
        set_cell(s, "Assignments", 3, "Start date", "01/07/2025")
        set_cell(s, "Assignments", 3, "End date", None)
    findings = found(run(tmp_path, edit), "E106")
    assert [f.cell for f in findings] == ["L2", "K3"]
    assert "before 2025-Q2 began" in findings[0].message and "after 2025-Q2 ended" in findings[1].message


def test_E108_engagement_model_and_project_team(tmp_path):
    def edit(s):
        set_cell(s, "Assignments", 2, "Engagement model", "Secondment")
        set_cell(s, "Assignments", 3, "Engagement model", "Packaged model")
        set_cell(s, "Assignments", 4, "Project team reference", "PT9")
    findings = found(run(tmp_path, edit), "E108")
    assert [(f.cell, f.value) for f in findings] == [("I2", "Secondment"), ("J3", None), ("J4", "PT9")]
    assert "not on the ProjectTeams sheet" in findings[2].message


@pytest.mark.parametrize("edits", [
    [(A, 3, "End date", D(2025, 4, 11))],            # A002 ends the day it starts: not before it (E105)
    [(A, 2, "End date", D(2025, 4, 1))],             # A001 ends on the quarter's first day: it overlaps (E106)
    [(A, 4, "Project team reference", " pt1 ")],     # matched trimmed and in any case (E108)
])
def test_a_row_on_the_boundary_raises_nothing(tmp_path, edits):
    assert fired(check(tmp_path, edits), "E") == []
