"""The kinds of fault found in the workbooks councils really send (issue 13), each tested over the
fields and sheets where it can occur, on real .xlsx files (XML written by hand where openpyxl
cannot make the case: tests/packages.py).

Most tests compare a changed workbook with its clean twin: the same return written plainly must
give exactly the same outcome (status and every finding's code and cell).
"""
from __future__ import annotations

import copy
import datetime as dt
import re

import openpyxl
import pytest

from pipeline.core.contract import (
    DATE,
    MONEY,
    MONTH,
    NUMBER,
    SHEETS_BY_NAME,
    column_letter,
)
from pipeline.read.ooxml import ERROR_VALUES
from pipeline.read.workbook import read_workbook
from pipeline.rules.validate import validate_file
from tests import packages
from tests.workbooks import make_workbook, set_cell, valid_sheets, valid_workbook

TABLES = ("Assignments", "ProjectTeams", "MonthlyCosts", "Compliance")


def outcome(path) -> tuple[str, list[tuple[str, str | None, str | None]]]:
    """What a council sees: the status and each finding's code, sheet and cell."""
    result = validate_file(path)
    return result.status, sorted((f.code, f.sheet, f.cell) for f in result.findings)


def _fields(sheets: tuple[str, ...] = TABLES, kinds: tuple[str, ...] | None = None, required: bool | None = None):
    """(sheet, header) for every column of these sheets, optionally of some kinds."""
    return [(s, c.header) for s in sheets for c in SHEETS_BY_NAME[s].columns
            if (kinds is None or c.kind in kinds) and (required is None or c.required == required)]


def _ref(sheets: dict, sheet: str, header: str, row: int = 2) -> str:
    if sheet == "Return":
        return f"B{[r[0] for r in sheets['Return']].index(header) + 1}"
    return f"{column_letter(sheets[sheet][0].index(header))}{row}"


def _ensure_column(sheets: dict, sheet: str, header: str, value=None, row: int = 2) -> str:
    """Set a cell, adding a Return key row if the template's sample lacks it."""
    return set_cell(sheets, sheet, row, header, value)


# --- kind 1: Excel error values ----------------------------------------------------------------

ALL_FIELDS = _fields(("Return",) + TABLES)


@pytest.mark.parametrize("sheet,header", ALL_FIELDS)
def test_error_value_typed_in_any_field_is_e112_on_its_cell(tmp_path, sheet, header):
    sheets = valid_sheets()
    error = ERROR_VALUES[ALL_FIELDS.index((sheet, header)) % 9]      # the nine errors Excel shows
    ref = _ensure_column(sheets, sheet, header, error)
    result = validate_file(make_workbook(tmp_path / "e.xlsx", sheets))
    on_cell = [(f.code, f.value) for f in result.findings if f.sheet == sheet and f.cell == ref]
    assert on_cell == [("E112", error)], result.findings
    assert result.status == "rejected"


@pytest.mark.parametrize("sheet", ("Return",) + TABLES)
def test_cached_error_results_of_formulas_are_e112_and_never_blank(tmp_path, sheet):
    """A formula whose cached result is an error (`t="e"`): every field of the sheet at once."""
    sheets = valid_sheets()
    headers = [h for s, h in ALL_FIELDS if s == sheet]
    for h in headers:
        _ensure_column(sheets, sheet, h, "x")
    path = make_workbook(tmp_path / "clean.xlsx", sheets)
    refs = {}
    for i, h in enumerate(headers):
        refs[h] = _ref(sheets, sheet, h)
        error = ERROR_VALUES[i % 9]
        path = packages.replace_cell(path, tmp_path / f"e{i}.xlsx", sheet, refs[h],
                                     f'<c r="{refs[h]}" t="e"><f>VLOOKUP(A1,Lists!A:B,2,0)</f><v>{error}</v></c>')
    findings = validate_file(path).findings
    for h, ref in refs.items():
        assert [f.code for f in findings if f.sheet == sheet and f.cell == ref] == ["E112"], (h, findings)


