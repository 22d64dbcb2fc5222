"""Validating a file (pipeline/rules/validate.py), from real .xlsx files: the error codes found while
reading it (E002, E003) and by the column schemas (schemas/: E101, E102, E104, E107, E109–E111, E201,
E302), queries marked explained by a note, and a rule or check that raises reported, never hidden.
Each rule family's own codes are tested in tests/rules/test_<family>.py."""
import pytest

from tests.rules.edits import A, check, found, run
from tests.workbooks import set_cell


def test_valid_workbook_is_accepted_with_no_findings(tmp_path):
    result = run(tmp_path)
    assert result.status == "accepted"
    assert [(f.code, f.cell, f.message) for f in result.findings] == []
    assert result.la_code == "316" and result.quarter == "2025-Q2"


def test_clean_return_has_no_findings(tmp_path):
    result = check(tmp_path, previous_total=57000.0)
    assert result.findings == []


@pytest.mark.parametrize("sheet", ["Return", "Assignments", "MonthlyCosts", "Compliance"])
def test_E002_required_sheet_missing(tmp_path, sheet):
    result = run(tmp_path, lambda s: s.pop(sheet))
    [f] = found(result, "E002")
    assert f.sheet == sheet and f"no '{sheet}' sheet" in f.message
    assert result.status in ("rejected", "unreadable") and result.errors


def test_E003_required_column_missing(tmp_path):
    def edit(s):
        for row in s["Assignments"]:
            del row[1]                       # SWE registration number
    [f] = found(run(tmp_path, edit), "E003")
    assert (f.sheet, f.column, f.row) == ("Assignments", "SWE registration number", 1)
    assert "Add a column headed 'SWE registration number'" in f.message


def test_E101_duplicate_and_missing_reference(tmp_path):
    def edit(s):
        set_cell(s, "Assignments", 3, "Assignment reference", "A001")
        set_cell(s, "Assignments", 4, "Assignment reference", None)
    result = run(tmp_path, edit)
    assert sorted((f.cell, f.message.split(" ")[0]) for f in found(result, "E101")) == [
        ("A2", "Assignment"), ("A3", "Assignment"), ("A4", "The")]


def test_E102_swe_number(tmp_path):
    def edit(s):
        set_cell(s, "Assignments", 2, "SWE registration number", "SW12345678")
        set_cell(s, "Assignments", 3, "SWE registration number", "sw 000123")   # normalised: fine
    [f] = found(run(tmp_path, edit), "E102")
    assert (f.cell, f.value) == ("B2", "SW12345678") and "SW followed by up to 7 digits" in f.message


def test_E104_dates(tmp_path):
    def edit(s):
        set_cell(s, "Assignments", 2, "Start date", "31/02/2025")
        set_cell(s, "Assignments", 3, "Start date", None)
        set_cell(s, "Assignments", 4, "End date", "soon")
    findings = found(run(tmp_path, edit), "E104")
    assert [(f.cell, f.value) for f in findings] == [("K2", "31/02/2025"), ("K3", None), ("L4", "soon")]
    assert "is not a date" in findings[0].message and "blank" in findings[1].message


@pytest.mark.parametrize("value, words", [(None, "blank"), ("thirty", "not an amount"), (0, "more than £0")])
def test_E107_pay_rate(tmp_path, value, words):
    [f] = found(run(tmp_path, lambda s: set_cell(s, "Assignments", 2, "Hourly pay rate", value)), "E107")
    assert f.cell == "N2" and words in f.message


def test_E109_payment_route(tmp_path):
    def edit(s):
        set_cell(s, "Assignments", 2, "Payment route", "Cash in hand")
        set_cell(s, "Assignments", 3, "Payment route", "umbrella COMPANY")   # spelling tolerated
    [f] = found(run(tmp_path, edit), "E109")
    assert (f.cell, f.value) == ("H2", "Cash in hand") and "PAYE, Umbrella company, Limited company" in f.message


