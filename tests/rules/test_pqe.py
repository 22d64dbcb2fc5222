"""Q503 (pipeline/rules/pqe.py): post-qualifying experience under 3 years."""
from __future__ import annotations

import pytest

from tests.rules.edits import A, D, assert_fires_only

# (edits, expected (code, cell) pairs): one breach per case, and the boundary next to it.
CASES = {
    "Q503 PQE under 3": ([(A, 3, "PQE years", 2.9)], [("Q503", "Y3")]),
    "Q503 PQE exactly 3": ([(A, 3, "PQE years", 3)], []),
    "Q503 legacy assignment": ([(A, 2, "PQE years", 1), (A, 2, "Start date", D(2024, 10, 30))], []),
}


@pytest.mark.parametrize("name", CASES)
def test_rule_fires_on_the_breaching_cell_only(tmp_path, name):
    assert_fires_only(tmp_path, *CASES[name])
