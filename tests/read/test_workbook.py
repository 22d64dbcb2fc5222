"""The reader on workbooks a person could have made in Excel."""
import datetime as dt

import openpyxl
import pandas as pd
import pyarrow as pa

from pipeline.read.workbook import read_workbook


def _write(path, build):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    build(wb)
    wb.save(path)
    return path


def test_title_rows_odd_headers_text_dates_and_money(tmp_path):
    def build(wb):
        ws = wb.create_sheet("agency workers ")   # alias, odd case, trailing space
        ws["A1"] = "Agency social workers – Q2 2025"
        ws.merge_cells("A1:F1")
        ws.append([])
        ws.append(["ASSIGNMENT-ID", " swe reg no ", "Pay Rate", "Start", "Cost in quarter (£)", "MSP notes"])
        ws.append(["A1", "sw 000123", "£32.50", "05/01/2025", "12,345.60", "kept but ignored"])
        ws.append([None, None, None, None, None, None])
        ws.append(["A2", "SW999", 30.0, dt.datetime(2025, 4, 1), "10.0", None])
        ws.append(["Total", None, None, None, "=SUM(E4:E6)", None])
    wb = read_workbook(_write(tmp_path / "m.xlsx", build))
    frame = wb.sheets["Assignments"]
    assert frame.found_name == "agency workers "
    assert frame.header_row == 3
    assert list(frame.data.index) == [4, 6]          # blank row skipped, Total row dropped, Excel rows kept
    assert frame.data["swe_number"].tolist() == ["SW123", "SW999"]
    assert frame.data["hourly_pay_rate"].tolist() == [32.5, 30.0]
    assert frame.data["cost_in_quarter"].tolist() == [12345.6, 10.0]
    assert frame.data["start_date"].tolist() == [pd.Timestamp("2025-01-05"), pd.Timestamp("2025-04-01")]
    assert frame.cell("hourly_pay_rate", 6) == "C6"
    assert frame.header("swe_number") == "swe reg no"
    assert frame.extra_columns == ["MSP notes"]


def test_visible_sheet_preferred_over_hidden_copy(tmp_path):
    def build(wb):
        old = wb.create_sheet("Assignments (old)")
        old.sheet_state = "hidden"
        hidden = wb.create_sheet("Assignments")
        hidden.sheet_state = "hidden"
        hidden.append(["Assignment reference", "SWE registration number"])
        hidden.append(["OLD", "SW1"])
        visible = wb.create_sheet("Agency assignments")
        visible.append(["Assignment reference", "SWE registration number"])
        visible.append(["NEW", "SW2"])
    wb = read_workbook(_write(tmp_path / "h.xlsx", build))
    assert wb.sheets["Assignments"].data["assignment_ref"].tolist() == ["NEW"]


def test_merged_cells_fill_down(tmp_path):
    def build(wb):
        ws = wb.create_sheet("Assignments")
        ws.append(["Assignment reference", "Agency", "SWE registration number"])
        ws.append(["A1", "Hays", "SW1"])
        ws.append(["A2", None, "SW2"])
        ws.merge_cells("B2:B3")
    wb = read_workbook(_write(tmp_path / "mg.xlsx", build))
    assert wb.sheets["Assignments"].data["agency"].tolist() == ["Hays", "Hays"]


def test_uncalculated_formula_is_reported_not_read_as_blank(tmp_path):
    def build(wb):
        ws = wb.create_sheet("Assignments")
        ws.append(["Assignment reference", "SWE registration number", "Hourly pay rate"])
        ws.append(["A1", "SW1", "=20+10"])          # openpyxl writes no cached value
    wb = read_workbook(_write(tmp_path / "f.xlsx", build))
    cells = [(f.code, f.cell) for f in wb.findings if "formula" in f.message]
    assert cells == [("E107", "C2")]


def test_return_sheet_key_values(tmp_path):
    def build(wb):
        ws = wb.create_sheet("Return")
        ws.append(["Quarterly return on agency social workers"])
        ws.append(["LA Code:", None, 812.0])
        ws.append(["quarter", "2025-q2"])
    wb = read_workbook(_write(tmp_path / "r.xlsx", build))
    ret = wb.return_sheet
    assert ret.values["la_code"] == "812"
    assert ret.cells["la_code"] == (2, "C2")
    assert ret.values["quarter"] == "2025-Q2"


