"""Agency-rules queries (Q501–Q511, Q513, Q514) from real .xlsx files: each fires on the breaching
cell, stays silent on the boundary cases, and the clean return raises none.

The return is tests/workbooks.py's: Newham (316, London), 2025-Q2; Assignments rows 2–4 are A001
(Social worker, started 20/02/2025), A002 (Senior social worker, 11/04/2025–10/06/2025) and A003
(project team PT1, ProjectTeams row 2).
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pipeline.rules import registry
from pipeline.rules.compliance import derive_compliance
from pipeline.core.contract import ASSIGNMENTS, LEAVERS, Quarter, column_letter
from pipeline.read.workbook import SheetFrame, Workbook, typed_frame
from pipeline.core.reference import la_for_quarter
from pipeline.rules.context import Submission, prepare_assignments
from pipeline.rules.validate import validate_file
from tests.workbooks import make_workbook, set_cell, valid_sheets

A = "Assignments"
D = dt.datetime


def check(tmp_path, edits=(), quarter: Quarter | None = None, previous_total=None):
    """Write the valid return with `edits` ((sheet, row, header, value), ...) and validate it."""
    sheets = valid_sheets(quarter) if quarter else valid_sheets()
    for sheet, row, header, value in edits:
        set_cell(sheets, sheet, row, header, value)
    path = make_workbook(tmp_path / "return.xlsx", sheets)
    return validate_file(path, previous_total=previous_total)


def fired(result, prefix="Q"):
    return sorted((f.code, f.cell) for f in result.findings if f.code.startswith(prefix))


def test_clean_return_has_no_findings(tmp_path):
    result = check(tmp_path, previous_total=57000.0)
    assert result.findings == []


# (edits, expected (code, cell) pairs): one breach per case, and the boundary next to it.
CASES = {
    # A001: 30 + 3.62 + 3.20 + 0.15 = 36.97 against London's Social worker cap of 39.87.
    "Q501 over the cap, not approved": ([(A, 2, "Hourly pay rate", 33.0)], [("Q501", "U2"), ("Q518", "X2")]),
    "Q501 cap exactly equal": ([(A, 2, "Hourly pay rate", 32.90)], []),
    "Q501 approved by the DCS": ([(A, 2, "Hourly pay rate", 33.0), (A, 2, "Cap approved by", "DCS")], [("Q518", "X2")]),
    "Q518 approved and reported to the RIIA": ([(A, 2, "Hourly pay rate", 33.0), (A, 2, "Cap approved by", "DCS"),
                                                (A, 2, "Cap reported to RIIA", "Yes")], []),
    "Q518 reported: No": ([(A, 2, "Hourly pay rate", 33.0), (A, 2, "Cap approved by", "DCS"),
                           (A, 2, "Cap reported to RIIA", "No")], [("Q518", "X2")]),
    "Q518 under the cap, not reported": ([(A, 2, "Cap reported to RIIA", "No")], []),
    "Q502 approved by Other": ([(A, 2, "Hourly pay rate", 33.0), (A, 2, "Cap approved by", "Other"),
                                (A, 2, "Cap reported to RIIA", "Y")], [("Q502", "U2")]),
    "Q502 Other but under the cap": ([(A, 2, "Cap approved by", "Other")], []),
    "Q501 legacy assignment": ([(A, 2, "Hourly pay rate", 33.0), (A, 2, "Start date", D(2024, 6, 1))], []),
    "Q503 PQE under 3": ([(A, 3, "PQE years", 2.9)], [("Q503", "Y3")]),
    "Q503 PQE exactly 3": ([(A, 3, "PQE years", 3)], []),
    "Q503 legacy assignment": ([(A, 2, "PQE years", 1), (A, 2, "Start date", D(2024, 10, 30))], []),
    "Q505 no reference": ([(A, 3, "Reference obtained", "No")], [("Q505", "AD3")]),
    "Q505 one reference": ([(A, 3, "Reference obtained", 1)], [("Q505", "AD3")]),
    "Q505 references not recorded": ([(A, 3, "Reference obtained", None)], [("Q505", "AD3")]),
    "Q505 two references": ([(A, 3, "Reference obtained", 2)], []),
    "Q505 three references as text": ([(A, 3, "Reference obtained", "3")], []),
    "Q506 notice under 4 weeks": ([(A, 3, "Notice period weeks", 3)], [("Q506", "AE3")]),
    "Q506 notice exactly 4 weeks": ([(A, 3, "Notice period weeks", 4)], []),
    "Q506 notice of 8 weeks is not a breach": ([(A, 3, "Notice period weeks", 8)], []),
    "Q506 notice 3, permanent equivalent 3": ([(A, 3, "Notice period weeks", 3), (A, 3, "Permanent notice weeks", 3)], []),
    "Q506 notice 3, permanent equivalent 4": ([(A, 3, "Notice period weeks", 3), (A, 3, "Permanent notice weeks", 4)],
                                              [("Q506", "AE3")]),
    "Q506 notice 2, permanent equivalent 3": ([(A, 3, "Notice period weeks", 2), (A, 3, "Permanent notice weeks", 3)],
                                              [("Q506", "AE3")]),
    "Q506 legacy assignment": ([(A, 2, "Notice period weeks", 1), (A, 2, "Start date", D(2024, 6, 1))], []),
    "Q507 hours over 48": ([(A, 3, "Hours per week", 48.5)], [("Q507", "M3")]),
    "Q507 exactly 48 hours": ([(A, 3, "Hours per week", 48)], []),
    "Q507 legacy still applies": ([(A, 2, "Hours per week", 60), (A, 2, "Start date", D(2024, 6, 1))], [("Q507", "M2")]),
    "Q508 pay rate below £15": ([(A, 2, "Hourly pay rate", 14.99)], [("Q508", "N2")]),
    "Q508 pay rate exactly £15": ([(A, 2, "Hourly pay rate", 15)], []),
    "Q508 pay rate above £150 (and over the cap)": ([(A, 2, "Hourly pay rate", 150.01)],
                                                    [("Q501", "U2"), ("Q508", "N2"), ("Q518", "X2")]),
    "Q509 same worker, overlapping": ([(A, 3, "SWE registration number", "sw 0100001")], [("Q509", "B2"), ("Q509", "B3")]),
    "Q509 same worker, one after the other": ([(A, 3, "SWE registration number", "SW100001"),
                                               (A, 2, "End date", D(2025, 4, 10))], []),
    "Q510 team not identified": ([("ProjectTeams", 2, "All workers identified and approved", "No")], [("Q510", "G2")]),
    "Q510 no LA control": ([("ProjectTeams", 2, "LA retains control of practice", "No")], [("Q510", "H2")]),
    "Q510 legacy team": ([("ProjectTeams", 2, "All workers identified and approved", "No"),
                          ("ProjectTeams", 2, "Start date", D(2024, 9, 1))], []),
    "Q510 worker costs over 5% from members'": ([("ProjectTeams", 2, "Worker costs in quarter", 20000.0),
                                                 ("ProjectTeams", 2, "Total cost in quarter", 21000.0)], [("Q510", "I2")]),
    "Q510 worker costs within 5%": ([("ProjectTeams", 2, "Worker costs in quarter", 19900.0),
                                     ("ProjectTeams", 2, "Total cost in quarter", 20900.0)], []),
    "Q510 a member has no cost of its own": ([(A, 4, "Cost in quarter", None), (A, 2, "Cost in quarter", 38000.0)],
                                              [("Q510", "T4")]),
    "Q510 an individual without a cost is not a member": ([(A, 2, "Cost in quarter", None),
                                                           (A, 3, "Cost in quarter", 38000.0)], []),
    "Q515 PAYE without holiday pay or employer NI": ([(A, 2, "Holiday pay per hour", None),
                                                      (A, 2, "Employer NI per hour", None)], [("Q515", "O2")]),
    "Q515 umbrella without employer NI": ([(A, 2, "Payment route", "Umbrella"), (A, 2, "Employer NI per hour", None)],
                                          [("Q515", "P2")]),
    "Q515 PAYE with on-costs of 0": ([(A, 2, "Holiday pay per hour", 0), (A, 2, "Employer NI per hour", 0)], []),
    "Q515 limited company with no on-costs": ([(A, 2, "Payment route", "Ltd"), (A, 2, "Holiday pay per hour", None),
                                               (A, 2, "Employer NI per hour", None),
                                               (A, 2, "Apprenticeship levy per hour", None)], []),
    "Q511 assignment costs over 5% from monthly": ([(A, 2, "Cost in quarter", 25000.0)], [("Q511", "G2")]),
    "Q511 within 5%": ([(A, 2, "Cost in quarter", 21000.0)], []),
    # Newham's latest DfE agency headcount before 2025-Q2 is 77 (30 Sept 2024).
    "Q513 headcount over 50% from DfE's": ([("MonthlyCosts", 4, "Agency headcount at month end", 116)], [("Q513", "B4")]),
    "Q513 headcount within 50%": ([("MonthlyCosts", 4, "Agency headcount at month end", 115)], []),
    "Q513 compares the latest month": ([("MonthlyCosts", 2, "Agency headcount at month end", 500)], []),
}


@pytest.mark.parametrize("name", CASES)
def test_rule_fires_on_the_breaching_cell_only(tmp_path, name):
    edits, expected = CASES[name]
    result = check(tmp_path, edits)
    assert fired(result, "E") == []
    assert [c for c in fired(result) if c[0] != "Q512"] == expected


@pytest.fixture
def cool_off():
    """A002 (starts 11/04/2025) left a permanent post at Camden (202, London, same region as Newham)."""
    return [(A, 3, "Left permanent LA post in last 3 months", "Yes"), (A, 3, "Previous LA code", "202"),
            (A, 3, "Cool-off exception", "None")]


def test_q504_fires_under_three_calendar_months(tmp_path, cool_off):
    result = check(tmp_path, cool_off + [(A, 3, "Date left permanent post", D(2025, 1, 12))])
    (f,) = [f for f in result.findings if f.code == "Q504"]
    assert (f.cell, f.value) == ("AC3", "None")
    assert "Camden" in f.message and "12/01/2025" in f.message and "11/04/2025" in f.message


def test_q504_blank_exception_is_no_exception(tmp_path, cool_off):
    result = check(tmp_path, cool_off[:2] + [(A, 3, "Date left permanent post", D(2025, 3, 1))])
    assert fired(result, "Q504") == [("Q504", "AC3")]


@pytest.mark.parametrize("edit", [
    (A, 3, "Date left permanent post", D(2025, 1, 11)),     # exactly 3 months before the start
    (A, 3, "Date left permanent post", D(2024, 12, 1)),
])
def test_q504_silent_from_three_months(tmp_path, cool_off, edit):
    assert fired(check(tmp_path, cool_off + [edit]), "Q504") == []


@pytest.mark.parametrize("exception", ["Moving to permanent role", "Redundancy", "Left during probation"])
def test_q504_each_exception_silences_it(tmp_path, cool_off, exception):
    edits = cool_off + [(A, 3, "Date left permanent post", D(2025, 3, 1)), (A, 3, "Cool-off exception", exception)]
    assert fired(check(tmp_path, edits), "Q") == []


def test_q504_different_region_does_not_excuse_a_previous_la_in_the_same_region(tmp_path, cool_off):
    edits = cool_off + [(A, 3, "Date left permanent post", D(2025, 3, 1)), (A, 3, "Cool-off exception", "Different region")]
    result = check(tmp_path, edits)
    (f,) = [f for f in result.findings if f.code == "Q504"]
    assert (f.cell, f.value) == ("AC3", "Different region")
    assert "Different region" in f.message and "Camden" in f.message and "in your region" in f.message


def test_q504_different_region_with_a_previous_la_elsewhere_is_silent(tmp_path, cool_off):
    edits = cool_off + [(A, 3, "Previous LA code", "812"), (A, 3, "Date left permanent post", D(2025, 3, 1)),
                        (A, 3, "Cool-off exception", "Different region")]
    assert fired(check(tmp_path, edits), "Q") == []


def test_q504_left_after_starting_says_so(tmp_path, cool_off):
    """A002 started 11/04/2025 and left Camden on 20/04/2025: not 'less than 3 months before starting'."""
    result = check(tmp_path, cool_off + [(A, 3, "Date left permanent post", D(2025, 4, 20))])
    (f,) = [f for f in result.findings if f.code == "Q504"]
    assert f.cell == "AC3" and "after this assignment started on 11/04/2025" in f.message
    assert "before starting" not in f.message


def test_q504_unknown_is_queried_as_not_checked(tmp_path):
    result = check(tmp_path, [(A, 3, "Left permanent LA post in last 3 months", "Unknown")])
    (f,) = [f for f in result.findings if f.code == "Q504"]
    assert (f.cell, f.value) == ("Z3", "Unknown") and "not checked" in f.message
    excused = [(A, 3, "Left permanent LA post in last 3 months", "Unknown"), (A, 3, "Cool-off exception", "Redundancy")]
    assert fired(check(tmp_path, excused), "Q504") == []


def _leavers(*rows):
    return [[c.header for c in LEAVERS.columns], *rows]


def test_q504_own_leaver_within_three_months(tmp_path):
    """A002 (SW100002, starts 11/04/2025) is on Newham's own Leavers sheet: left 01/03/2025."""
    sheets = valid_sheets()
    sheets["Leavers"] = _leavers(["SW100002", D(2025, 3, 1), "Resigned"])
    result = validate_file(make_workbook(tmp_path / "return.xlsx", sheets))
    (f,) = [f for f in result.findings if f.code == "Q504"]
    assert (f.sheet, f.cell) == ("Assignments", "AC3")
    assert "Leavers sheet (row 2)" in f.message and "01/03/2025" in f.message and "Resigned" in f.message


