"""The regional workbook: the Summary's key figures and charts; the cost trend's coverage and like-for-like line."""
import openpyxl
import pandas as pd

from pipeline.outputs import kit, regional


def test_the_regional_summary_gives_the_key_figures_and_charts(built):
    ws = openpyxl.load_workbook(built["out"] / "regional" / "London.xlsx")["Summary"]
    labels = {c.value: ws.cell(row=c.row, column=2).value for c in ws["A"] if c.value}
    assert labels["LAs with an accepted return"] == "3 of 33"
    assert labels["Agency workers in the quarter (headcount)"] > 0 and labels["Total cost (£)"] > 0
    assert "Above cap, not signed off by DCS or Chief Executive" in labels
    assert "Median cap-basis rate against the cap, by role category" in labels
    assert ws._charts and len(ws._charts) == 2


def test_the_cost_trend_shows_coverage_and_a_like_for_like_line():
    months = pd.to_datetime(["2025-01-01", "2025-04-01"])
    trend = pd.DataFrame({
        "la_code": ["201", "202", "202"], "la_name": ["City of London", "Camden", "Camden"],
        "quarter": ["2025-Q1", "2025-Q1", "2025-Q2"], "month": [months[0], months[0], months[1]],
        "total_monthly_cost": [30.0, 100.0, 110.0], "every_quarter": [False, True, True]})
    frame, lfl = regional.trend_table(trend, "London")
    assert lfl == ["Camden"]
    assert list(frame["las_reporting"]) == [2, 1]
    assert list(frame["region_total_cost"]) == [130.0, 110.0] and list(frame["like_for_like_cost"]) == [100.0, 110.0]
    assert [kit.measure(c).header for c in frame.columns[:4]] == [
        "Month", "LAs reporting", "Region total, LAs reporting (£)", "Like-for-like total (£)"]
