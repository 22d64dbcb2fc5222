"""Cells calamine reads as blank but are not: formulas never calculated, on a table and the Return sheet."""
from pipeline.read.workbook import read_workbook
from tests.workbooks import build_workbook


def test_uncalculated_formula_is_reported_not_read_as_blank(tmp_path):
    def build(wb):
        ws = wb.create_sheet("Assignments")
        ws.append(["Assignment reference", "SWE registration number", "Hourly pay rate"])
        ws.append(["A1", "SW1", "=20+10"])          # openpyxl writes no cached value
    wb = read_workbook(build_workbook(tmp_path / "f.xlsx", build))
    cells = [(f.code, f.cell) for f in wb.findings if "formula" in f.message]
    assert cells == [("E107", "C2")]


def test_uncalculated_formula_on_the_return_sheet_uses_the_fields_code(tmp_path):
    def build(wb):
        ws = wb.create_sheet("Return")
        ws.append(["LA code", "=Lookup!A1"])
        ws.append(["Quarter", "2025-Q2"])
    wb = read_workbook(build_workbook(tmp_path / "rf.xlsx", build))
    assert [(f.code, f.cell) for f in wb.findings if "never calculated" in f.message] == [("E004", "B1")]
