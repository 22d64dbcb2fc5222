"""Derived compliance and Q512 from real .xlsx files (tests/workbooks.py's return: Newham, 2025-Q2;
Assignments rows 2–4 = A001, A002, A003 in project team PT1; Compliance rows 2–8 in contract order)."""
from __future__ import annotations

import datetime as dt
import json

from pipeline.core.contract import COMPLIANCE_RULES
from pipeline.rules.validate import validate_file
from tests.workbooks import make_workbook, set_cell, valid_sheets

A = "Assignments"
KEYS = ["rule", "declared", "derived_status", "assignments", "compliant", "breaches", "legacy", "breach_rows",
        "legacy_rows"]


def check(tmp_path, edits=(), drop_assignments=False):
    sheets = valid_sheets()
    if drop_assignments:
        sheets[A] = sheets[A][:1]
    for sheet, row, header, value in edits:
        set_cell(sheets, sheet, row, header, value)
    return validate_file(make_workbook(tmp_path / "return.xlsx", sheets))


def by_rule(result) -> dict[str, dict]:
    return {c["rule"]: c for c in result.compliance}


def q512(result):
    return [(f.cell, f.value) for f in result.findings if f.code == "Q512"]


def test_shape_on_a_clean_return(tmp_path):
    result = check(tmp_path)
    assert [c["rule"] for c in result.compliance] == list(COMPLIANCE_RULES)
    assert all(list(c) == KEYS for c in result.compliance)
    assert {c["derived_status"] for c in result.compliance} == {"Fully compliant"}
    assert {c["declared"] for c in result.compliance} == {"Fully compliant"}
    rules = by_rule(result)
    assert (rules["References"]["assignments"], rules["References"]["compliant"]) == (3, 3)
    assert rules["Project teams"]["assignments"] == 1
    assert json.loads(json.dumps(result.to_dict()))["compliance"] == result.compliance


def test_breach_counts_and_q512_on_the_status_cell(tmp_path):
    result = check(tmp_path, [(A, 3, "Reference obtained", "No")])
    refs = by_rule(result)["References"]
    assert (refs["derived_status"], refs["compliant"], refs["breaches"], refs["breach_rows"]) == (
        "Partially compliant", 2, 1, [3])
    assert q512(result) == [("B7", "Fully compliant")]
    assert "row 3" in next(f.message for f in result.findings if f.code == "Q512")


def test_every_assignment_breaching_is_not_compliant(tmp_path):
    result = check(tmp_path, [(A, r, "Notice period weeks", 2) for r in (2, 3, 4)])
    notice = by_rule(result)["Notice periods"]
    assert (notice["derived_status"], notice["breaches"], notice["breach_rows"]) == ("Not compliant", 3, [2, 3, 4])


def test_legacy_is_reported_not_a_breach(tmp_path):
    result = check(tmp_path, [(A, 2, "PQE years", 1), (A, 2, "Start date", dt.datetime(2024, 6, 1))])
    pqe = by_rule(result)["Post-qualifying experience"]
    assert (pqe["derived_status"], pqe["breaches"], pqe["legacy"], pqe["legacy_rows"], pqe["compliant"]) == (
        "Fully compliant", 0, 1, [2], 2)
    assert q512(result) == []


def test_declared_partially_compliant_is_no_contradiction(tmp_path):
    result = check(tmp_path, [(A, 3, "Reference obtained", "No"), ("Compliance", 7, "Status", "Partially compliant"),
                              ("Compliance", 7, "Explanation", "One reference outstanding")])
    assert by_rule(result)["References"]["declared"] == "Partially compliant"
    assert q512(result) == []


def test_an_explanation_marks_q512_explained(tmp_path):
    result = check(tmp_path, [(A, 3, "Reference obtained", "No"),
                              ("Compliance", 7, "Explanation", "Verbal reference, written copy requested")])
    (f,) = [f for f in result.findings if f.code == "Q512"]
    assert f.explained and result.queries_outstanding == 1   # Q505 itself has no Note


def test_project_team_members_breach_with_their_team(tmp_path):
    result = check(tmp_path, [("ProjectTeams", 2, "LA retains control of practice", "No")])
    teams = by_rule(result)["Project teams"]
    assert (teams["derived_status"], teams["breach_rows"]) == ("Not compliant", [4])
    assert q512(result) == [("B3", "Fully compliant")]


def test_data_return_follows_the_errors(tmp_path):
    result = check(tmp_path, [(A, 3, "SWE registration number", "12345")])
    data = by_rule(result)["Data return"]
    assert (data["derived_status"], data["breach_rows"]) == ("Not compliant", [3])
    assert result.status == "rejected" and q512(result) == []


def test_no_assignments(tmp_path):
    result = check(tmp_path, drop_assignments=True)
    rules = by_rule(result)
    assert {rules[r]["derived_status"] for r in COMPLIANCE_RULES if r != "Data return"} == {"No assignments"}
    assert rules["Data return"]["assignments"] == 0
    assert q512(result) == []


# The new definitions (data-contract 2–3): each derives a breach, so a declared "Fully compliant" gets Q512.
NEW_DEFINITIONS = {
    "Notice periods": ([(A, 3, "Notice period weeks", 3), (A, 3, "Permanent notice weeks", 4)], "B4", [3]),
    "References": ([(A, 2, "Reference obtained", None), (A, 3, "Reference obtained", 1)], "B7", [2, 3]),
    "Price caps": ([(A, 2, "Hourly pay rate", 33.0), (A, 2, "Cap approved by", "DCS")], "B2", [2]),   # not reported to the RIIA
    "Project teams": ([(A, 4, "Cost in quarter", None), (A, 2, "Cost in quarter", 38000.0)], "B3", [4]),
    "Cool-off period": ([(A, 3, "Left permanent LA post in last 3 months", "Unknown")], "B5", [3]),
}


def test_new_definitions_derive_breaches_and_q512_follows(tmp_path):
    for rule, (edits, cell, rows) in NEW_DEFINITIONS.items():
        result = check(tmp_path, edits)
        derived = by_rule(result)[rule]
        assert (rule, derived["breach_rows"]) == (rule, rows)
        assert derived["derived_status"] != "Fully compliant"
        assert q512(result) == [(cell, "Fully compliant")], rule


def test_new_definitions_boundaries_stay_fully_compliant(tmp_path):
    silent = [(A, 3, "Notice period weeks", 3), (A, 3, "Permanent notice weeks", 3), (A, 2, "Notice period weeks", 8),
              (A, 2, "Reference obtained", 2), (A, 2, "Payment route", "Limited company"),
              (A, 2, "Holiday pay per hour", None), (A, 2, "Employer NI per hour", None)]
    result = check(tmp_path, silent)
    assert {c["derived_status"] for c in result.compliance} == {"Fully compliant"}
    assert [f.code for f in result.findings] == []
