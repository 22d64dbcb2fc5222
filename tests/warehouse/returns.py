"""What the warehouse tests submit and read back: the valid return with Assignments cells changed, and
a fact table as the warehouse holds it."""
from __future__ import annotations

import duckdb

from pipeline.core.contract import Quarter
from tests.workbooks import make_workbook, set_cell, valid_sheets

Q = Quarter(2025, 2)


def read_facts(home, table="fact_assignment"):
    con = duckdb.connect(str(home / "data" / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(f"SELECT * FROM {table} ORDER BY ALL").df()
    finally:
        con.close()


def book(tmp_path, name, quarter=Q, cells=None):
    sheets = valid_sheets(quarter)
    for (row, header), value in (cells or {}).items():
        set_cell(sheets, "Assignments", row, header, value)
    return make_workbook(tmp_path / name, sheets)