@pytest.mark.parametrize("leaver", [
    ["SW100002", D(2025, 1, 11), "Resigned"],     # exactly 3 months before the start
    ["SW100002", D(2025, 3, 1), "Redundancy"],    # redundancy is an exception
    ["SW100002", D(2025, 3, 1), "Probation"],     # so is leaving during probation
    ["SW999999", D(2025, 3, 1), "Resigned"],      # someone else
])
def test_q504_own_leaver_silent(tmp_path, leaver):
    sheets = valid_sheets()
    sheets["Leavers"] = _leavers(leaver)
    assert fired(validate_file(make_workbook(tmp_path / "return.xlsx", sheets)), "Q504") == []


def test_q504_previous_la_in_another_region_is_not_a_breach(tmp_path, cool_off):
    edits = cool_off + [(A, 3, "Previous LA code", "812"), (A, 3, "Date left permanent post", D(2025, 3, 1))]
    assert fired(check(tmp_path, edits), "Q") == []


def test_q504_legacy_assignment(tmp_path):
    edits = [(A, 2, "Left permanent LA post in last 3 months", "Yes"), (A, 2, "Previous LA code", "213"),
             (A, 2, "Date left permanent post", D(2024, 9, 1)), (A, 2, "Start date", D(2024, 10, 1))]
    assert fired(check(tmp_path, edits), "Q") == []


