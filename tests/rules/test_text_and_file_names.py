"""Q516, Q517 (pipeline/rules/text_and_file_names.py): an SWE number in free text, and a file name
naming another LA."""
from __future__ import annotations

import pytest

from pipeline.core.redaction import REPLACEMENT
from pipeline.rules.validate import validate_file
from tests.rules.edits import A, check, fired
from tests.workbooks import make_workbook, valid_sheets


@pytest.mark.parametrize("text", ["Replaces SW123456 who left", "ref sw 0012345", "ЅW\u200b98765 (agency said)",
                                  "ＳＷ４５６７８", "SW-12345678"])
def test_q516_fires_on_an_swe_number_in_notes_and_never_repeats_it(tmp_path, text):
    result = check(tmp_path, [(A, 3, "Notes", text)])
    (f,) = [f for f in result.findings if f.code == "Q516"]
    assert (f.sheet, f.cell) == ("Assignments", "AJ3")
    assert REPLACEMENT in f.value and text not in f.value and text not in f.message
    assert result.status == "accepted"


def test_q516_in_other_sheets_free_text(tmp_path):
    result = check(tmp_path, [("Compliance", 2, "Status", "Partially compliant"),
                              ("Compliance", 2, "Explanation", "One worker (SW100001) above the cap")])
    assert ("Q516", "D2") in fired(result)


@pytest.mark.parametrize("text", ["Started late: SWE check pending", "Hays SW Ltd 2025", "ASW12 rota", "SW12b"])
def test_q516_silent_on_text_without_an_swe_like_number(tmp_path, text):
    assert fired(check(tmp_path, [(A, 3, "Notes", text)]), "Q516") == []


@pytest.mark.parametrize("name, fires", [
    ("202_2025-Q2.xlsx", True),                 # Camden's code, Newham's return
    ("LA202 agency return.xlsx", True),
    ("316_2025-Q2.xlsx", False),
    ("Newham 2025-Q2 v3.xlsx", False),
    ("return 2025.xlsx", False),
    ("1a202b9f.xlsx", False),                   # digits inside a hash are not a code
    ("999_2025-Q2.xlsx", False),                # not a DfE LA code
])
def test_q517_file_name_names_a_different_la(tmp_path, name, fires):
    result = check(tmp_path, name=name)
    q517 = [f for f in result.findings if f.code == "Q517"]
    assert bool(q517) == fires
    if fires:
        assert (q517[0].sheet, q517[0].cell, q517[0].value) == ("Return", "B1", "316")
        assert "Camden" in q517[0].message and "Newham" in q517[0].message


def test_q517_judged_by_the_name_the_council_sent_not_the_kept_copy(tmp_path):
    path = make_workbook(tmp_path / "0123abc.xlsx", valid_sheets())
    assert fired(validate_file(path, name="202 return.xlsx"), "Q517") == [("Q517", "B1")]