def test_error_end_date_is_not_an_ongoing_assignment(tmp_path):
    sheets = valid_sheets()
    ref = set_cell(sheets, "Assignments", 2, "End date", "#N/A")
    wb = read_workbook(make_workbook(tmp_path / "e.xlsx", sheets))
    assert wb.sheets["Assignments"].raw.at[2, "end_date"] == "#N/A"
    assert ("Assignments", ref) in wb.reported_cells


# --- kinds 2 and 3: formulas never calculated, and formulas whose result is the empty string ----

SPELLINGS = {"plain": None, "x_prefix": packages.prefixed, "cells_without_r": packages.without_references,
             "rows_and_cells_without_r": lambda s, d: packages.without_references(s, d, rows_too=True),
             "strict": packages.strict, "backslash_names": packages.backslash_names}
FORMULA_FIELDS = [("Assignments", "Hourly pay rate"), ("Assignments", "End date"), ("Assignments", "Role category"),
                  ("Assignments", "Previous LA code"), ("ProjectTeams", "Total cost in quarter"),
                  ("MonthlyCosts", "Total monthly cost"), ("Compliance", "Status"), ("Return", "LA code"),
                  ("Return", "Quarter")]


def _spelt(path, spelling, tmp_path):
    fn = SPELLINGS[spelling]
    return path if fn is None else fn(path, tmp_path / f"{spelling}.xlsx")


@pytest.mark.parametrize("spelling", SPELLINGS)
@pytest.mark.parametrize("sheet,header", FORMULA_FIELDS)
def test_uncalculated_formula_found_in_every_spelling(tmp_path, spelling, sheet, header):
    sheets = valid_sheets()
    ref = _ensure_column(sheets, sheet, header, "=1+1")            # openpyxl writes no cached value
    path = _spelt(make_workbook(tmp_path / "f.xlsx", sheets), spelling, tmp_path)
    code = SHEETS_BY_NAME[sheet].column(next(c.key for c in SHEETS_BY_NAME[sheet].columns if c.header == header)).code
    hits = [f for f in validate_file(path).findings if f.sheet == sheet and f.cell == ref]
    assert [f.code for f in hits] == [code] and re.search("calculat", hits[0].message), hits


EMPTY_RESULT_FIELDS = [("Assignments", "End date"), ("Assignments", "Previous LA code"),
                       ("Assignments", "Cap approval date"), ("Assignments", "Cap approved by"),
                       ("ProjectTeams", "End date"), ("ProjectTeams", "Notes"), ("MonthlyCosts", "Notes"),
                       ("Compliance", "Explanation")]


@pytest.mark.parametrize("value_xml", ["<v></v>", "<v/>"])
@pytest.mark.parametrize("spelling", ["plain", "x_prefix", "cells_without_r", "strict"])
@pytest.mark.parametrize("sheet,header", EMPTY_RESULT_FIELDS)
def test_formula_with_empty_string_result_is_a_blank_cell(tmp_path, sheet, header, spelling, value_xml):
    sheets = valid_sheets()
    ref = set_cell(sheets, sheet, 3 if sheet == "Assignments" else 2, header, None)
    twin = make_workbook(tmp_path / "twin.xlsx", sheets)
    set_cell(sheets, sheet, 3 if sheet == "Assignments" else 2, header, "placeholder")
    path = packages.replace_cell(make_workbook(tmp_path / "p.xlsx", sheets), tmp_path / "f.xlsx", sheet, ref,
                                 f'<c r="{ref}" t="str"><f>IF(A1="","","x")</f>{value_xml}</c>')
    assert outcome(_spelt(path, spelling, tmp_path)) == outcome(twin)


# --- kind 4: the 1904 date system ----------------------------------------------------------------

