"""Cells merged over several rows (pipeline/read/merged.py): a text field is filled down, a money or
number field is read once, on its first row, and queried (Q523); on real .xlsx files, also re-saved
by LibreOffice."""
from __future__ import annotations

import pytest

from pipeline.core.contract import MONEY, NUMBER, SHEETS_BY_NAME, column_letter
from pipeline.rules.validate import validate_file
from tests.libreoffice import needs_libreoffice, resaved
from tests.workbooks import make_workbook, valid_sheets

NUMBERS = [c for c in SHEETS_BY_NAME["Assignments"].columns if c.kind in (MONEY, NUMBER)]


def _merged(tmp_path, header: str, rows: tuple[int, int] = (2, 3), name: str = "merged.xlsx"):
    sheets = valid_sheets()
    col = sheets["Assignments"][0].index(header)
    if sheets["Assignments"][rows[0] - 1][col] is None:    # a field the valid return leaves blank
        sheets["Assignments"][rows[0] - 1][col] = 2 if header.endswith("weeks") else "Assessment"
    for r in range(rows[0] + 1, rows[1] + 1):
        sheets["Assignments"][r - 1][col] = None          # what a merged area holds under its first cell
    letter = column_letter(col)
    area = f"{letter}{rows[0]}:{letter}{rows[1]}"
    return make_workbook(tmp_path / name, sheets, merged={"Assignments": [area]}), letter, area


@pytest.mark.parametrize("column", NUMBERS, ids=lambda c: c.header)
def test_a_merged_money_or_number_cell_is_read_once_and_q523(tmp_path, column):
    path, letter, area = _merged(tmp_path, column.header)
    result = validate_file(path)
    data = result.submission.wb.sheets["Assignments"].data[column.key]
    assert data.notna().at[2] and data.isna().at[3]
    q523 = [f for f in result.findings if f.code == "Q523"]
    assert [(f.cell, f.severity) for f in q523] == [(f"{letter}2", "query")]
    assert area in q523[0].message and "2 rows" in q523[0].message


def test_a_cost_merged_over_three_rows_is_counted_once(tmp_path):
    path, letter, _ = _merged(tmp_path, "Cost in quarter", (2, 4))
    result = validate_file(path)
    assert result.submission.wb.sheets["Assignments"].data["cost_in_quarter"].sum() == 19000.0
    assert [f.cell for f in result.findings if f.code == "Q523"] == [f"{letter}2"]


@pytest.mark.parametrize("header", ["Agency", "Payment route", "Role category", "Service area"])
def test_a_merged_text_cell_is_filled_down_with_no_finding(tmp_path, header):
    path, _, _ = _merged(tmp_path, header)
    result = validate_file(path)
    key = next(c.key for c in SHEETS_BY_NAME["Assignments"].columns if c.header == header)
    data = result.submission.wb.sheets["Assignments"].data[key]
    assert data.at[3] == data.at[2]
    assert not [f for f in result.findings if f.code == "Q523"]


@needs_libreoffice
def test_merged_cells_re_saved_by_libreoffice_give_the_same_findings(tmp_path):
    path, _, _ = _merged(tmp_path, "Cost in quarter")
    again = resaved(path, tmp_path / "lo")
    assert sorted((f.code, f.cell) for f in validate_file(path).findings) == \
        sorted((f.code, f.cell) for f in validate_file(again).findings)
