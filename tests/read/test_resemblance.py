"""Headers from real MSP and HR extracts: units in brackets, slashes and abbreviations read as the
field they name, and an unread column whose header looks like a field's reported (Q520)."""
from __future__ import annotations

import pandas as pd
import pytest

from pipeline.core.contract import SHEETS_BY_NAME
from pipeline.read.header import field_matcher
from pipeline.read.resemblance import header_unit, resembled_field, stem
from pipeline.read.workbook import read_workbook
from pipeline.rules.validate import validate_file
from tests.libreoffice import needs_libreoffice, resaved
from tests.workbooks import make_workbook, valid_sheets

# (sheet, header as an MSP/HR extract writes it, the field it names)
REAL_HEADERS = [
    ("Assignments", "Hours/Week", "hours_per_week"),
    ("Assignments", "Hours / Week", "hours_per_week"),
    ("Assignments", "Hrs p/w", "hours_per_week"),
    ("Assignments", "Weekly Hrs", "hours_per_week"),
    ("Assignments", "Contracted Hours (per week)", "hours_per_week"),
    ("Assignments", "Hours per wk", "hours_per_week"),
    ("Assignments", "Std Hours", None),
    ("Assignments", "Expected End Date", "end_date"),
    ("Assignments", "Actual End Date", "end_date"),
    ("Assignments", "Planned End Date", "end_date"),
    ("Assignments", "Booking End Date", "end_date"),
    ("Assignments", "Placement End", "end_date"),
    ("Assignments", "Contract End Date", "end_date"),
    ("Assignments", "End Date (dd/mm/yyyy)", "end_date"),
    ("Assignments", "Booking Start", "start_date"),
    ("Assignments", "Placement Start Date", "start_date"),
    ("Assignments", "Start Date (DD/MM/YYYY)", "start_date"),
    ("Assignments", "Commencement Date", "start_date"),
    ("Assignments", "Notice (wks)", "notice_period_weeks"),
    ("Assignments", "Notice Period (Weeks)", "notice_period_weeks"),
    ("Assignments", "Notice period in weeks", "notice_period_weeks"),
    ("Assignments", "Notice Wks", "notice_period_weeks"),
    ("Assignments", "Notice (days)", None),
    ("Assignments", "Perm Notice (wks)", "permanent_notice_weeks"),
    ("Assignments", "Charge Rate (£/hr)", "charge_rate_per_hour"),
    ("Assignments", "Charge Rate £ p/h", "charge_rate_per_hour"),
    ("Assignments", "Client Charge Rate", "charge_rate_per_hour"),
    ("Assignments", "Bill Rate (£/hr)", "charge_rate_per_hour"),
    ("Assignments", "Agency Margin (£/hr)", "agency_fee_per_hour"),
    ("Assignments", "Agency Fee (£ per hour)", "agency_fee_per_hour"),
    ("Assignments", "Supplier Margin", "agency_fee_per_hour"),
    ("Assignments", "Agency Mark-up (£/hr)", "agency_fee_per_hour"),
    ("Assignments", "Margin %", "agency_fee_per_hour"),
    ("Assignments", "Holiday Pay (£/hr)", "holiday_pay_per_hour"),
    ("Assignments", "Hol Pay £/hr", "holiday_pay_per_hour"),
    ("Assignments", "Holiday Pay Accrual", "holiday_pay_per_hour"),
    ("Assignments", "WTR Holiday Pay", "holiday_pay_per_hour"),
    ("Assignments", "Employer's NI (£/hr)", "employer_ni_per_hour"),
    ("Assignments", "ERs NI", "employer_ni_per_hour"),
    ("Assignments", "Employer NIC", "employer_ni_per_hour"),
    ("Assignments", "Apprenticeship Levy (£/hr)", "apprenticeship_levy_per_hour"),
    ("Assignments", "App. Levy", "apprenticeship_levy_per_hour"),
    ("Assignments", "Appr Levy £/hr", "apprenticeship_levy_per_hour"),
    ("Assignments", "Pay Rate (£/hr)", "hourly_pay_rate"),
    ("Assignments", "Hourly Pay Rate (£)", "hourly_pay_rate"),
    ("Assignments", "Basic Hourly Rate", "hourly_pay_rate"),
    ("Assignments", "PAYE Rate", "hourly_pay_rate"),
    ("Assignments", "Candidate Pay Rate", "hourly_pay_rate"),
    ("Assignments", "Pay Rate Per Hr", "hourly_pay_rate"),
    ("Assignments", "Total Cost (Qtr)", "cost_in_quarter"),
    ("Assignments", "Cost this Quarter (£)", "cost_in_quarter"),
    ("Assignments", "Quarter Spend", "cost_in_quarter"),
    ("Assignments", "Qtr Cost", "cost_in_quarter"),
    ("Assignments", "SWE Reg. No.", "swe_number"),
    ("Assignments", "SWE Reg No", "swe_number"),
    ("Assignments", "Social Work England Reg", "swe_number"),
    ("Assignments", "Booking Ref", "assignment_ref"),
    ("Assignments", "Assignment Code", "assignment_ref"),
    ("Assignments", "Agency/Supplier", "agency"),
    ("Assignments", "Recruitment Agency", "agency"),
    ("Assignments", "Job Role", "local_job_title"),
    ("Assignments", "DfE Role", "role_category"),
    ("Assignments", "Pay Type", "payment_route"),
    ("Assignments", "PQE (yrs)", "pqe_years"),
    ("Assignments", "Years PQE", "pqe_years"),
    ("Assignments", "Years Qualified", "pqe_years"),
    ("Assignments", "Cap Exception Approved By", "cap_approved_by"),
    ("Assignments", "Approver", "cap_approved_by"),
    ("Assignments", "No. of references", "reference_obtained"),
    ("Assignments", "Candidate Name", None),
    ("Assignments", "Cost Centre", None),
    ("Assignments", "Worker Ref", None),
    ("ProjectTeams", "Worker Costs (£)", "worker_costs"),
    ("ProjectTeams", "No. of Workers", "number_of_workers"),
    ("ProjectTeams", "Contract End (dd/mm/yyyy)", "end_date"),
    ("MonthlyCosts", "Agency Fees (£)", "agency_fees"),
    ("MonthlyCosts", "MSP Fees £", "msp_fees"),
    ("MonthlyCosts", "Total Monthly Cost (£)", "total_monthly_cost"),
    ("Leavers", "Leaving Date (dd/mm/yyyy)", "date_left"),
]


