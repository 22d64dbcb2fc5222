"""Q515 (pipeline/rules/components.py): a cap-basis component the payment route needs is blank."""
from __future__ import annotations

import pytest

from tests.rules.edits import A, assert_fires_only

# (edits, expected (code, cell) pairs): one breach per case, and the boundary next to it.
CASES = {
    "Q515 PAYE without holiday pay or employer NI": ([(A, 2, "Holiday pay per hour", None),
                                                      (A, 2, "Employer NI per hour", None)], [("Q515", "O2")]),
    "Q515 umbrella without employer NI": ([(A, 2, "Payment route", "Umbrella"), (A, 2, "Employer NI per hour", None)],
                                          [("Q515", "P2")]),
    "Q515 PAYE with on-costs of 0": ([(A, 2, "Holiday pay per hour", 0), (A, 2, "Employer NI per hour", 0)], []),
    "Q515 limited company with no on-costs": ([(A, 2, "Payment route", "Ltd"), (A, 2, "Holiday pay per hour", None),
                                               (A, 2, "Employer NI per hour", None),
                                               (A, 2, "Apprenticeship levy per hour", None)], []),
}


@pytest.mark.parametrize("name", CASES)
def test_rule_fires_on_the_breaching_cell_only(tmp_path, name):
    assert_fires_only(tmp_path, *CASES[name])


def _renamed(tmp_path, header: str, to: str, blank: str | None = None):
    from tests.workbooks import make_workbook, set_cell, valid_sheets
    sheets = valid_sheets()
    if blank:
        set_cell(sheets, "Assignments", 2, blank, None)
    sheets["Assignments"][0][sheets["Assignments"][0].index(header)] = to
    return make_workbook(tmp_path / "renamed.xlsx", sheets)


@pytest.mark.parametrize("header, to", [("Holiday pay per hour", "HP accr."), ("Employer NI per hour", "Class 1 secondary")])
def test_q515_on_a_component_the_sheet_does_not_have_points_at_the_payment_route(tmp_path, header, to):
    """A component column the reader does not know is blank on every row: Q515 names a cell all the same."""
    from pipeline.rules.validate import validate_file
    q515 = [f for f in validate_file(_renamed(tmp_path, header, to)).findings if f.code == "Q515"]
    assert q515 and all(f.cell and f.cell.startswith("H") for f in q515)      # H: Payment route


def test_q515_with_no_cap_basis_rate_never_shows_nan(tmp_path):
    """The pay rate's header not recognised (E003): Q515 says no rate could be worked out, not '£nan/h'."""
    from pipeline.rules.validate import validate_file
    result = validate_file(_renamed(tmp_path, "Hourly pay rate", "Remuneration", blank="Holiday pay per hour"))
    q515 = [f for f in result.findings if f.code == "Q515"]
    assert q515 and q515[0].cell == "O2"
    assert "£nan" not in q515[0].message and "no cap-basis rate could be worked out" in q515[0].message