DATE_CELLS = [("Assignments", "Start date", 2), ("Assignments", "End date", 3), ("ProjectTeams", "Start date", 2),
              ("MonthlyCosts", "Month", 2), ("MonthlyCosts", "Month", 4), ("Return", "Date prepared", None)]


def _value(sheets, sheet, header, row):
    if sheet == "Return":
        return next(r[1] for r in sheets["Return"] if r[0] == header)
    return sheets[sheet][row - 1][sheets[sheet][0].index(header)]


@pytest.mark.parametrize("formatted", [False, True], ids=["general_serial", "date_format"])
@pytest.mark.parametrize("sheet,header,row", DATE_CELLS)
def test_1904_date_system_reads_the_same_dates(tmp_path, sheet, header, row, formatted):
    sheets = valid_sheets()
    twin = make_workbook(tmp_path / "twin.xlsx", sheets)
    when = _value(sheets, sheet, header, row)
    if not formatted:    # a serial in a General cell, counted from 1 Jan 1904
        set_cell(sheets, sheet, row, header, float((when - dt.datetime(1904, 1, 1)).days))
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    wb.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(tmp_path / "mac.xlsx")
    assert outcome(tmp_path / "mac.xlsx") == outcome(twin)
    key = next(c.key for c in SHEETS_BY_NAME[sheet].columns if c.header == header)
    read = read_workbook(tmp_path / "mac.xlsx")
    got = read.return_sheet.values[key] if sheet == "Return" else read.sheets[sheet].data.at[row, key]
    assert got.date() == when.date()


# --- kind 5: duplicate columns ------------------------------------------------------------------

DUPLICATE_FIELDS = [("Assignments", "Hourly pay rate"), ("Assignments", "Agency"), ("Assignments", "Start date"),
                    ("ProjectTeams", "Supplier"), ("MonthlyCosts", "Total monthly cost"), ("Compliance", "Status")]


@pytest.mark.parametrize("how", ["repeated", "alias", "first_copy_empty"])
@pytest.mark.parametrize("sheet,header", DUPLICATE_FIELDS)
def test_a_field_in_two_columns_is_e007_naming_every_header_cell(tmp_path, sheet, header, how):
    sheets = valid_sheets()
    rows = sheets[sheet]
    col = rows[0].index(header)
    alias = next(c.aliases[0] for c in SHEETS_BY_NAME[sheet].columns if c.header == header)
    rows[0].append(alias if how == "alias" else header)
    for r in rows[1:]:
        r.append(r[col])
        if how == "first_copy_empty":
            r[col] = None
    result = validate_file(make_workbook(tmp_path / "d.xlsx", sheets))
    first, second = f"{column_letter(col)}1", f"{column_letter(len(rows[0]) - 1)}1"
    [e007] = [f for f in result.findings if f.code == "E007"]
    assert (e007.sheet, e007.value) == (sheet, f"{first}, {second}")
    assert first in e007.message and second in e007.message
    assert result.status == "rejected"


# --- kind 6: sheet copies ------------------------------------------------------------------------

@pytest.mark.parametrize("sheet", ["Return", "Assignments", "MonthlyCosts", "Compliance"])
def test_hidden_stale_sheet_never_wins_over_its_visible_copy(tmp_path, sheet):
    sheets = valid_sheets()
    twin = make_workbook(tmp_path / "twin.xlsx", sheets)
    stale = copy.deepcopy(sheets[sheet])
    stale[1][1] = "stale"          # a value the visible copy does not have
    renamed = {(f"{sheet} (2)" if n == sheet else n): rows for n, rows in sheets.items()}
    path = make_workbook(tmp_path / "c.xlsx", {sheet: stale, **renamed}, hidden=(sheet,))
    assert outcome(path) == outcome(twin)
    wb = read_workbook(path)
    found = wb.return_sheet.found_name if sheet == "Return" else wb.sheets[sheet].found_name
    assert found == f"{sheet} (2)"


