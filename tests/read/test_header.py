"""Finding the header under title rows and matching odd headers, on a workbook made by hand."""
import datetime as dt

import pandas as pd

from pipeline.read.workbook import read_workbook
from tests.workbooks import build_workbook


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
    wb = read_workbook(build_workbook(tmp_path / "m.xlsx", build))
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