def test_legacy_is_bound_once_the_transition_ends(tmp_path):
    """2025-Q4: an assignment from June 2024 is held to the cap in force on 1 Oct 2025 (London SW £41.10)."""
    edits = [(A, 2, "Start date", D(2024, 6, 1)), (A, 2, "Hourly pay rate", 34.2), (A, 2, "PQE years", 2)]
    result = check(tmp_path, edits, quarter=Quarter(2025, 4))
    assert [c for c in fired(result) if c[0] != "Q512"] == [("Q501", "U2"), ("Q503", "Y2"), ("Q518", "X2")]
    assert "£41.10" in next(f.message for f in result.findings if f.code == "Q501")


def test_no_cap_row_no_finding(tmp_path, monkeypatch):
    """Caps are configuration: a table with no row for the role raises nothing."""
    table = tmp_path / "caps.csv"
    table.write_text("region_code,region_name,role_category,effective_from,effective_to,cap_gbp_per_hour,basis,source\n"
                     "E12000007,London,Team manager,2024-10-31,,10.00,pay+holiday+employer_ni+apprenticeship_levy,test\n")
    toml = tmp_path / "thresholds.toml"
    from pipeline.core.config import DATA_DIR
    text = (DATA_DIR / "thresholds.toml").read_text().replace('value = "price_caps_illustrative.csv"', f'value = "{table}"')
    toml.write_text(text)
    monkeypatch.setenv("AGENCY_RETURN_THRESHOLDS", str(toml))
    assert fired(check(tmp_path, [(A, 2, "Hourly pay rate", 100.0)])) == []
    result = check(tmp_path, [(A, 2, "Role category", "Team manager")])
    assert fired(result) == [("Q501", "U2"), ("Q512", "B2"), ("Q518", "X2")]
    assert "London cap of £10.00/h for the role 'Team manager'" in result.findings[0].message
    assert result.to_dict()["cap_table"].startswith("caps.csv@")   # the table's identity: in the JSON, not the message