@pytest.mark.parametrize("sheet", ["Return", "Assignments", "MonthlyCosts", "Compliance"])
def test_two_visible_candidates_are_e008_and_neither_is_read(tmp_path, sheet):
    sheets = valid_sheets()
    path = make_workbook(tmp_path / "c.xlsx", {**sheets, f"{sheet} (2)": copy.deepcopy(sheets[sheet])})
    result = validate_file(path)
    [e008] = [f for f in result.findings if f.code == "E008"]
    assert e008.sheet == sheet and f"'{sheet}'" in e008.message and f"'{sheet} (2)'" in e008.message
    assert "E002" not in [f.code for f in result.findings]
    assert result.status == "rejected"


# --- kind 8: E006 counts cells that hold values, in the sheets the return reads -----------------

def _sheet_edit(src, dst, sheet, change):
    part = packages.sheet_part(src, sheet)
    return packages.rewrite(src, dst, lambda name, data: (name, change(data) if name == part else data))


def _dimension(data: bytes) -> bytes:
    return re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', data)


def _styled_iv1(data: bytes) -> bytes:
    return re.sub(rb'(<row r="1"[^>]*>.*?)(</row>)', rb'\1<c r="IV1" s="0"/>\2', data, count=1, flags=re.S)


def _formatted_rows(data: bytes) -> bytes:
    rows = b"".join(b'<row r="%d"><c r="K%d" s="0"/></row>' % (r, r) for r in range(20, 100_100))
    return data.replace(b"</sheetData>", rows + b"</sheetData>")


@pytest.mark.parametrize("sheet", ["Return", "Assignments", "ProjectTeams", "MonthlyCosts", "Compliance"])
@pytest.mark.parametrize("change", [_dimension, _styled_iv1], ids=["declared_XFD1048576", "styled_empty_IV1"])
def test_declared_sizes_are_not_counted(tmp_path, sheet, change):
    twin = valid_workbook(tmp_path / "twin.xlsx")
    assert outcome(_sheet_edit(twin, tmp_path / "big.xlsx", sheet, change)) == outcome(twin)


def test_a_date_format_down_100000_empty_rows_is_not_counted(tmp_path):
    twin = valid_workbook(tmp_path / "twin.xlsx")
    path = _sheet_edit(twin, tmp_path / "long.xlsx", "Assignments", lambda d: _formatted_rows(_dimension(d)))
    assert outcome(path) == outcome(twin)


def test_a_wide_sheet_the_return_never_reads_is_not_counted(tmp_path):
    sheets = valid_sheets()
    twin = make_workbook(tmp_path / "twin.xlsx", sheets)
    wide = [[f"h{c}" for c in range(400)], list(range(400))]
    assert outcome(make_workbook(tmp_path / "wide.xlsx", {**sheets, "Pivot": wide})) == outcome(twin)


def test_values_past_the_limit_in_a_read_sheet_are_still_e006(tmp_path):
    sheets = valid_sheets()
    sheets["Assignments"][1] += [None] * 250 + ["far right"]
    assert "E006" in [f.code for f in validate_file(make_workbook(tmp_path / "w.xlsx", sheets)).findings]


# --- kind 9: number-like text in code fields ----------------------------------------------------

@pytest.mark.parametrize("sheet,header", [("Return", "LA code"), ("Assignments", "Previous LA code")])
@pytest.mark.parametrize("text", ["316.0", "316.00", " 316.0 "])
def test_number_like_text_in_code_fields(tmp_path, sheet, header, text):
    sheets = valid_sheets()
    set_cell(sheets, sheet, 2, header, "316")
    twin = make_workbook(tmp_path / "twin.xlsx", sheets)
    set_cell(sheets, sheet, 2, header, text)
    assert outcome(make_workbook(tmp_path / "t.xlsx", sheets)) == outcome(twin)


# --- kind 10: every message says what to enter ---------------------------------------------------

