"""Units read, not assumed (pipeline/read/units.py): a decimal comma is never read ×100 and a
percentage under a £ field is never read as £, on real .xlsx files, each also re-saved by LibreOffice."""
from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from pipeline.core.contract import MONEY, NUMBER, SHEETS_BY_NAME
from pipeline.rules.validate import validate_file
from tests.libreoffice import needs_libreoffice, resaved
from tests.workbooks import make_workbook, set_cell, valid_sheets

NUMBER_FIELDS = [(s, c.header, c.code) for s in ("Assignments", "ProjectTeams", "MonthlyCosts")
                 for c in SHEETS_BY_NAME[s].columns if c.kind in (MONEY, NUMBER)]


def _key(sheet: str, header: str) -> str:
    return next(c.key for c in SHEETS_BY_NAME[sheet].columns if c.header == header)


def _on(result, cell: str, sheet: str = "Assignments"):
    return [f for f in result.findings if f.cell == cell and f.sheet == sheet]


def _edited(tmp_path, edits: list[tuple[str, int, str, object]], formats: dict[str, str] | None = None,
            name: str = "edited.xlsx"):
    """A valid return with some cells changed (sheet, row, header, value) and some number formats set."""
    sheets = valid_sheets()
    refs = [set_cell(sheets, sheet, row, header, value) for sheet, row, header, value in edits]
    path = make_workbook(tmp_path / name, sheets)
    if formats:
        wb = openpyxl.load_workbook(path)
        for ref, fmt in formats.items():
            wb["Assignments"][ref].number_format = fmt
        wb.save(path)
    return path, refs


@pytest.mark.parametrize("sheet, header, code", NUMBER_FIELDS)
def test_a_decimal_comma_in_any_number_field_is_its_code_on_the_cell_never_x100(tmp_path, sheet, header, code):
    path, (ref,) = _edited(tmp_path, [(sheet, 2, header, "3,40")])
    result = validate_file(path)
    found = _on(result, ref, sheet)
    assert [(f.code, f.severity) for f in found] == [(code, "error")]          # one finding, nothing else on the cell
    assert "decimal comma" in found[0].message and "3.40" in found[0].message
    key = _key(sheet, header)
    assert pd.isna(result.submission.wb.sheets[sheet].data.at[2, key])


@pytest.mark.parametrize("text, shown", [("35,62", "35.62"), ("3,4", "3.4"), ("17901,00", "17901.00"),
                                         ("1.234,56", "1234.56"), ("£3,40", "£3.40"), (" 4,30 ", "4.30")])
def test_decimal_comma_spellings(tmp_path, text, shown):
    path, (ref,) = _edited(tmp_path, [("Assignments", 3, "Holiday pay per hour", text)])
    found = _on(validate_file(path), ref)
    assert [f.code for f in found] == ["E110"] and f"e.g. {shown}," in found[0].message


@pytest.mark.parametrize("text, value", [("1,234", 1234.0), ("12,345.60", 12345.6), ("£19,000", 19000.0),
                                         ("1,234,567", 1234567.0)])
def test_thousands_commas_are_still_read(tmp_path, text, value):
    path, (ref,) = _edited(tmp_path, [("Assignments", 2, "Cost in quarter", text)])
    result = validate_file(path)
    assert not [f for f in _on(result, ref) if f.code.startswith("E")]
    assert result.submission.wb.sheets["Assignments"].data.at[2, "cost_in_quarter"] == value


# --- percentages under £ fields ---------------------------------------------------------------

@pytest.mark.parametrize("value, fmt", [(0.14, "0%"), (0.14, "0.00%"), (0.14, '0.0"%"'), ("14%", None), ("14 %", None)])
def test_an_agency_fee_given_as_a_percentage_is_that_share_of_the_pay_rate_and_q521(tmp_path, value, fmt):
    path, (ref,) = _edited(tmp_path, [("Assignments", 2, "Agency fee per hour", value)],
                           formats={"R2": fmt} if fmt else None)
    result = validate_file(path)
    fee = result.submission.wb.sheets["Assignments"].data.at[2, "agency_fee_per_hour"]
    if fmt == '0.0"%"':            # a '%' in quotes is text in the format, not a percentage: read as it is
        assert fee == 0.14 and not _on(result, ref)
        return
    assert fee == pytest.approx(30.0 * 0.14)
    found = _on(result, ref)
    assert [(f.code, f.severity) for f in found] == [("Q521", "query")]
    assert "14%" in found[0].message and "£30.00" in found[0].message and "£4.20" in found[0].message


