"""The transition (pipeline/rules/transition.py): legacy assignments are spared the rules on the
terms of engagement until it ends."""
from __future__ import annotations

from pipeline.core.contract import Quarter
from tests.rules.edits import A, D, check, fired


def test_legacy_is_bound_once_the_transition_ends(tmp_path):
    """2025-Q4: an assignment from June 2024 is held to the cap in force on 1 Oct 2025 (London SW £41.10)."""
    edits = [(A, 2, "Start date", D(2024, 6, 1)), (A, 2, "Hourly pay rate", 34.2), (A, 2, "PQE years", 2)]
    result = check(tmp_path, edits, quarter=Quarter(2025, 4))
    assert [c for c in fired(result) if c[0] != "Q512"] == [("Q501", "U2"), ("Q503", "Y2"), ("Q518", "X2")]
    assert "£41.10" in next(f.message for f in result.findings if f.code == "Q501")