@pytest.mark.parametrize("sheet", TABLES + ("Agencies", "Leavers", "JobMapping"))
def test_blank_fields_get_messages_that_say_what_to_enter(tmp_path, sheet):
    sheets = valid_sheets()
    columns = SHEETS_BY_NAME[sheet].columns
    sheets[sheet] = [[c.header for c in columns], [None] * (len(columns) - 1) + ["x"]]
    findings = validate_file(make_workbook(tmp_path / "b.xlsx", sheets)).findings
    blank = [f for f in findings if f.sheet == sheet and f.row == 2]
    assert blank
    for f in blank:
        assert not re.search(r"one of: *\.|one of: *$|\{\w+\}|could not be filled", f.message), f.message


# --- kind 11: total and footnote rows ------------------------------------------------------------

TOTAL_LABELS = ["Total", "Total (12 workers)", "Grand Total", "TOTAL:", "Totals", "Sub-total"]


@pytest.mark.parametrize("label", TOTAL_LABELS)
@pytest.mark.parametrize("footnote", [False, True], ids=["total", "total_blank_footnote"])
@pytest.mark.parametrize("sheet,total_header", [("Assignments", "Cost in quarter"),
                                                ("MonthlyCosts", "Total monthly cost"),
                                                ("ProjectTeams", "Total cost in quarter")])
@pytest.mark.parametrize("label_column", [0, 1, 2])
def test_total_and_footnote_rows_are_not_data(tmp_path, sheet, total_header, label, footnote, label_column):
    """The label in the row's first filled cell, whichever column that is (on Assignments column B is the
    SWE number's: a 'Total' there is still a total, not a bad SWE number)."""
    sheets = valid_sheets()
    twin = make_workbook(tmp_path / "twin.xlsx", sheets)
    rows = sheets[sheet]
    total = [None] * len(rows[0])
    total[label_column], total[rows[0].index(total_header)] = label, 123456.0
    rows.append(total)
    if footnote:
        rows += [[None] * len(rows[0]), ["Source: MSP extract run 03/07/2025"] + [None] * (len(rows[0]) - 1)]
    assert outcome(make_workbook(tmp_path / "t.xlsx", sheets)) == outcome(twin)


def test_a_lone_value_after_the_data_is_still_read(tmp_path):
    """Only a labelled total or a worded footnote is skipped: a stray reference is still data."""
    sheets = valid_sheets()
    rows = sheets["Assignments"]
    rows += [[None] * len(rows[0]), ["A999"] + [None] * (len(rows[0]) - 1)]
    assert 6 in read_workbook(make_workbook(tmp_path / "s.xlsx", sheets)).sheets["Assignments"].raw.index


# --- kind 13: text that people type ---------------------------------------------------------------

DATE_FIELDS = [(s, c.header) for s in ("Assignments", "ProjectTeams", "MonthlyCosts")
               for c in SHEETS_BY_NAME[s].columns if c.kind in (DATE, MONTH)]


@pytest.mark.parametrize("spelling", ["{:%d/%m/%Y} 00:00", "{:%d/%m/%Y %H:%M:%S}", "{:%Y-%m-%d} 00:00:00",
                                      "{:%Y-%m-%dT%H:%M}", "{:%d/%m/%Y} 9:30 AM"])
@pytest.mark.parametrize("sheet,header", DATE_FIELDS)
def test_text_dates_with_a_time_are_dates(tmp_path, sheet, header, spelling):
    sheets = valid_sheets()
    when = dt.datetime(2025, 4, 1) if sheet == "MonthlyCosts" else dt.datetime(2025, 5, 26)
    set_cell(sheets, sheet, 2, header, when)
    twin = make_workbook(tmp_path / "twin.xlsx", sheets)
    set_cell(sheets, sheet, 2, header, spelling.format(when))
    assert outcome(make_workbook(tmp_path / "t.xlsx", sheets)) == outcome(twin)


