"""The writers' kit: formula-like text stays text; every table readable like published statistics
(human headers, number formats, widths that fit or wrap, frozen headers and filters)."""
import re
from pathlib import Path

import openpyxl
import pandas as pd

from pipeline.core.contract import Quarter
from pipeline.outputs import kit
from pipeline.outputs.build import build_quarter
from pipeline.warehouse import submit
from tests.workbooks import make_workbook, valid_sheets

Q = Quarter(2025, 2)

SNAKE = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")
HEADER_FILL = "DDEBF7"


def test_formula_like_text_is_written_as_text(tmp_path, service_home):
    sheets = valid_sheets(Q)
    sheets["Agencies"].append(["@HYPERLINK(\"http://x\",\"click\")", "Price caps", "+cmd|' /C calc'!A0"])
    submit.submit_file(make_workbook(tmp_path / "inj.xlsx", sheets), Q, home=service_home)
    build_quarter(Q, home=service_home)
    out = service_home / "outputs" / str(Q)
    ws = openpyxl.load_workbook(out / "regional" / "London.xlsx")["Agencies affecting compliance"]
    cells = [c for row in ws.iter_rows() for c in row if str(c.value)[:1] in "@+"]
    assert len(cells) == 2 and all(c.data_type == "s" for c in cells)
    la_level = (out / "dfe" / f"316_{Q}_la_level.csv").read_text()
    assert "'@HYPERLINK" in la_level and "'+cmd" in la_level
    # a cell text starting with '=' (which openpyxl cannot put in a source workbook as text)
    book = kit.Book(tmp_path / "t.xlsx")
    book.table("T", pd.DataFrame({"x": ["=1+2", "-3", "plain"]}))
    book.close()
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx")["T"]
    assert [(c.value, c.data_type) for c in ws["A"][1:]] == [("=1+2", "s"), ("-3", "s"), ("plain", "s")]


def _workbooks(out):
    return [*(out / "regional").glob("*.xlsx"), out / "national.xlsx", *(out / "dfe").glob("*.xlsx")]


def _width(ws, col: int) -> float:
    for dim in ws.column_dimensions.values():
        if dim.min and dim.max and dim.min <= col <= dim.max and dim.width:
            return dim.width
    return 8.43


def _headers(ws):
    return [c for row in ws.iter_rows() for c in row
            if c.value is not None and c.fill is not None and str(c.fill.fgColor.rgb).endswith(HEADER_FILL)]


def test_every_table_has_human_headers(built):
    for path in _workbooks(built["out"]):
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            for cell in _headers(ws):
                assert not SNAKE.match(str(cell.value)), f"{path.name} {ws.title}!{cell.coordinate}: {cell.value}"
    names = {"regional_summary", "cap_breaches", "rates_vs_cap", "agencies", "cross_la", "regional_costs",
             "national_by_region", "data_quality", "monthly_costs", "dfe_assignments", "dfe_compliance"}
    tables = pd.read_parquet(built["out"] / "parquet" / "regional_summary.parquet")
    assert set(tables.columns) - {"region_code"} <= set(kit.measures())
    for name in names:
        columns = set(pd.read_parquet(built["out"] / "parquet" / f"{name}.parquet").columns)
        assert columns <= set(kit.measures()), f"{name}: {columns - set(kit.measures())} have no header"


def test_money_and_counts_carry_number_formats(built):
    for path in _workbooks(built["out"]):
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    if isinstance(c.value, (int, float)) and not isinstance(c.value, bool):
                        assert c.number_format != "General", f"{path.name} {ws.title}!{c.coordinate}"
    ws = openpyxl.load_workbook(built["out"] / "regional" / "London.xlsx")["By LA and role"]
    header = {c.value: c.column for c in ws[2]}
    assert ws.cell(row=3, column=header["Cost of assignments (£)"]).number_format.startswith("£#,##0")
    assert ws.cell(row=3, column=header["Agency workers in the quarter (headcount)"]).number_format == "#,##0"
    assert ws.cell(row=3, column=header["Share above cap"]).number_format == "0.0%"


def test_every_text_cell_fits_its_width_or_wraps(built):
    for path in _workbooks(built["out"]):
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            merged = {c for r in ws.merged_cells.ranges for c in r.cells}
            for row in ws.iter_rows():
                for c in row:
                    if not isinstance(c.value, str) or c.alignment.wrap_text or (c.row, c.column) in merged:
                        continue
                    if ws.cell(row=c.row, column=c.column + 1).value is None:
                        continue   # shown in full over the empty cell beside it (a title, a note)
                    longest = max(len(line) for line in c.value.splitlines() or [""])
                    assert longest <= _width(ws, c.column), f"{path.name} {ws.title}!{c.coordinate}: {c.value!r}"


def test_tables_have_frozen_headers_and_filters(built):
    wb = openpyxl.load_workbook(built["out"] / "regional" / "London.xlsx")
    assert wb.sheetnames[0] == "Summary" and wb.sheetnames[-1] == "Cap table" and "Notes" in wb.sheetnames
    for name in ("By LA and role", "Cost trend", "Rates vs cap", "Cap breaches", "Agencies affecting compliance", "Cross-LA findings"):
        assert wb[name].freeze_panes and wb[name].auto_filter.ref, name
    dfe = openpyxl.load_workbook(built["out"] / "dfe" / f"202_{Q}.xlsx")
    for ws in dfe.worksheets[1:]:
        assert ws["A1"].font.i and ws["A1"].value, f"{ws.title}: a notes row first"
        assert ws.freeze_panes == "A3"


def test_docs_quote_every_term_word_for_word():
    docs = (Path(__file__).parents[2] / "docs" / "outputs.md").read_text(encoding="utf-8")
    for term, text in kit.TERMS.items():
        assert f"- **{term}**: {text}" in docs
