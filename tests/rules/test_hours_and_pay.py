"""Q507, Q508 (pipeline/rules/hours_and_pay.py): hours per week over 48, an hourly pay rate outside
£15–£150."""
from __future__ import annotations

import pytest

from tests.rules.edits import A, D, assert_fires_only

# (edits, expected (code, cell) pairs): one breach per case, and the boundary next to it.
CASES = {
    "Q507 hours over 48": ([(A, 3, "Hours per week", 48.5)], [("Q507", "M3")]),
    "Q507 exactly 48 hours": ([(A, 3, "Hours per week", 48)], []),
    "Q507 legacy still applies": ([(A, 2, "Hours per week", 60), (A, 2, "Start date", D(2024, 6, 1))], [("Q507", "M2")]),
    "Q508 pay rate below £15": ([(A, 2, "Hourly pay rate", 14.99)], [("Q508", "N2")]),
    "Q508 pay rate exactly £15": ([(A, 2, "Hourly pay rate", 15)], []),
    "Q508 pay rate above £150 (and over the cap)": ([(A, 2, "Hourly pay rate", 150.01)],
                                                    [("Q501", "U2"), ("Q508", "N2"), ("Q518", "X2")]),
}


@pytest.mark.parametrize("name", CASES)
def test_rule_fires_on_the_breaching_cell_only(tmp_path, name):
    assert_fires_only(tmp_path, *CASES[name])