@pytest.mark.parametrize("header, value, words", [("Hours per week", 0, "more than 0 and at most 168"),
                                                  ("Hours per week", 169, "at most 168"),
                                                  ("Cost in quarter", "-£5", "cannot be negative"),
                                                  ("PQE years", "five", "is not a number")])
def test_E110_numbers(tmp_path, header, value, words):
    findings = found(run(tmp_path, lambda s: set_cell(s, "Assignments", 2, header, value)), "E110")
    assert len(findings) == 1 and findings[0].column == header and words in findings[0].message


def test_E111_list_fields(tmp_path):
    def edit(s):
        set_cell(s, "Assignments", 2, "Reference obtained", "Maybe")
        set_cell(s, "Assignments", 3, "Reference obtained", "y")               # tolerated as Yes
        set_cell(s, "Assignments", 4, "Cap approved by", "Head of Service")
    findings = found(run(tmp_path, edit), "E111")
    assert [(f.column, f.value) for f in findings] == [("Reference obtained", "Maybe"), ("Cap approved by", "Head of Service")]


def test_E201_project_team_reference_and_supplier(tmp_path):
    def edit(s):
        s["ProjectTeams"].append(list(s["ProjectTeams"][1]))
        set_cell(s, "ProjectTeams", 2, "Supplier", None)
    findings = found(run(tmp_path, edit), "E201")
    assert sorted(f.cell for f in findings) == ["A2", "A3", "B2"]


def test_E302_monthly_cost_values(tmp_path):
    def edit(s):
        set_cell(s, "MonthlyCosts", 2, "MSP fees", None)
        set_cell(s, "MonthlyCosts", 3, "Agency fees", "-1")
    findings = found(run(tmp_path, edit), "E302")
    assert sorted(f.cell for f in findings) == ["D3", "E2"]


def test_uncalculated_formula_blocks_acceptance(tmp_path):
    result = run(tmp_path, lambda s: set_cell(s, "Assignments", 2, "Cost in quarter", "=N2*37*13"))
    [f] = [f for f in result.findings if f.cell == "T2"]
    assert f.code == "E110" and "never calculated" in f.message and result.status == "rejected"


def test_a_rule_that_raises_is_reported_and_others_still_run(tmp_path, monkeypatch):
    from pipeline.rules import assignment_rows, registry

    def broken(ctx):
        raise RuntimeError("boom")

    rules = [registry.Registered(r.codes, broken) if r.fn is assignment_rows.assignment_dates else r for r in registry.RULES]
    monkeypatch.setattr(registry, "RULES", rules)
    result = run(tmp_path, lambda s: set_cell(s, "Assignments", 2, "Payment route", "Cash"))
    assert any(f.code == "E105" and "could not be checked" in f.message for f in result.findings)
    assert found(result, "E109")


def test_a_schema_check_that_raises_is_reported_not_hidden(tmp_path, monkeypatch):
    from schemas import column_rules as schema_checks

    def boom(cells, i, rule):
        raise RuntimeError("boom")

    monkeypatch.setitem(schema_checks.TESTS, "above", boom)   # E107 not_positive: hourly pay rate above £0
    result = run(tmp_path)
    [f] = found(result, "E107")
    assert f.cell is None and "could not be checked" in f.message and "boom" in f.message


def test_a_note_marks_the_query_explained(tmp_path):
    result = check(tmp_path, [(A, 3, "Reference obtained", "No"), (A, 3, "Notes", "Reference requested 2 May")])
    (q505,) = [f for f in result.findings if f.code == "Q505"]
    assert q505.explained and q505.note == "Reference requested 2 May"
    assert result.status == "accepted"


def test_messages_say_what_to_change(tmp_path):
    edits = [(A, 2, "Hourly pay rate", 33.0), (A, 3, "PQE years", 1), (A, 3, "Reference obtained", "No")]
    for f in check(tmp_path, edits).findings:
        assert "could not be filled" not in f.message
        assert "Notes" in f.message or "Explanation" in f.message
