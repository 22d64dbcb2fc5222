"""The two ways a table sheet is read give the same frames, cell for cell.

A large plain sheet is read by fastexcel straight into Arrow (`arrow._arrow_cells`); every other
sheet, and a large one that way cannot vouch for, by python-calamine's rows (`rows.RowCells`),
which is also the oracle here. With `ARROW_FROM_BYTES` at 0 every table sheet tries the Arrow way,
so each workbook below is read both ways and everything the reader gives must match: the sample
data, the intake cases, odd workbooks (title rows, totals, footnotes, error values, formulas never
calculated, merged cells, Booleans, mixed columns, odd packages) and generated ones over 2,000 rows,
where the column passes work on whole columns.
"""
from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pandas as pd
import pytest
import xlsxwriter

from pipeline.core.contract import SHEETS_BY_NAME, Quarter
from pipeline.outputs.sample import write_la_workbook
from pipeline.read import arrow, opening, workbook
from tests import packages
from tests.workbooks import make_workbook, set_cell, valid_sheets, valid_workbook

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = sorted((ROOT / "sample_data").glob("*.xlsx"))
INTAKE = sorted((ROOT / "tests" / "cases" / "intake").glob("*.xlsx")) + \
    sorted((ROOT / "tests" / "cases" / "intake3").glob("*.xlsx"))
QUARTER = Quarter(2025, 2)


def _read(path: Path, arrow_way: bool, monkeypatch) -> tuple[workbook.Workbook, list[str]]:
    """The workbook read with the Arrow way tried on every table sheet (or on none), and the contract
    sheets it read."""
    taken = []
    original = arrow._arrow_cells

    def counting(*args):
        cells = original(*args)
        if cells is not None:
            taken.append(args[2].name)
        return cells
    with monkeypatch.context() as m:
        m.setattr(opening, "ARROW_FROM_BYTES", 0 if arrow_way else 1 << 62)
        m.setattr(arrow, "_arrow_cells", counting)
        return workbook.read_workbook(path), taken


def assert_same_reading(path: Path, monkeypatch) -> list[str]:
    """Both ways read `path` alike; returns the sheets the Arrow way read."""
    fast, taken = _read(path, True, monkeypatch)
    usual, none = _read(path, False, monkeypatch)
    assert none == []
    assert [f.to_dict() for f in fast.findings] == [f.to_dict() for f in usual.findings]
    assert fast.sheet_names == usual.sheet_names and fast.reported_cells == usual.reported_cells
    assert fast.return_sheet == usual.return_sheet
    assert list(fast.sheets) == list(usual.sheets)
    for name, a in fast.sheets.items():
        b = usual.sheets[name]
        pd.testing.assert_frame_equal(a.raw, b.raw, check_exact=True)
        pd.testing.assert_frame_equal(a.data, b.data, check_exact=True)
        assert list(a.raw.columns) == list(b.raw.columns) and list(a.data.columns) == list(b.data.columns)
        assert (a.found_name, a.header_row, a.positions, a.extra_columns, a.hidden, a.error_columns) == \
               (b.found_name, b.header_row, b.positions, b.extra_columns, b.hidden, b.error_columns)
    return taken


@pytest.mark.parametrize("path", SAMPLES + INTAKE, ids=lambda p: p.name)
def test_sample_data_and_intake_cases_read_alike_both_ways(path, monkeypatch):
    assert_same_reading(path, monkeypatch)


def test_the_arrow_way_reads_the_sample_data(monkeypatch):
    assert "Assignments" in assert_same_reading(SAMPLES[0], monkeypatch)


@pytest.mark.parametrize("flavour", ["clean", "messy", "errors"])
def test_generated_workbooks_over_2000_rows_read_alike_both_ways(flavour, tmp_path, monkeypatch):
    path = write_la_workbook(tmp_path / f"{flavour}.xlsx", "316", QUARTER, seed=3, n_assignments=2_400,
                             flavour=flavour)
    taken = assert_same_reading(path, monkeypatch)
    if flavour == "clean":
        assert "Assignments" in taken


