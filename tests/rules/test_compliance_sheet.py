"""E401, E403 (pipeline/rules/compliance_sheet.py): each compliance rule declared once, and an
explanation for Partially / Not compliant."""
from __future__ import annotations

from tests.rules.edits import found, run
from tests.workbooks import set_cell


def test_E401_E402_E403_compliance(tmp_path):
    def edit(s):
        set_cell(s, "Compliance", 8, "Rule", "References")          # Data return row becomes a duplicate
        set_cell(s, "Compliance", 2, "Status", "Mostly")
        set_cell(s, "Compliance", 3, "Status", "Not compliant")
    result = run(tmp_path, edit)
    assert [(f.cell, f.value) for f in found(result, "E401")] == [(None, "Data return"), ("A8", "References")]
    assert [f.cell for f in found(result, "E402")] == ["B2"]
    [f] = found(result, "E403")
    assert f.cell == "D3" and "Not compliant" in f.message


def test_E403_a_status_with_its_explanation_is_fine(tmp_path):
    def edit(s):
        set_cell(s, "Compliance", 3, "Status", "Not compliant")
        set_cell(s, "Compliance", 3, "Explanation", "Two workers started before their references came back")
    assert not found(run(tmp_path, edit), "E403")
