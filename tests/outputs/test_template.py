"""The blank upload workbook: read back with openpyxl, as a council's Excel would show it."""
import time

import openpyxl
import pytest

from pipeline.core import reference
from pipeline.core.contract import CHOICE, COMPLIANCE_RULES, RETURN, SHEETS, Quarter, column_letter
from pipeline.outputs.template import LISTS, column_width, write_template

Q = Quarter(2025, 2)


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    path = write_template(tmp_path_factory.mktemp("t") / "template.xlsx", Q, "812")
    return openpyxl.load_workbook(path)


def _allowed(wb, dv) -> list[str]:
    """The values a list validation allows: inline, or a range on the Lists sheet."""
    formula = dv.formula1
    if formula.startswith('"'):
        return formula.strip('"').split(",")
    sheet, cells = formula.lstrip("=").split("!")
    return [c.value for row in wb[sheet][cells.replace("$", "")] for c in row]


def _column(ws, index: int):
    """The <col> entry covering a 0-based column (xlsxwriter merges neighbours with equal settings)."""
    return next(d for d in ws.column_dimensions.values() if d.min <= index + 1 <= d.max)


def _validations(ws) -> dict[str, object]:
    """First cell of each validated range -> its validation."""
    return {str(dv.sqref).split(":")[0]: dv for dv in ws.data_validations.dataValidation}


def test_sheets_in_order_with_hidden_lists(book):
    assert book.sheetnames == ["Instructions", *(s.name for s in SHEETS), LISTS]
    assert book[LISTS].sheet_state == "hidden"
    assert book.active.title == "Instructions"
    text = " ".join(str(c.value) for row in book["Instructions"].iter_rows() for c in row if c.value)
    assert "Note" in text and all(s.name in text for s in SHEETS)


def test_every_choice_column_has_exactly_the_contracts_list(book):
    for sheet in SHEETS:
        if sheet.key_value:
            continue
        ws = book[sheet.name]
        dvs = _validations(ws)
        for i, col in enumerate(sheet.columns):
            if col.kind != CHOICE:
                continue
            dv = dvs[f"{column_letter(i)}2"]
            assert dv.type == "list"
            assert str(dv.sqref) == f"{column_letter(i)}2:{column_letter(i)}5000"
            assert _allowed(book, dv) == list(col.choices), (sheet.name, col.header)


def test_headers_frozen_bold_with_a_comment_and_widths(book):
    for sheet in SHEETS:
        if sheet.key_value:
            continue
        ws = book[sheet.name]
        assert ws.freeze_panes == "A2"
        for i, col in enumerate(sheet.columns):
            cell = ws.cell(1, i + 1)
            assert cell.value == col.header and cell.font.b
            assert cell.comment is not None and (not col.note or cell.comment.text == col.note)
            assert _column(ws, i).width == pytest.approx(column_width(col), abs=1)
            assert not cell.alignment.wrap_text and len(col.header) < column_width(col)   # one row


def test_number_formats(book):
    ws = book["Assignments"]
    formats = {c.header: _column(ws, i).number_format for i, c in enumerate(SHEETS[1].columns)}
    assert formats["Hourly pay rate"] == "£#,##0.00"
    assert formats["Start date"] == "dd/mm/yyyy"
    assert book["MonthlyCosts"]["A2"].number_format == "mmm yyyy"


def test_return_keys_and_la_code_dropdown(book):
    ws = book["Return"]
    assert [ws.cell(r + 1, 1).value for r in range(len(RETURN.columns))] == [c.header for c in RETURN.columns]
    assert ws["B1"].value == "812" and ws["B2"].value == "North East Lincolnshire" and ws["B3"].value == "2025-Q2"
    assert ws["A3"].comment is not None and "2025-Q1" in ws["A3"].comment.text
    allowed = _allowed(book, _validations(ws)["B1"])
    assert allowed == [la.code for la in reference.live_las(Q)]
    names = [c.value for c in book[LISTS]["B"][1:len(allowed) + 1]]
    assert names[allowed.index("812")] == "North East Lincolnshire"


def test_prefilled_compliance_and_months(book, tmp_path):
    assert [book["Compliance"].cell(r, 1).value for r in range(2, 9)] == list(COMPLIANCE_RULES)
    assert book["Compliance"].cell(9, 1).value is None
    assert [book["MonthlyCosts"].cell(r, 1).value.date() for r in range(2, 5)] == Q.months
    blank = openpyxl.load_workbook(write_template(tmp_path / "blank.xlsx"))
    assert blank["MonthlyCosts"].max_row == 1 and blank["Return"]["B1"].value is None


def test_fast(tmp_path):
    started = time.perf_counter()
    write_template(tmp_path / "t.xlsx", Q)
    assert time.perf_counter() - started < 1


def test_instructions_rows_are_tall_enough_not_to_overprint(book):
    ws = book["Instructions"]
    for row in ws.iter_rows(min_row=2):
        text = row[0].value
        if isinstance(text, str) and len(text) > 100:
            assert row[0].alignment.wrap_text
            lines = -(-len(text) // 110)
            assert ws.row_dimensions[row[0].row].height >= 15 * lines, text[:40]
    text = " ".join(str(r[0].value) for r in ws.iter_rows() if r[0].value)
    assert "(optional): Optional" not in text and "Leavers (optional): Permanent" in text


def test_new_columns_and_what_counts_in_their_notes(book):
    ws = book["Assignments"]
    headers = {c.value: c for c in ws[1]}
    assert {"Cap reported to RIIA", "Permanent notice weeks"} <= set(headers)
    notes = {h: c.comment.text for h, c in headers.items()}
    assert "direct employment" in notes["PQE years"] and "agency time does not" in notes["PQE years"]
    assert "number of practice-based references" in notes["Reference obtained"]
    assert "holiday pay" in notes["Payment route"] and "limited-company" in notes["Payment route"]
    assert "at least 4 weeks" in notes["Notice period weeks"]
    i = list(headers).index("Reference obtained")
    dv = _validations(ws)[f"{column_letter(i)}2"]
    assert _allowed(book, dv) == ["Yes", "No", "0", "1", "2", "3", "4", "5"]