def _mixed_workbook(path: Path, rows: int) -> Path:
    """An Assignments sheet whose columns mix text with numbers Excel stores unrounded (0.1 + 0.2),
    whole numbers, huge and tiny ones, dates, blanks, error values, a total row and a footnote."""
    rng = random.Random(rows)
    columns = SHEETS_BY_NAME["Assignments"].columns
    wb = xlsxwriter.Workbook(path)
    date = wb.add_format({"num_format": "dd/mm/yyyy"})
    ws = wb.add_worksheet("Assignments")
    for c, col in enumerate(columns):
        ws.write_string(0, c, col.header)
    odd = [0.1 + 0.2, 29.020000000000003, 2.0, 1e16, 1.5e-7, -0.0, 123456789.123456789, 35, 0]
    for r in range(1, rows + 1):
        for c, col in enumerate(columns):
            pick = rng.random()
            if col.key == "swe_registration_number":
                ws.write_string(r, c, f" sw {rng.randrange(1, 10**6):06d} ")
            elif col.key in ("start_date", "end_date"):
                ws.write_datetime(r, c, dt.datetime(2025, 4, 1) + dt.timedelta(days=rng.randrange(90)), date)
            elif col.key in ("hourly_pay_rate", "reference_obtained", "pqe_years", "notes") and pick < 0.5:
                ws.write_number(r, c, rng.choice(odd))
            elif pick < 0.2:
                continue
            elif col.key == "cost_in_quarter" and pick < 0.25:
                ws.write_formula(r, c, "=NA()", None, "#N/A")
            else:
                ws.write_string(r, c, rng.choice(["Yes", " 2 ", "£1,234.50", "PAYE", "Social worker", "nan", "NA"]))
    ws.write_string(rows + 1, 0, "Total")
    ws.write_number(rows + 1, 19, 12345.5)
    ws.write_string(rows + 3, 0, "Source: MSP extract, 3 July 2025")
    ret = wb.add_worksheet("Return")
    for r, (key, value) in enumerate([("LA code", "316"), ("Quarter", "2025-Q2")]):
        ret.write_string(r, 0, key)
        ret.write_string(r, 1, value)
    wb.close()
    return path


@pytest.mark.parametrize("rows", [40, 2_300])
def test_columns_mixing_text_and_unrounded_numbers_read_alike_both_ways(rows, tmp_path, monkeypatch):
    assert "Assignments" in assert_same_reading(_mixed_workbook(tmp_path / "mixed.xlsx", rows), monkeypatch)


