"""The national workbook: disclosure-controlled figures, a cover, Notes and DfE's symbols."""
import openpyxl
import pandas as pd

from pipeline.outputs import national


def test_national_figures_are_disclosure_controlled(built):
    ws = openpyxl.load_workbook(built["out"] / "national.xlsx")["Workforce by region"]
    cells = [c.value for row in ws.iter_rows() for c in row]
    numbers = [v for v in cells if isinstance(v, (int, float))]
    assert "c" in cells
    headcount = pd.read_excel(built["out"] / "national.xlsx", sheet_name="Workforce by region", skiprows=1,
                              nrows=10, index_col=0)
    shown = headcount.apply(pd.to_numeric, errors="coerce")
    assert not ((shown < 5) & shown.notna()).any().any()
    assert numbers


def test_the_national_workbook_has_a_cover_notes_and_dfe_symbols(built):
    wb = openpyxl.load_workbook(built["out"] / "national.xlsx")
    assert wb.sheetnames[0] == "Cover" and "Notes" in wb.sheetnames
    notes = [c.value for row in wb["Notes"].iter_rows() for c in row if c.value]
    for symbol in ("c", "x", "z", "low"):
        assert symbol in notes
    for header in ("Total cost (£)", "Cost of assignments (£)", "Agency workers in the quarter (headcount)"):
        assert header in notes                                      # every cost defined, both named apart
    text = " ".join(str(v) for ws in wb.worksheets for row in ws.iter_rows() for v in (c.value for c in row) if v)
    assert "pipeline" not in text and ".py" not in text
    ws = wb["Workforce by region"]
    symbols = [c for row in ws.iter_rows() for c in row if c.value in ("c", "x", "z")]
    assert symbols and all(c.alignment.horizontal == "right" for c in symbols)
    north_east = next(r for r in ws.iter_rows() if r[0].value == "North East")
    assert [c.value for c in north_east[1:]] == ["x"] * 6       # no returns: not available


def test_fte_that_rounds_to_zero_is_shown_as_low():
    rows = [dict(region_name=region, role_category=role, headcount=10, fte=0.02 if role == "Team manager" else 9.0,
                 median_rate=40.0, p90_rate=45.0, breaches=6, assignment_cost=1000.0)
            for region in ("London", "England") for role in national.ROLES]
    headcount, fte = (frame for frame, _ in national.published_tables(pd.DataFrame(rows))[:2])
    assert fte.at["London", "Team manager"] == "low" and fte.at["London", "Social worker"] == 9.0
    assert fte.at["North East", "Social worker"] == "x" and headcount.at["London", "Team manager"] == 10
