"""The order of day and month read from a column of text dates (pipeline/read/date_order.py): a
month-first column's ambiguous dates are read month-first and queried (Q522), never silently
day-first; on real .xlsx files, also re-saved by LibreOffice."""
from __future__ import annotations

import pandas as pd
import pytest

from pipeline.core.contract import column_letter
from pipeline.rules.validate import validate_file
from tests.libreoffice import needs_libreoffice, resaved
from tests.workbooks import make_workbook, valid_sheets

# (the column's three text dates, what each is read as, which rows are queried)
COLUMNS = [
    (["04/21/2025", "05/06/2025", "06/07/2025"], ["2025-04-21", "2025-05-06", "2025-06-07"], [3, 4]),
    (["4/21/25", "5/6/25", "12/12/2024"], ["2025-04-21", "2025-05-06", "2024-12-12"], [3]),
    (["04-21-2025", "05-06-2025", "06-07-2025"], ["2025-04-21", "2025-05-06", "2025-06-07"], [3, 4]),
    (["04/21/2025 00:00", "05/06/2025", "06/30/2025"], ["2025-04-21", "2025-05-06", "2025-06-30"], [3]),
    # day-first columns, and columns with no date only one order makes sense of: read day-first
    (["21/04/2025", "05/06/2025", "07/06/2025"], ["2025-04-21", "2025-06-05", "2025-06-07"], []),
    (["01/04/2025", "05/06/2025", "07/06/2025"], ["2025-04-01", "2025-06-05", "2025-06-07"], []),
]


def _with_start_dates(tmp_path, dates, name="dates.xlsx", column="Start date"):
    sheets = valid_sheets()
    rows = sheets["Assignments"]
    col = rows[0].index(column)
    for row, text in zip(rows[1:], dates):
        row[col] = text
    return make_workbook(tmp_path / name, sheets), column_letter(col)


@pytest.mark.parametrize("dates, read, queried", COLUMNS)
def test_a_column_of_text_dates_is_read_in_its_own_order(tmp_path, dates, read, queried):
    path, letter = _with_start_dates(tmp_path, dates)
    result = validate_file(path)
    got = result.submission.wb.sheets["Assignments"].data["start_date"].tolist()
    assert got == [pd.Timestamp(d) for d in read]
    q522 = [f for f in result.findings if f.code == "Q522"]
    assert [f.cell for f in q522] == [f"{letter}{r}" for r in queried]
    assert not [f for f in result.findings if f.code == "E104"]


def test_the_query_says_how_the_date_was_read_and_why(tmp_path):
    path, letter = _with_start_dates(tmp_path, ["04/21/2025", "05/06/2025", "06/07/2025"])
    q522 = next(f for f in validate_file(path).findings if f.code == "Q522")
    assert q522.severity == "query"
    assert "read as 6 May 2025" in q522.message and f"'04/21/2025' in {letter}2" in q522.message


def test_a_column_mixing_both_orders_is_left_to_the_day_first_reading(tmp_path):
    path, letter = _with_start_dates(tmp_path, ["04/21/2025", "21/04/2025", "05/06/2025"])
    result = validate_file(path)
    assert [(f.code, f.cell) for f in result.findings if f.code in ("E104", "Q522")] == [("E104", f"{letter}2")]


@pytest.mark.parametrize("column", ["End date", "Cap approval date"])
def test_every_date_column_is_read_in_its_own_order(tmp_path, column):
    path, letter = _with_start_dates(tmp_path, ["06/21/2025", "06/05/2025", None], column=column)
    result = validate_file(path)
    assert [f.cell for f in result.findings if f.code == "Q522"] == [f"{letter}3"]


@needs_libreoffice
def test_month_first_dates_re_saved_by_libreoffice_give_the_same_findings(tmp_path):
    path, _ = _with_start_dates(tmp_path, ["04/21/2025", "05/06/2025", "06/07/2025"])
    again = resaved(path, tmp_path / "lo")
    mine, theirs = validate_file(path), validate_file(again)
    assert sorted((f.code, f.cell) for f in mine.findings) == sorted((f.code, f.cell) for f in theirs.findings)
    assert mine.submission.wb.sheets["Assignments"].data["start_date"].tolist() == \
        theirs.submission.wb.sheets["Assignments"].data["start_date"].tolist()