def _odd(tmp_path: Path) -> dict[str, Path]:
    """Workbooks the Arrow way must read as the usual way does, or leave to it."""
    out = {}
    sheets = valid_sheets()
    sheets["Assignments"][:0] = [["Agency assignments, Q2 2025"], []]          # title rows above the header
    out["title_rows"] = make_workbook(tmp_path / "title.xlsx", sheets)
    sheets = valid_sheets()
    sheets["Assignments"].insert(1, ["(text)", "(SW + digits)"] + [None] * 30)  # a units row under the header
    out["units_row"] = make_workbook(tmp_path / "units.xlsx", sheets)
    sheets = valid_sheets()
    set_cell(sheets, "Assignments", 3, "Hourly pay rate", True)                  # a Boolean in a number column
    out["boolean"] = make_workbook(tmp_path / "bool.xlsx", sheets)
    sheets = valid_sheets()
    set_cell(sheets, "Assignments", 2, "Notes", False)                           # ... and in a text column
    out["boolean_text"] = make_workbook(tmp_path / "bool_text.xlsx", sheets)
    sheets = valid_sheets()
    set_cell(sheets, "Assignments", 2, "Hourly pay rate", "=30*1")                # a formula never calculated
    set_cell(sheets, "Assignments", 3, "Start date", dt.datetime(2025, 4, 1, 9, 30))   # a time of day
    out["formula_and_time"] = make_workbook(tmp_path / "formula.xlsx", sheets)
    sheets = valid_sheets()
    sheets["Assignments"][0][5] = sheets["Assignments"][0][4]                    # a repeated header
    out["repeated_header"] = make_workbook(tmp_path / "repeated.xlsx", sheets)
    sheets = valid_sheets()
    set_cell(sheets, "Assignments", 2, "Agency", "Hays")
    set_cell(sheets, "Assignments", 3, "Agency", None)
    out["merged"] = make_workbook(tmp_path / "merged.xlsx", sheets, merged={"Assignments": ["F2:F3"]})
    sheets = valid_sheets()
    sheets["Assignments"][0][0] = None                                          # A1 blank
    out["a1_blank"] = make_workbook(tmp_path / "a1.xlsx", sheets)
    sheets = valid_sheets()
    set_cell(sheets, "Assignments", 2, "Notes", "2025-05-26")                    # a date written as text
    set_cell(sheets, "Assignments", 3, "PQE years", "NA")                        # text fastexcel takes as blank
    out["date_text_and_na"] = make_workbook(tmp_path / "na.xlsx", sheets)
    sheets = valid_sheets()
    set_cell(sheets, "Assignments", 3, "PQE years", "NA")                        # ... alone in a number column
    set_cell(sheets, "Assignments", 2, "Notice period weeks", "nan")             # text fastexcel takes as NaN
    out["na_in_numbers"] = make_workbook(tmp_path / "na_numbers.xlsx", sheets)
    sheets = valid_sheets()
    set_cell(sheets, "Assignments", 2, "Hours per week", "NA")
    out["na_in_a_number_column"] = make_workbook(tmp_path / "na_number.xlsx", sheets)
    for name, header in (("blank_header", None), ("unnamed_header", "__UNNAMED__33"), ("unnamed_header_2", "__UNNAMED__2")):
        sheets = valid_sheets()                                                 # an extra column headed by a blank
        for r, row in enumerate(sheets["Assignments"]):                        # cell, or by fastexcel's own name for one
            row.extend([None] * (33 - len(row)) + [header if r == 0 else f"note {r}"])
        out[name] = make_workbook(tmp_path / f"{name}.xlsx", sheets)
    sheets = valid_sheets()                                                      # issue 27: officers' edits
    for old, new in (("Hours per week", "Hours/Week"), ("End date", "Expected End Date"),
                     ("Notice period weeks", "Notice (days)"), ("Charge rate per hour", "Charge Rate (£/hr)")):
        sheets["Assignments"][0][sheets["Assignments"][0].index(old)] = new
    out["msp_headers"] = make_workbook(tmp_path / "msp.xlsx", sheets)
    sheets = valid_sheets()
    set_cell(sheets, "Assignments", 2, "Hourly pay rate", "35,62")
    set_cell(sheets, "Assignments", 3, "Agency fee per hour", "14%")
    set_cell(sheets, "MonthlyCosts", 2, "MSP fees", "200,50")
    out["decimal_comma_and_percent"] = make_workbook(tmp_path / "comma.xlsx", sheets)
    sheets = valid_sheets()
    for r, text in enumerate(["04/21/2025", "05/06/2025", "06/07/2025"], start=2):
        set_cell(sheets, "Assignments", r, "Start date", text)
    out["month_first_dates"] = make_workbook(tmp_path / "month_first.xlsx", sheets)
    sheets = valid_sheets()
    set_cell(sheets, "Assignments", 3, "Cost in quarter", None)
    out["merged_money"] = make_workbook(tmp_path / "merged_money.xlsx", sheets, merged={"Assignments": ["T2:T3"]})
    clean = valid_workbook(tmp_path / "clean.xlsx")
    out["clean"] = clean
    out["prefixed"] = packages.prefixed(clean, tmp_path / "prefixed.xlsx")
    out["without_references"] = packages.without_references(clean, tmp_path / "noref.xlsx", rows_too=True)
    out["strict"] = packages.strict(clean, tmp_path / "strict.xlsx")
    out["moved_workbook"] = packages.moved_workbook(clean, tmp_path / "moved.xlsx")
    out["moved_folder"] = packages.moved_folder(SAMPLES[0], tmp_path / "moved_folder.xlsx")
    part = packages.sheet_part(clean, "Assignments")
    out["cached_error"] = packages.replace_cell(clean, tmp_path / "err.xlsx", "Assignments", "N2",
                                                '<c r="N2" t="e"><f>1/0</f><v>#DIV/0!</v></c>')
    out["newer_error"] = packages.replace_cell(clean, tmp_path / "spill.xlsx", "Assignments", "N3",
                                               '<c r="N3" t="e"><f>A1:A2</f><v>#SPILL!</v></c>')
    out["iso_date"] = packages.replace_cell(clean, tmp_path / "iso.xlsx", "Assignments", "K2",
                                            '<c r="K2" t="d"><v>2025-04-01T00:00:00</v></c>')
    assert part
    return out


