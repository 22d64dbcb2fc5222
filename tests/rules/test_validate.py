"""Every error code E002–E403 triggered from a real .xlsx: the code, the cell and the message."""
import datetime as dt

import pytest

from pipeline.rules.validate import validate_file
from tests.workbooks import make_workbook, set_cell, valid_sheets


def run(tmp_path, edit=None, quarter=None, **kw):
    sheets = valid_sheets()
    if edit:
        edit(sheets)
    return validate_file(make_workbook(tmp_path / "return.xlsx", sheets, **kw), quarter)


def found(result, code):
    return [f for f in result.findings if f.code == code]


def test_valid_workbook_is_accepted_with_no_findings(tmp_path):
    result = run(tmp_path)
    assert result.status == "accepted"
    assert [(f.code, f.cell, f.message) for f in result.findings] == []
    assert result.la_code == "316" and result.quarter == "2025-Q2"


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


@pytest.mark.parametrize("value, variant", [(None, "blank"), ("999", "not a DfE"), ("909", "not a live")])
def test_E004_la_code(tmp_path, value, variant):
    [f] = found(run(tmp_path, lambda s: set_cell(s, "Return", 0, "LA code", value)), "E004")
    assert f.cell == "B1" and variant in f.message          # 909 = Cumbria, abolished 2023


@pytest.mark.parametrize("value, quarter, words", [(None, None, "blank"), ("Q2 2025", None, "is not a quarter"),
                                                   ("2025-Q2", "2025-Q3", "2025-Q3 is being collected")])
def test_E005_quarter(tmp_path, value, quarter, words):
    [f] = found(run(tmp_path, lambda s: set_cell(s, "Return", 0, "Quarter", value), quarter=quarter), "E005")
    assert f.cell == "B3" and words in f.message


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


def test_E104_dates(tmp_path):
    def edit(s):
        set_cell(s, "Assignments", 2, "Start date", "31/02/2025")
        set_cell(s, "Assignments", 3, "Start date", None)
        set_cell(s, "Assignments", 4, "End date", "soon")
    findings = found(run(tmp_path, edit), "E104")
    assert [(f.cell, f.value) for f in findings] == [("K2", "31/02/2025"), ("K3", None), ("L4", "soon")]
    assert "is not a date" in findings[0].message and "blank" in findings[1].message


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


@pytest.mark.parametrize("value, words", [(None, "blank"), ("thirty", "not an amount"), (0, "more than £0")])
def test_E107_pay_rate(tmp_path, value, words):
    [f] = found(run(tmp_path, lambda s: set_cell(s, "Assignments", 2, "Hourly pay rate", value)), "E107")
    assert f.cell == "N2" and words in f.message


def test_E108_engagement_model_and_project_team(tmp_path):
    def edit(s):
        set_cell(s, "Assignments", 2, "Engagement model", "Secondment")
        set_cell(s, "Assignments", 3, "Engagement model", "Packaged model")
        set_cell(s, "Assignments", 4, "Project team reference", "PT9")
    findings = found(run(tmp_path, edit), "E108")
    assert [(f.cell, f.value) for f in findings] == [("I2", "Secondment"), ("J3", None), ("J4", "PT9")]
    assert "not on the ProjectTeams sheet" in findings[2].message


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


def test_E202_project_team_dates_and_costs(tmp_path):
    def edit(s):
        set_cell(s, "ProjectTeams", 2, "End date", dt.datetime(2025, 1, 1))
        set_cell(s, "ProjectTeams", 2, "Other costs in quarter", "lots")
    findings = found(run(tmp_path, edit), "E202")
    assert sorted(f.cell for f in findings) == ["E2", "J2"]


def test_E203_project_team_total(tmp_path):
    [f] = found(run(tmp_path, lambda s: set_cell(s, "ProjectTeams", 2, "Total cost in quarter", 20001.5)), "E203")
    assert f.cell == "K2" and "£20,000.00" in f.message


def test_E203_within_a_pound_is_fine(tmp_path):
    assert not found(run(tmp_path, lambda s: set_cell(s, "ProjectTeams", 2, "Total cost in quarter", 20000.99)), "E203")


def test_E301_months(tmp_path):
    def edit(s):
        set_cell(s, "MonthlyCosts", 4, "Month", "2025-07")
    findings = found(run(tmp_path, edit), "E301")
    assert [(f.cell, f.value) for f in findings] == [(None, "June 2025"), ("A4", "2025-07")]   # as typed
    assert findings[1].message.startswith("July 2025 is not a month of 2025-Q2")


def test_E302_monthly_cost_values(tmp_path):
    def edit(s):
        set_cell(s, "MonthlyCosts", 2, "MSP fees", None)
        set_cell(s, "MonthlyCosts", 3, "Agency fees", "-1")
    findings = found(run(tmp_path, edit), "E302")
    assert sorted(f.cell for f in findings) == ["D3", "E2"]


def test_E303_monthly_total(tmp_path):
    [f] = found(run(tmp_path, lambda s: set_cell(s, "MonthlyCosts", 2, "Total monthly cost", 100.0)), "E303")
    assert f.cell == "G2" and "(£19,000.00)" in f.message


def test_E401_E402_E403_compliance(tmp_path):
    def edit(s):
        set_cell(s, "Compliance", 8, "Rule", "References")          # Data return row becomes a duplicate
        set_cell(s, "Compliance", 2, "Status", "Mostly")
        set_cell(s, "Compliance", 3, "Status", "Not compliant")
    result = run(tmp_path, edit)
    assert [(f.cell, f.value) for f in found(result, "E401")] == [(None, "Data return"), ("A8", "References")]
    assert [f.cell for f in found(result, "E402")] == ["B2"]
    [f] = found(result, "E403")
    assert f.cell == "D3" and "Not compliant" in f.message


def test_uncalculated_formula_blocks_acceptance(tmp_path):
    result = run(tmp_path, lambda s: set_cell(s, "Assignments", 2, "Cost in quarter", "=N2*37*13"))
    [f] = [f for f in result.findings if f.cell == "T2"]
    assert f.code == "E110" and "never calculated" in f.message and result.status == "rejected"


def test_a_rule_that_raises_is_reported_and_others_still_run(tmp_path, monkeypatch):
    from pipeline.rules import sheet_rules
    from pipeline.rules import registry

    def broken(ctx):
        raise RuntimeError("boom")

    rules = [registry.Registered(r.codes, broken) if r.fn is sheet_rules.assignment_dates else r for r in registry.RULES]
    monkeypatch.setattr(registry, "RULES", rules)
    result = run(tmp_path, lambda s: set_cell(s, "Assignments", 2, "Payment route", "Cash"))
    assert any(f.code == "E105" and "could not be checked" in f.message for f in result.findings)
    assert found(result, "E109")


def test_a_schema_check_that_raises_is_reported_not_hidden(tmp_path, monkeypatch):
    from schemas import checks as schema_checks

    def boom(cells, i, rule):
        raise RuntimeError("boom")

    monkeypatch.setitem(schema_checks.TESTS, "above", boom)   # E107 not_positive: hourly pay rate above £0
    result = run(tmp_path)
    [f] = found(result, "E107")
    assert f.cell is None and "could not be checked" in f.message and "boom" in f.message