def test_q509_names_the_other_assignment(tmp_path):
    result = check(tmp_path, [(A, 3, "SWE registration number", "SW100001")])
    messages = {f.cell: f.message for f in result.findings if f.code == "Q509"}
    assert "A002 (row 3)" in messages["B2"] and "A001 (row 2)" in messages["B3"]


def test_q514_against_the_previous_quarter(tmp_path):
    assert fired(check(tmp_path, previous_total=None)) == []
    assert fired(check(tmp_path, previous_total=38001.0)) == []          # 57,000 is 49.99% up
    result = check(tmp_path, previous_total=37000.0)
    assert fired(result) == [("Q514", "G2")]
    assert "2025-Q1" in result.findings[0].message


def test_a_note_marks_the_query_explained(tmp_path):
    result = check(tmp_path, [(A, 3, "Reference obtained", "No"), (A, 3, "Notes", "Reference requested 2 May")])
    (q505,) = [f for f in result.findings if f.code == "Q505"]
    assert q505.explained and q505.note == "Reference requested 2 May"
    assert result.status == "accepted"


def test_messages_say_what_to_change(tmp_path):
    edits = [(A, 2, "Hourly pay rate", 33.0), (A, 3, "PQE years", 1), (A, 3, "Reference obtained", "No")]
    for f in check(tmp_path, edits).findings:
        assert "could not be filled" not in f.message
        assert "Notes" in f.message or "Explanation" in f.message


