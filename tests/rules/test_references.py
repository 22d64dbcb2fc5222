"""Q505 (pipeline/rules/references.py): references not obtained, fewer than 2, or not recorded."""
from __future__ import annotations

import pytest

from pipeline.core.contract import Quarter
from tests.rules.edits import A, D, assert_fires_only, check, fired

# (edits, expected (code, cell) pairs): one breach per case, and the boundary next to it.
CASES = {
    "Q505 no reference": ([(A, 3, "Reference obtained", "No")], [("Q505", "AD3")]),
    "Q505 one reference": ([(A, 3, "Reference obtained", 1)], [("Q505", "AD3")]),
    "Q505 references not recorded": ([(A, 3, "Reference obtained", None)], [("Q505", "AD3")]),
    "Q505 two references": ([(A, 3, "Reference obtained", 2)], []),
    "Q505 three references as text": ([(A, 3, "Reference obtained", "3")], []),
}


@pytest.mark.parametrize("name", CASES)
def test_rule_fires_on_the_breaching_cell_only(tmp_path, name):
    assert_fires_only(tmp_path, *CASES[name])


# Q519 (contract 3, from 2026-Q4): A002 (row 3) ends in the quarter; A001 and A003 are ongoing.
Q519_CASES = {
    "Q519 reference not provided": ([(A, 3, "Reference provided", "No")], [("Q519", "AI3")]),
    "Q519 not recorded": ([(A, 3, "Reference provided", None)], [("Q519", "AI3")]),
    "Q519 provided": ([(A, 3, "Reference provided", "Yes")], []),
    "Q519 ongoing assignment without one": ([(A, 2, "Reference provided", "No")], []),
    "Q519 ending after the quarter": ([(A, 3, "Reference provided", None), (A, 3, "End date", D(2027, 1, 1))], []),
}


@pytest.mark.parametrize("name", Q519_CASES)
def test_q519_fires_on_an_assignment_that_ended_without_a_reference_provided(tmp_path, name):
    edits, expected = Q519_CASES[name]
    result = check(tmp_path, edits, quarter=Quarter(2026, 4))
    assert fired(result, "E") == []
    assert [c for c in fired(result) if c[0] == "Q519"] == expected


def test_q519_is_not_checked_before_contract_3(tmp_path):
    result = check(tmp_path, [(A, 3, "Reference provided", "No")], quarter=Quarter(2026, 3))
    assert not [f for f in result.findings if f.code == "Q519"]