@pytest.mark.parametrize("entered,hours", [("37:30", 37.5), ("37:00", 37.0), (dt.timedelta(hours=37, minutes=30), 37.5),
                                           (dt.time(7, 30), 7.5)])
def test_hours_entered_as_a_duration(tmp_path, entered, hours):
    sheets = valid_sheets()
    set_cell(sheets, "Assignments", 2, "Hours per week", entered)
    path = make_workbook(tmp_path / "h.xlsx", sheets)
    assert read_workbook(path).sheets["Assignments"].data.at[2, "hours_per_week"] == hours
    assert not [f for f in validate_file(path).findings if f.code == "E110"]


@pytest.mark.parametrize("sheet", TABLES)
def test_a_header_split_over_two_rows(tmp_path, sheet):
    sheets = valid_sheets()
    headers = sheets[sheet][0]
    sheets[sheet] = [[f"{sheet} for 2025-Q2"]] + sheets[sheet]          # the twin: a title row, then headers
    twin = make_workbook(tmp_path / "twin.xlsx", sheets)
    top = [h.rsplit(" ", 1)[0] if " " in h else h for h in headers]
    bottom = [h.rsplit(" ", 1)[1] if " " in h else None for h in headers]
    sheets[sheet] = [top, bottom] + sheets[sheet][2:]
    assert outcome(make_workbook(tmp_path / "split.xlsx", sheets)) == outcome(twin)


def test_a_header_merged_down_two_rows(tmp_path):
    sheets = valid_sheets()
    headers = sheets["Assignments"][0]
    sheets["Assignments"] = [["Agency assignments"]] + sheets["Assignments"]
    twin = make_workbook(tmp_path / "twin.xlsx", sheets)
    sheets["Assignments"] = [headers, [None] * len(headers)] + sheets["Assignments"][2:]
    sheets["Assignments"][1][13] = "(£ per hour)"
    path = make_workbook(tmp_path / "m.xlsx", sheets, merged={"Assignments": ["A1:A2", "B1:B2"]})
    assert outcome(path) == outcome(twin)


# --- kind 7 and the corpus: odd-but-valid packages validate exactly as their clean twin ----------

def _with_findings(path):
    """A return with errors and queries in several sheets, so the comparison covers cells too."""
    sheets = valid_sheets()
    set_cell(sheets, "Assignments", 2, "Hourly pay rate", "abc")
    set_cell(sheets, "Assignments", 3, "End date", "31/02/2025")
    set_cell(sheets, "Assignments", 4, "Role category", "Wizard")
    set_cell(sheets, "MonthlyCosts", 3, "Total monthly cost", -5)
    set_cell(sheets, "Return", 1, "Date prepared", "yesterday")
    return make_workbook(path, sheets)


@pytest.mark.parametrize("base", ["valid", "with_findings"])
@pytest.mark.parametrize("odd", packages.ODD_PACKAGES)
def test_odd_but_valid_packages_validate_as_their_clean_twin(tmp_path, odd, base):
    twin = valid_workbook(tmp_path / "twin.xlsx") if base == "valid" else _with_findings(tmp_path / "twin.xlsx")
    path = packages.ODD_PACKAGES[odd](twin, tmp_path / f"{odd}.xlsx")
    assert outcome(path) == outcome(twin)
    assert base != "valid" or outcome(path) == ("accepted", [])


@pytest.mark.parametrize("value", [1e16, -1e16, 12345678901234567890, "12345678901234567890", 1e300])
@pytest.mark.parametrize("sheet,header", DATE_FIELDS)
def test_a_huge_number_in_a_date_field_is_a_finding_on_its_cell_not_e001(tmp_path, sheet, header, value):
    """A number far beyond any Excel date (a pasted reference, a typo) is 'not a date' on its own cell:
    it once overflowed pandas' timedelta and made the whole file E001."""
    sheets = valid_sheets()
    ref = set_cell(sheets, sheet, 2, header, value)
    result = validate_file(make_workbook(tmp_path / "huge.xlsx", sheets))
    assert result.status != "unreadable" and "E001" not in {f.code for f in result.findings}
    assert any(f.cell == ref and f.sheet == sheet for f in result.findings), [f.to_dict() for f in result.findings]