def test_the_list_holds_at_least_60_real_looking_headers():
    assert len(REAL_HEADERS) >= 60


@pytest.mark.parametrize("sheet, header, key", REAL_HEADERS, ids=[h for _, h, _ in REAL_HEADERS])
def test_a_real_header_names_its_field(sheet, header, key):
    assert field_matcher(SHEETS_BY_NAME[sheet])(header) == key


@pytest.mark.parametrize("header, unit", [("Margin %", "percent"), ("Agency fee (%)", "percent"),
                                          ("Fee pct", "percent"), ("Notice (days)", "day"), ("Notice (wks)", "week"),
                                          ("Holiday Pay (£/hr)", "hour"), ("Agency fee", None), ("Start date", None)])
def test_the_unit_a_header_states(header, unit):
    assert header_unit(header) == unit


def test_a_stem_is_the_same_however_the_header_is_spelt():
    assert stem("Hours/Week") == stem("Weekly hours") == stem("HOURS PER WK") == "hour week"


# (header, the field it resembles, or None: a column the return has no field for)
LOOK_ALIKES = [
    ("Notice (days)", "notice_period_weeks"),
    ("Notice Period (Months)", "notice_period_weeks"),
    ("Anticipated End", "end_date"),
    ("Fee %", "agency_fee_per_hour"),
    ("Candidate Name", None),
    ("Cost Centre", None),
    ("Worker Ref", None),
    ("PO Number", None),
]