def _frame(sheet, raw: pd.DataFrame) -> SheetFrame:
    frame = SheetFrame(sheet, sheet.name, header_row=1,
                       positions={c.key: (c.header, column_letter(i)) for i, c in enumerate(sheet.columns)})
    frame.raw, frame.data = raw, typed_frame(sheet, raw)
    return frame


def test_engine_runs_every_q_rule_over_50k_assignments():
    """The Q-rules and derived compliance over 50,000 typed assignments (~3% breaching each rule) all run
    and find their breaches; how fast is measured by `make bench` (rule engine row), not timed here."""
    n = 50_000
    i = pd.RangeIndex(n)
    raw = pd.DataFrame({
        "assignment_ref": "A" + i.astype(str), "swe_number": "SW" + (i % 49_500 + 1).astype(str),
        "role_category": "Social worker", "agency": "Agency", "payment_route": "PAYE", "engagement_model": "Individual",
        "start_date": pd.Series(pd.date_range("2024-06-01", periods=300).strftime("%Y-%m-%d")).iloc[i % 300].values,
        "hours_per_week": (37 + (i % 33 == 0) * 20).astype(str), "hourly_pay_rate": (30 + (i % 41 == 0) * 10).astype(str),
        "holiday_pay_per_hour": "3.62", "employer_ni_per_hour": "3.2", "cost_in_quarter": "19000",
        "cap_reported_to_riia": "Yes",
        "pqe_years": (3 + (i % 7) - (i % 29 == 0) * 3).astype(str),
        "left_permanent_post": pd.Series(["Yes"] + ["No"] * 39).iloc[i % 40].values,
        "previous_la_code": "202", "date_left_permanent_post": "2025-01-15", "cool_off_exception": "None",
        "reference_obtained": pd.Series(["Yes"] * 30 + ["No"]).iloc[i % 31].values,
        "notice_period_weeks": (4 - (i % 37 == 0)).astype(str),
    }, index=pd.Index(range(2, n + 2), name="row"), dtype="string")
    wb = Workbook(sheets={ASSIGNMENTS.name: _frame(ASSIGNMENTS, raw)})
    prepare_assignments(wb)
    quarter = Quarter(2025, 2)
    sub = Submission(wb, quarter=quarter, la=la_for_quarter("316", quarter))
    q_rules = [r for r in registry.RULES if r.codes[0].startswith("Q")]
    findings = registry.run(sub, q_rules)
    derive_compliance(sub, findings)
    codes = {f.code for f in findings}
    assert {"Q501", "Q503", "Q504", "Q505", "Q506", "Q507", "Q509"} <= codes
    assert not any("could not be checked" in f.message for f in findings)