def test_uncalculated_formula_on_the_return_sheet_uses_the_fields_code(tmp_path):
    def build(wb):
        ws = wb.create_sheet("Return")
        ws.append(["LA code", "=Lookup!A1"])
        ws.append(["Quarter", "2025-Q2"])
    wb = read_workbook(_write(tmp_path / "rf.xlsx", build))
    assert [(f.code, f.cell) for f in wb.findings if "never calculated" in f.message] == [("E004", "B1")]


# Cell texts the quick (plain Python) parsing reads, beside ones only the column parsers read:
# each cell must come out the same either way, alone or among others.
_MIXED = ("37", "37.5", "-12.25", "0012.50", "-0", "1e-05", "£1,234.50", "(12)", "37:30", "1_000", "１２", "2025-05-26",
          "2025-02-30", "1899-12-31", "26/05/2025", "2025-05-26 09:30", "2025-05-26T09:00", "Jan 2025", "2025-01", "45803",
          "sw 000123", "SW-12", "SW\u00a0123", "ſw123", "869", "869.0", " 316.0 ", "86.9", "yes", "Y", "No", "2", "2.0",
          "-1", "IRO", "umbrella  COMPANY", "2025-Q2", "2025 q2", None)


def test_quick_parsing_gives_what_the_column_parsers_give():
    from pipeline.read import parse
    from pipeline.core.contract import CHOICE, DATE, LA_CODE, MONEY, MONTH, NUMBER, QUARTER, REFERENCES, SHEETS, SWE, Quarter
    vectorised = {MONEY: parse.number, NUMBER: lambda raw: parse.number(raw, durations=True), DATE: parse.date,
                  MONTH: parse.month, SWE: parse.swe, LA_CODE: parse.la_code,
                  QUARTER: lambda raw: raw.map(lambda v: str(q) if (q := Quarter.parse(v)) else None, na_action="ignore"),
                  REFERENCES: lambda raw: parse.choice(raw, ("Yes", "No")).fillna(parse.number(raw).map(
                      lambda n: str(int(n)) if n >= 0 and n == round(n) else None, na_action="ignore"))}
    columns = {c.kind: c for s in SHEETS for c in s.columns if c.kind != "text"}
    for kind, column in columns.items():
        real_days = tuple(v for v in _MIXED if v != "2025-02-30")   # (a day that does not exist sends a column the slow way)
        for values in (_MIXED, _MIXED[:3], tuple(v for v in _MIXED if v and v[0].isdigit()), _MIXED * 60,  # 60: Arrow's way
                       real_days * 60):
            raw = pd.Series(values, dtype="string")
            expected = (parse.choice(raw, column.choices) if kind == CHOICE else vectorised[kind](raw)).astype(
                "float64" if kind in (MONEY, NUMBER) else "datetime64[us]" if kind in (DATE, MONTH) else "string")
            got = pd.Series(parse.typed_values(column, values))
            pd.testing.assert_series_equal(got, expected, check_exact=True, obj=kind)
            from_arrow = pd.Series(parse.typed_text(column, pa.array(values, type=pa.large_string())))   # the reader's way
            pd.testing.assert_series_equal(from_arrow, expected, check_exact=True, obj=f"{kind} from Arrow")


def test_the_reader_takes_the_guards_parts_only_for_the_same_file(tmp_path):
    from pipeline.read import guard
    from pipeline.read import handoff

    def build(rate):
        def add(wb):
            ws = wb.create_sheet("Assignments")
            ws.append(["Assignment reference", "SWE registration number", "Hourly pay rate"])
            ws.append(["A1", "SW1", rate])
        return add
    path = _write(tmp_path / "w.xlsx", build(30.0))
    assert guard.inspect_file(path) == []
    _write(path, build(31.25))                      # replaced after the guard, before the reader
    assert read_workbook(path).sheets["Assignments"].data["hourly_pay_rate"].tolist() == [31.25]
    assert guard.inspect_file(path) == []
    assert handoff.remembered(path) is not None     # kept for the reader of this very file ...
    assert handoff.remembered(path) is None         # ... and taken once
    assert guard.inspect_file(path) == []
    assert read_workbook(path).sheets["Assignments"].data["hourly_pay_rate"].tolist() == [31.25]