@pytest.mark.parametrize("header", ["Holiday pay per hour", "Employer NI per hour", "Apprenticeship levy per hour",
                                    "Charge rate per hour", "Cost in quarter", "Hourly pay rate"])
def test_a_percentage_under_any_other_money_field_is_not_read_as_pounds(tmp_path, header):
    col = valid_sheets()["Assignments"][0].index(header)
    letter = openpyxl.utils.get_column_letter(col + 1)
    path, (ref,) = _edited(tmp_path, [("Assignments", 2, header, 0.005)], formats={f"{letter}2": "0.0%"})
    result = validate_file(path)
    found = _on(result, ref)
    key = _key("Assignments", header)
    code = SHEETS_BY_NAME["Assignments"].column(key).code
    assert [(f.code, f.severity) for f in found] == [(code, "error")]
    assert "percentage (0.5%)" in found[0].message
    assert result.submission.wb.sheets["Assignments"].data[key].isna().at[2]


@pytest.mark.parametrize("header, values, fees", [
    ("Agency fee %", [14, 10, 12.5], [4.2, 3.3, 3.75]),                # percentages as numbers
    ("Margin %", [0.14, 0.1, 0.125], [4.2, 3.3, 3.75]),                # fractions, as a % cell stores them
    ("Agency fee (pct)", [14, 10, 12.5], [4.2, 3.3, 3.75]),
])
def test_a_header_that_says_percent_makes_its_column_percentages(tmp_path, header, values, fees):
    sheets = valid_sheets()
    rows = sheets["Assignments"]
    col = rows[0].index("Agency fee per hour")
    rows[0][col] = header
    for row, v in zip(rows[1:], values):
        row[col] = v
    result = validate_file(make_workbook(tmp_path / "pct.xlsx", sheets))
    got = result.submission.wb.sheets["Assignments"].data["agency_fee_per_hour"].tolist()
    assert got == pytest.approx(fees)
    assert [f.code for f in result.findings if f.code == "Q521"] == ["Q521"] * 3


def test_a_fee_percentage_with_no_pay_rate_is_not_read(tmp_path):
    path, (pay, ref) = _edited(tmp_path, [("Assignments", 2, "Hourly pay rate", None),
                                          ("Assignments", 2, "Agency fee per hour", "14%")])
    result = validate_file(path)
    assert [f.code for f in _on(result, ref)] == ["E110"]
    assert [f.code for f in _on(result, pay)] == ["E107"]


@needs_libreoffice
def test_decimal_commas_and_percentages_re_saved_by_libreoffice_give_the_same_findings(tmp_path):
    path, _ = _edited(tmp_path, [("Assignments", 2, "Hourly pay rate", "35,62"),
                                 ("Assignments", 3, "Agency fee per hour", 0.14),
                                 ("Assignments", 4, "Holiday pay per hour", 0.12),
                                 ("MonthlyCosts", 3, "MSP fees", "200,50")],
                      formats={"R3": "0%", "O4": "0%"})
    again = resaved(path, tmp_path / "lo")
    mine = sorted((f.code, f.sheet, f.cell) for f in validate_file(path).findings)
    theirs = sorted((f.code, f.sheet, f.cell) for f in validate_file(again).findings)
    assert mine == theirs
    assert {("E107", "N2"), ("Q521", "R3"), ("E110", "O4"), ("E302", "E3")} <= {(c, cell) for c, _, cell in mine}


@pytest.mark.parametrize("sheet, header, code", [("MonthlyCosts", "Agency fees", "E302"), ("MonthlyCosts", "MSP fees", "E302"),
                                                 ("ProjectTeams", "Other costs in quarter", "E202")])
def test_a_percentage_on_other_sheets_is_not_read_as_pounds(tmp_path, sheet, header, code):
    path, (ref,) = _edited(tmp_path, [(sheet, 2, header, "12%")])
    result = validate_file(path)
    assert [(f.code, "percentage (12%)" in f.message) for f in _on(result, ref, sheet)] == [(code, True)]
    assert pd.isna(result.submission.wb.sheets[sheet].data.at[2, _key(sheet, header)])
