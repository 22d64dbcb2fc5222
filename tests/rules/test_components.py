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
