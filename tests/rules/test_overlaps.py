"""Q509 (pipeline/rules/overlaps.py): the same SWE number on overlapping assignments of this LA."""
from __future__ import annotations

import pytest

from tests.rules.edits import A, D, assert_fires_only, check

# (edits, expected (code, cell) pairs): one breach per case, and the boundary next to it.
CASES = {
    "Q509 same worker, overlapping": ([(A, 3, "SWE registration number", "sw 0100001")], [("Q509", "B2"), ("Q509", "B3")]),
    "Q509 same worker, one after the other": ([(A, 3, "SWE registration number", "SW100001"),
                                               (A, 2, "End date", D(2025, 4, 10))], []),
}


@pytest.mark.parametrize("name", CASES)
def test_rule_fires_on_the_breaching_cell_only(tmp_path, name):
    assert_fires_only(tmp_path, *CASES[name])


def test_q509_names_the_other_assignment(tmp_path):
    result = check(tmp_path, [(A, 3, "SWE registration number", "SW100001")])
    messages = {f.cell: f.message for f in result.findings if f.code == "Q509"}
    assert "A002 (row 3)" in messages["B2"] and "A001 (row 2)" in messages["B3"]