@pytest.mark.parametrize("value,variant", [("x", "invalid"), (1e16, "invalid"), ("31/02/2025", "invalid"),
                                           (dt.datetime(1900, 1, 5), "out_of_range"), ("10/07/2025", None),
                                           (dt.datetime(2025, 7, 10), None), (None, None)])
def test_the_returns_date_prepared_is_a_date_when_given(tmp_path, value, variant):
    """Date prepared (optional) is judged as every date of the return is: E104 when it is not a date or is
    outside the plausible range, on its own cell; it was once read and never checked."""
    sheets = valid_sheets()
    ref = set_cell(sheets, "Return", 2, "Date prepared", value)
    result = validate_file(make_workbook(tmp_path / "prepared.xlsx", sheets))
    on_it = [f for f in result.findings if f.sheet == "Return" and f.cell == ref]
    if variant is None:
        assert on_it == [] and result.status == "accepted"
    else:
        assert [f.code for f in on_it] == ["E104"] and result.status == "rejected"
        assert ("outside the dates" in on_it[0].message) == (variant == "out_of_range")


AMOUNT_FIELDS = [(s, c.header, c.code) for s in TABLES for c in SHEETS_BY_NAME[s].columns
                 if c.kind in (MONEY, NUMBER) and c.key != "hours_per_week"]    # hours: at most 168 (E110 'hours')


@pytest.mark.parametrize("value", [1e308, "1e16", "£2,000,000,000"])
@pytest.mark.parametrize("sheet,header,code", AMOUNT_FIELDS)
def test_an_amount_beyond_any_real_figure_is_an_error_on_its_cell(tmp_path, sheet, header, code, value):
    """A money or number cell above max_plausible_amount (£1bn) is its column's error, 'too_large': 1e308 in
    Cost in quarter was once accepted and reached a regional workbook."""
    sheets = valid_sheets()
    ref = set_cell(sheets, sheet, 2, header, value)
    result = validate_file(make_workbook(tmp_path / "huge.xlsx", sheets))
    on_it = [f for f in result.findings if f.sheet == sheet and f.cell == ref and f.code == code]
    assert result.status == "rejected" and any("far more than any real figure" in f.message for f in on_it)


def test_an_amount_just_under_the_plausible_maximum_is_not_too_large(tmp_path):
    sheets = valid_sheets()
    ref = set_cell(sheets, "Assignments", 2, "Cost in quarter", 999_999_999)
    result = validate_file(make_workbook(tmp_path / "big.xlsx", sheets))
    assert not any("far more than any real figure" in f.message for f in result.findings if f.cell == ref)


@pytest.mark.parametrize("value,known", [("abc", False), (1e16, False), (12.5, False), ("999", False),
                                         ("LA812", False), ("812", True), (812, True), ("928", True)])
def test_a_previous_la_code_is_a_dfe_la_code(tmp_path, value, known):
    """Previous LA code is a 3-digit code on DfE's list (live or not: 928 Northamptonshire was reorganised);
    anything else is E111 with a message that says what to enter (it once offered an empty list)."""
    sheets = valid_sheets()
    ref = set_cell(sheets, "Assignments", 2, "Previous LA code", value)
    result = validate_file(make_workbook(tmp_path / "prev.xlsx", sheets))
    on_it = [f for f in result.findings if f.sheet == "Assignments" and f.cell == ref]
    if known:
        assert on_it == []
    else:
        assert [f.code for f in on_it] == ["E111"]
        assert "3-digit DfE code" in on_it[0].message and "Choose one of: ." not in on_it[0].message
