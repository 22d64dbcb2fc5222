"""Q506 (pipeline/rules/notice.py): notice under 4 weeks, unless the permanent equivalent's is
shorter and the assignment gives at least that."""
from __future__ import annotations

import pytest

from tests.rules.edits import A, D, assert_fires_only

# (edits, expected (code, cell) pairs): one breach per case, and the boundary next to it.
CASES = {
    "Q506 notice under 4 weeks": ([(A, 3, "Notice period weeks", 3)], [("Q506", "AE3")]),
    "Q506 notice exactly 4 weeks": ([(A, 3, "Notice period weeks", 4)], []),
    "Q506 notice of 8 weeks is not a breach": ([(A, 3, "Notice period weeks", 8)], []),
    "Q506 notice 3, permanent equivalent 3": ([(A, 3, "Notice period weeks", 3), (A, 3, "Permanent notice weeks", 3)], []),
    "Q506 notice 3, permanent equivalent 4": ([(A, 3, "Notice period weeks", 3), (A, 3, "Permanent notice weeks", 4)],
                                              [("Q506", "AE3")]),
    "Q506 notice 2, permanent equivalent 3": ([(A, 3, "Notice period weeks", 2), (A, 3, "Permanent notice weeks", 3)],
                                              [("Q506", "AE3")]),
    "Q506 legacy assignment": ([(A, 2, "Notice period weeks", 1), (A, 2, "Start date", D(2024, 6, 1))], []),
}


@pytest.mark.parametrize("name", CASES)
def test_rule_fires_on_the_breaching_cell_only(tmp_path, name):
    assert_fires_only(tmp_path, *CASES[name])
