"""E301, E303, Q511, Q513, Q514 (pipeline/rules/monthly_costs.py): the quarter's months and totals
on MonthlyCosts, and the quarter's figures against the assignments, DfE's headcount and the previous quarter."""
from __future__ import annotations

import pytest

from tests.rules.edits import A, assert_fires_only, check, fired, found, run
from tests.workbooks import set_cell


def test_E301_months(tmp_path):
    def edit(s):
        set_cell(s, "MonthlyCosts", 4, "Month", "2025-07")
    findings = found(run(tmp_path, edit), "E301")
    assert [(f.cell, f.value) for f in findings] == [(None, "June 2025"), ("A4", "2025-07")]   # as typed
    assert findings[1].message.startswith("July 2025 is not a month of 2025-Q2")


def test_E303_monthly_total(tmp_path):
    [f] = found(run(tmp_path, lambda s: set_cell(s, "MonthlyCosts", 2, "Total monthly cost", 100.0)), "E303")
    assert f.cell == "G2" and "(£19,000.00)" in f.message


def test_E303_within_a_pound_is_fine(tmp_path):
    assert not found(run(tmp_path, lambda s: set_cell(s, "MonthlyCosts", 2, "Total monthly cost", 19000.99)), "E303")


# (edits, expected (code, cell) pairs): one breach per case, and the boundary next to it.
CASES = {
    "Q511 assignment costs over 5% from monthly": ([(A, 2, "Cost in quarter", 25000.0)], [("Q511", "G2")]),
    "Q511 within 5%": ([(A, 2, "Cost in quarter", 21000.0)], []),
    # Newham's latest DfE agency headcount before 2025-Q2 is 77 (30 Sept 2024).
    "Q513 headcount over 50% from DfE's": ([("MonthlyCosts", 4, "Agency headcount at month end", 116)], [("Q513", "B4")]),
    "Q513 headcount within 50%": ([("MonthlyCosts", 4, "Agency headcount at month end", 115)], []),
    "Q513 compares the latest month": ([("MonthlyCosts", 2, "Agency headcount at month end", 500)], []),
}


@pytest.mark.parametrize("name", CASES)
def test_rule_fires_on_the_breaching_cell_only(tmp_path, name):
    assert_fires_only(tmp_path, *CASES[name])


def test_q514_against_the_previous_quarter(tmp_path):
    assert fired(check(tmp_path, previous_total=None)) == []
    assert fired(check(tmp_path, previous_total=38001.0)) == []          # 57,000 is 49.99% up
    result = check(tmp_path, previous_total=37000.0)
    assert fired(result) == [("Q514", "G2")]
    assert "2025-Q1" in result.findings[0].message


def test_an_uncalculated_month_is_one_e301_on_its_cell_not_a_second_for_a_missing_month(tmp_path):
    """A month written as a formula Excel never calculated is unknown: its own E301 says so, and no
    'There is no row for April 2025' guesses which month it was."""
    from pipeline.rules.validate import validate_file
    from tests.workbooks import make_workbook, set_cell, valid_sheets
    sheets = valid_sheets()
    ref = set_cell(sheets, "MonthlyCosts", 2, "Month", "=DATE(2025,4,1)")     # openpyxl writes no cached value
    e301 = [f for f in validate_file(make_workbook(tmp_path / "m.xlsx", sheets)).findings if f.code == "E301"]
    assert [(f.cell, "never calculated" in f.message) for f in e301] == [(ref, True)]
