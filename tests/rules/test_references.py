"""Q505 (pipeline/rules/references.py): references not obtained, fewer than 2, or not recorded."""
from __future__ import annotations

import pytest

from tests.rules.edits import A, assert_fires_only

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
