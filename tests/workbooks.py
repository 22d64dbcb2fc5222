"""Real .xlsx files for tests: a minimal valid return that a test changes cell by cell.

`valid_sheets()` gives the rows of every sheet (headers first, as the template writes them);
a test edits one value with `set_cell(sheets, "Assignments", row, "Hourly pay rate", 0)` and
writes the workbook with `make_workbook`. Formulas are written as openpyxl writes them: with no
cached value, as a workbook never opened in Excel would have.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl

from pipeline.core.contract import COMPLIANCE_RULES, SHEETS_BY_NAME, Quarter

LA_CODE = "316"          # Newham, London (E12000007)
QUARTER = Quarter(2025, 2)


def _row(sheet: str, **values) -> list:
    return [values.get(c.key) for c in SHEETS_BY_NAME[sheet].columns]


def valid_sheets(quarter: Quarter = QUARTER, la_code: str = LA_CODE) -> dict[str, list[list]]:
    """A small return with no errors and no queries: two individuals and one project-team worker."""
    start = dt.datetime(quarter.start.year, quarter.start.month, 1)
    common = dict(role_category="Social worker", agency="Hays Social Care", payment_route="PAYE",
                  hours_per_week=37, hourly_pay_rate=30.0, holiday_pay_per_hour=3.62, employer_ni_per_hour=3.2,
                  apprenticeship_levy_per_hour=0.15, agency_fee_per_hour=4.0, charge_rate_per_hour=41.0,
                  cost_in_quarter=19000.0, pqe_years=5, left_permanent_post="No", cool_off_exception="None",
                  reference_obtained="Yes", notice_period_weeks=4, reference_provided="Yes")
    assignments = [
        _row("Assignments", **{**common, "assignment_ref": "A001", "swe_number": "SW100001", "engagement_model": "Individual",
                               "start_date": start - dt.timedelta(days=40)}),
        _row("Assignments", **{**common, "assignment_ref": "A002", "swe_number": "SW100002", "engagement_model": "Individual",
                               "role_category": "Senior social worker", "hourly_pay_rate": 33.0,
                               "start_date": start + dt.timedelta(days=10), "end_date": start + dt.timedelta(days=70)}),
        _row("Assignments", **{**common, "assignment_ref": "A003", "swe_number": "SW100003", "engagement_model": "Project team",
                               "project_team_ref": "PT1", "start_date": start}),
    ]
    total = 3 * 19000.0
    per_month = round(total / 3, 2)
    return {
        "Return": [["LA code", la_code], ["LA name", "Newham"], ["Quarter", str(quarter)],
                   ["Prepared by", "Data Team"], ["Contact email", "data@example.gov.uk"],
                   ["Date prepared", dt.datetime(2025, 7, 10)]],
        "Assignments": [[c.header for c in SHEETS_BY_NAME["Assignments"].columns], *assignments],
        "ProjectTeams": [[c.header for c in SHEETS_BY_NAME["ProjectTeams"].columns],
                         _row("ProjectTeams", project_team_ref="PT1", supplier="Acme Teams", model="Project team",
                              start_date=start, number_of_workers=1, all_workers_identified="Yes",
                              la_retains_control="Yes", worker_costs=19000.0, other_costs=1000.0, total_cost=20000.0)],
        "MonthlyCosts": [[c.header for c in SHEETS_BY_NAME["MonthlyCosts"].columns],
                         *[_row("MonthlyCosts", month=dt.datetime(m.year, m.month, 1), agency_headcount=70,
                                worker_pay=per_month - 1000, agency_fees=800.0, msp_fees=200.0,
                                project_team_other_costs=0.0, total_monthly_cost=per_month)
                           for m in quarter.months]],
        "Compliance": [[c.header for c in SHEETS_BY_NAME["Compliance"].columns],
                       *[_row("Compliance", rule=r, status="Fully compliant", prevented_by_contract="No")
                         for r in COMPLIANCE_RULES]],
        "Agencies": [[c.header for c in SHEETS_BY_NAME["Agencies"].columns]],
    }


def set_cell(sheets: dict, sheet: str, row: int, header: str, value) -> str:
    """Change one cell, addressed by Excel row and header; returns its cell reference (e.g. 'N3')."""
    rows = sheets[sheet]
    if sheet == "Return":
        for r in rows:
            if r[0] == header:
                r[1] = value
                return f"B{rows.index(r) + 1}"
        rows.append([header, value])
        return f"B{len(rows)}"
    col = rows[0].index(header)
    while len(rows) < row:
        rows.append([None] * len(rows[0]))
    rows[row - 1][col] = value
    return f"{openpyxl.utils.get_column_letter(col + 1)}{row}"


def make_workbook(path: Path, sheets: dict[str, list[list]], *, hidden: tuple[str, ...] = (),
                  merged: dict[str, list[str]] | None = None) -> Path:
    """Write the sheets (rows of values; '=…' strings become formulas without cached values)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        if name in hidden:
            ws.sheet_state = "hidden"
        for rng in (merged or {}).get(name, []):
            ws.merge_cells(rng)
    wb.save(path)
    return Path(path)


def valid_workbook(path: Path, **edits) -> Path:
    return make_workbook(path, valid_sheets(**edits))


def build_workbook(path: Path, build) -> Path:
    """Write the workbook `build(wb)` makes on an empty openpyxl workbook: for what rows of values
    cannot say (title rows, merged cells, sheets by hand)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    build(wb)
    wb.save(path)
    return path