@pytest.mark.parametrize("header, key", LOOK_ALIKES)
def test_the_field_an_unread_header_resembles(header, key):
    assert field_matcher(SHEETS_BY_NAME["Assignments"])(header) is None
    assert resembled_field(SHEETS_BY_NAME["Assignments"], header, set()) == key


def _renamed(tmp_path, old: str, new: str, values=None):
    sheets = valid_sheets()
    rows = sheets["Assignments"]
    col = rows[0].index(old)
    rows[0][col] = new
    for i, value in enumerate(values or [], start=1):
        rows[i][col] = value
    return make_workbook(tmp_path / "renamed.xlsx", sheets), col


@pytest.mark.parametrize("old, new", [("Notice period weeks", "Notice (days)"), ("End date", "Anticipated End"),
                                      ("Notice period weeks", "Notice Period (Months)"),
                                      ("Agency fee per hour", "Fee %")])
def test_an_unread_look_alike_column_is_q520_on_its_header_cell(tmp_path, old, new):
    path, col = _renamed(tmp_path, old, new, values=[1, 1, 1])
    wb = read_workbook(path)
    found = [f for f in wb.findings if f.code == "Q520"]
    assert len(found) == 1
    letter = chr(ord("A") + col) if col < 26 else "A" + chr(ord("A") + col - 26)
    assert found[0].cell == f"{letter}1" and found[0].value == new
    assert f"'{new}'" in found[0].message and "rename the header" in found[0].message


def test_an_unread_look_alike_with_no_values_drops_nothing_and_is_not_reported(tmp_path):
    path, _ = _renamed(tmp_path, "End date", "Anticipated End", values=[None, None, None])
    assert not [f for f in read_workbook(path).findings if f.code == "Q520"]


@pytest.mark.parametrize("header", ["Candidate Name", "Cost Centre", "Worker Ref", "PO Number"])
def test_an_extra_column_like_no_field_is_kept_and_not_reported(tmp_path, header):
    sheets = valid_sheets()
    for i, row in enumerate(sheets["Assignments"]):
        row.append(header if i == 0 else "x")
    wb = read_workbook(make_workbook(tmp_path / "extra.xlsx", sheets))
    assert not [f for f in wb.findings if f.code == "Q520"]
    assert wb.sheets["Assignments"].extra_columns == [header]


@pytest.mark.parametrize("new, key, values, expected", [
    ("Hours/Week", "hours_per_week", [50, 37, 37], [50.0, 37.0, 37.0]),
    ("Expected End Date", "end_date", ["30/06/2025", None, None], ["2025-06-30", None, None]),
    ("Notice (wks)", "notice_period_weeks", [2, 4, 4], [2.0, 4.0, 4.0]),
    ("Charge Rate (£/hr)", "charge_rate_per_hour", [41.5, 41, 41], [41.5, 41.0, 41.0]),
])
def test_an_msp_header_is_read_into_its_field(tmp_path, new, key, values, expected):
    old = SHEETS_BY_NAME["Assignments"].column(key).header
    path, _ = _renamed(tmp_path, old, new, values=values)
    wb = read_workbook(path)
    got = wb.sheets["Assignments"].data[key].tolist()
    if key == "end_date":
        got = [None if pd.isna(v) else str(v.date()) for v in got]
    assert got == expected
    assert wb.sheets["Assignments"].header(key) == new


@needs_libreoffice
def test_msp_headers_and_a_look_alike_re_saved_by_libreoffice_give_the_same_findings(tmp_path):
    sheets = valid_sheets()
    header = sheets["Assignments"][0]
    for old, new in (("Hours per week", "Hours/Week"), ("End date", "Expected End Date"),
                     ("Notice period weeks", "Notice (days)"), ("Charge rate per hour", "Charge Rate (£/hr)")):
        header[header.index(old)] = new
    path = make_workbook(tmp_path / "msp.xlsx", sheets)
    again = resaved(path, tmp_path / "lo")
    mine, theirs = validate_file(path), validate_file(again)
    assert sorted((f.code, f.cell) for f in mine.findings) == sorted((f.code, f.cell) for f in theirs.findings)
    assert ("Q520", "AE1") in {(f.code, f.cell) for f in mine.findings}
