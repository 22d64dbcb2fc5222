"""E004, E005, E104 (pipeline/rules/return_sheet.py): the Return sheet's LA code, quarter and date
prepared."""
from __future__ import annotations

import pytest

from tests.rules.edits import D, check, fired, found, run
from tests.workbooks import set_cell


@pytest.mark.parametrize("value, variant", [(None, "blank"), ("999", "not a DfE"), ("909", "not a live")])
def test_E004_la_code(tmp_path, value, variant):
    [f] = found(run(tmp_path, lambda s: set_cell(s, "Return", 0, "LA code", value)), "E004")
    assert f.cell == "B1" and variant in f.message          # 909 = Cumbria, abolished 2023


@pytest.mark.parametrize("value, quarter, words", [(None, None, "blank"), ("Q2 2025", None, "is not a quarter"),
                                                   ("2025-Q2", "2025-Q3", "2025-Q3 is being collected")])
def test_E005_quarter(tmp_path, value, quarter, words):
    [f] = found(run(tmp_path, lambda s: set_cell(s, "Return", 0, "Quarter", value), quarter=quarter), "E005")
    assert f.cell == "B3" and words in f.message


def test_the_quarter_being_collected_and_a_live_la_raise_nothing(tmp_path):
    result = run(tmp_path, quarter="2025-Q2")
    assert not found(result, "E004") and not found(result, "E005")


@pytest.mark.parametrize("value, expected", [("yesterday", [("E104", "B6")]), (D(2025, 7, 1), []), (None, [])])
def test_E104_the_date_prepared_is_a_date_when_given(tmp_path, value, expected):
    assert fired(check(tmp_path, [("Return", 0, "Date prepared", value)]), "E") == expected