ODD = ["title_rows", "units_row", "boolean", "boolean_text", "formula_and_time", "repeated_header", "merged",
       "a1_blank", "date_text_and_na", "na_in_numbers", "na_in_a_number_column", "blank_header", "unnamed_header",
       "unnamed_header_2", "clean", "prefixed", "without_references", "strict", "moved_workbook",
       "cached_error", "newer_error", "iso_date", "msp_headers", "decimal_comma_and_percent", "month_first_dates",
       "merged_money", "moved_folder"]


@pytest.mark.parametrize("name", ODD)
def test_odd_workbooks_read_alike_both_ways(name, tmp_path, monkeypatch):
    assert_same_reading(_odd(tmp_path)[name], monkeypatch)


def test_the_arrow_way_leaves_what_it_cannot_vouch_for_to_the_usual_way(tmp_path, monkeypatch):
    odd = _odd(tmp_path)
    assert "Assignments" in assert_same_reading(odd["blank_header"], monkeypatch)      # a blank header cell is vouched for
    for name in ("title_rows", "units_row", "boolean", "boolean_text", "merged", "a1_blank", "date_text_and_na",
                 "repeated_header", "formula_and_time", "na_in_numbers", "na_in_a_number_column", "unnamed_header",
                 "unnamed_header_2"):
        assert "Assignments" not in assert_same_reading(odd[name], monkeypatch), name
    for name in ("clean", "prefixed", "cached_error"):
        assert "Assignments" in assert_same_reading(odd[name], monkeypatch), name


@pytest.mark.parametrize("rows", [40, 2_300])
def test_officers_edits_read_alike_both_ways_in_short_and_long_columns(rows, tmp_path, monkeypatch):
    """Issue 27's kinds in one sheet, long enough for the column passes: MSP headers, a fee column
    formatted as a percentage, month-first text dates with ambiguous ones, decimal commas, an
    unread look-alike column."""
    columns = SHEETS_BY_NAME["Assignments"].columns
    headers = {"hours_per_week": "Hours/Week", "agency_fee_per_hour": "Agency Margin (£/hr)",
               "end_date": "Expected End Date", "notice_period_weeks": "Notice (wks)"}
    path = tmp_path / f"edits_{rows}.xlsx"
    wb = xlsxwriter.Workbook(path)
    percent = wb.add_format({"num_format": "0%"})
    ws = wb.add_worksheet("Assignments")
    for c, col in enumerate(columns):
        ws.write_string(0, c, headers.get(col.key, col.header))
    ws.write_string(0, len(columns), "Notice Period (Months)")
    rng = random.Random(rows)
    for r in range(1, rows + 1):
        for c, col in enumerate(columns):
            if col.key == "assignment_ref":
                ws.write_string(r, c, f"A{r}")
            elif col.key == "start_date":
                ws.write_string(r, c, f"{rng.randrange(1, 13):02d}/{rng.randrange(1, 29):02d}/2025")
            elif col.key == "agency_fee_per_hour":
                ws.write_number(r, c, rng.choice([0.1, 0.14, 0.125]), percent)
            elif col.key == "hourly_pay_rate":
                ws.write_string(r, c, "35,62") if r % 7 == 0 else ws.write_number(r, c, 30 + r % 5)
            elif col.key in ("hours_per_week", "notice_period_weeks"):
                ws.write_number(r, c, 37)
        ws.write_number(r, len(columns), 1)
    ws.write_string(rows + 1, 0, "1")
    ws.write_string(rows + 1, 10, "12/31/2025")                   # a date only month-first makes sense of
    wb.close()
    taken = assert_same_reading(path, monkeypatch)
    assert "Assignments" in taken
