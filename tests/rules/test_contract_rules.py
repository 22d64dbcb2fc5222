"""The rules changed or added by data-contract 2–3 (issue 12), from real .xlsx files: caps for
assignments already running, value aliases, Q516 (SWE numbers in free text), Q517 (file name
names another LA), E104's date range, X602's leaver exceptions, the findings order.

The return is tests/workbooks.py's: Newham (316, London), 2025-Q2 unless a test says otherwise.
"""
from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from pipeline.outputs.cross_la import cross_la
from pipeline.core.contract import LEAVERS, Quarter
from pipeline.core.redaction import REPLACEMENT
from pipeline.rules.validate import validate_file
from tests.workbooks import make_workbook, set_cell, valid_sheets
from pipeline.warehouse import submit

A = "Assignments"
D = dt.datetime


def check(tmp_path, edits=(), quarter: Quarter | None = None, name="return.xlsx", sheets=None):
    sheets = sheets or (valid_sheets(quarter) if quarter else valid_sheets())
    for sheet, row, header, value in edits:
        set_cell(sheets, sheet, row, header, value)
    return validate_file(make_workbook(tmp_path / name, sheets))


def fired(result, prefix="Q"):
    return sorted((f.code, f.cell) for f in result.findings if f.code.startswith(prefix))


# --- caps for assignments already running (caps_apply_to_existing_from, default 1 Oct 2025) ---------

# A001 started in March 2025. Its cap-basis rate is pay + 3.62 + 3.20 + 0.15. London's Social worker
# cap is £39.87 from 31 Oct 2024 and £41.10 from 1 Oct 2025 (illustrative table).
MARCH = [(A, 2, "Start date", D(2025, 3, 3))]


def test_an_assignment_from_march_2025_active_in_q4_is_judged_against_the_cap_from_1_october(tmp_path):
    between = MARCH + [(A, 2, "Hourly pay rate", 33.50)]          # £40.47: over £39.87, under £41.10
    assert fired(check(tmp_path, between, quarter=Quarter(2025, 3)), "Q501") == [("Q501", "U2")]
    assert fired(check(tmp_path, between, quarter=Quarter(2025, 4)), "Q5") == []
    over = check(tmp_path, MARCH + [(A, 2, "Hourly pay rate", 34.20)], quarter=Quarter(2025, 4))   # £41.17
    (f,) = [f for f in over.findings if f.code == "Q501"]
    assert f.cell == "U2" and "£41.10" in f.message and "£41.17" in f.message


def test_a_new_assignment_in_q4_is_judged_on_its_own_start_date(tmp_path):
    edits = [(A, 3, "Start date", D(2025, 10, 6)), (A, 3, "End date", None), (A, 3, "Hourly pay rate", 36.0),
             (A, 3, "Role category", "Social worker")]
    result = check(tmp_path, edits, quarter=Quarter(2025, 4))
    assert ("Q501", "U3") in fired(result)   # 36 + 6.97 = £42.97 > £41.10


def test_caps_apply_to_existing_from_is_configuration(tmp_path, monkeypatch):
    from pipeline.core.config import DATA_DIR
    toml = tmp_path / "thresholds.toml"
    toml.write_text((DATA_DIR / "thresholds.toml").read_text().replace(
        '[caps_apply_to_existing_from]\nvalue = "2025-10-01"', '[caps_apply_to_existing_from]\nvalue = "2026-04-01"'))
    monkeypatch.setenv("AGENCY_RETURN_THRESHOLDS", str(toml))
    between = MARCH + [(A, 2, "Hourly pay rate", 33.50)]
    assert fired(check(tmp_path, between, quarter=Quarter(2025, 4)), "Q501") == [("Q501", "U2")]


# --- value aliases ---------------------------------------------------------------------------------

@pytest.mark.parametrize("header, typed, canonical", [
    ("Role category", "Independent reviewing officer or child protection conference chair",
     "Independent reviewing officer or child protection chair"),
    ("Role category", "IRO", "Independent reviewing officer or child protection chair"),
    ("Role category", "cp chair", "Independent reviewing officer or child protection chair"),
    ("Role category", "Senior SW", "Senior social worker"),
    ("Role category", "Assistant team manager", "Advanced practitioner"),
    ("Payment route", "Ltd", "Limited company"),
    ("Payment route", "umbrella", "Umbrella company"),
    ("Reference obtained", "y", "Yes"),
    ("Left permanent LA post in last 3 months", "N", "No"),
    ("Cap reported to RIIA", "Y", "Yes"),
    ("Cool-off exception", "N/A", "None"),
])
def test_value_aliases_read_as_the_allowed_value(tmp_path, header, typed, canonical):
    result = check(tmp_path, [(A, 2, header, typed)])
    assert fired(result, "E") == []
    frame = result.submission.frame(A)
    key = next(c.key for c in result.submission.sheet(A).sheet.columns if c.header == header)
    assert frame.at[2, key] == canonical


def test_an_unknown_value_is_still_e111_and_names_the_choices(tmp_path):
    result = check(tmp_path, [(A, 2, "Reference obtained", "Maybe")])
    (f,) = [f for f in result.findings if f.code == "E111"]
    assert f.cell == "AD2" and "number of references" in f.message


# --- Q516: SWE-like numbers in free text -----------------------------------------------------------

@pytest.mark.parametrize("text", ["Replaces SW123456 who left", "ref sw 0012345", "ЅW\u200b98765 (agency said)",
                                  "ＳＷ４５６７８", "SW-12345678"])
def test_q516_fires_on_an_swe_number_in_notes_and_never_repeats_it(tmp_path, text):
    result = check(tmp_path, [(A, 3, "Notes", text)])
    (f,) = [f for f in result.findings if f.code == "Q516"]
    assert (f.sheet, f.cell) == ("Assignments", "AG3")
    assert REPLACEMENT in f.value and text not in f.value and text not in f.message
    assert result.status == "accepted"


def test_q516_in_other_sheets_free_text(tmp_path):
    result = check(tmp_path, [("Compliance", 2, "Status", "Partially compliant"),
                              ("Compliance", 2, "Explanation", "One worker (SW100001) above the cap")])
    assert ("Q516", "D2") in fired(result)


@pytest.mark.parametrize("text", ["Started late: SWE check pending", "Hays SW Ltd 2025", "ASW12 rota", "SW12b"])
def test_q516_silent_on_text_without_an_swe_like_number(tmp_path, text):
    assert fired(check(tmp_path, [(A, 3, "Notes", text)]), "Q516") == []


# --- Q517: the file name names another LA ------------------------------------------------------------

@pytest.mark.parametrize("name, fires", [
    ("202_2025-Q2.xlsx", True),                 # Camden's code, Newham's return
    ("LA202 agency return.xlsx", True),
    ("316_2025-Q2.xlsx", False),
    ("Newham 2025-Q2 v3.xlsx", False),
    ("return 2025.xlsx", False),
    ("1a202b9f.xlsx", False),                   # digits inside a hash are not a code
    ("999_2025-Q2.xlsx", False),                # not a DfE LA code
])
def test_q517_file_name_names_a_different_la(tmp_path, name, fires):
    result = check(tmp_path, name=name)
    q517 = [f for f in result.findings if f.code == "Q517"]
    assert bool(q517) == fires
    if fires:
        assert (q517[0].sheet, q517[0].cell, q517[0].value) == ("Return", "B1", "316")
        assert "Camden" in q517[0].message and "Newham" in q517[0].message


def test_q517_judged_by_the_name_the_council_sent_not_the_kept_copy(tmp_path):
    path = make_workbook(tmp_path / "0123abc.xlsx", valid_sheets())
    assert fired(validate_file(path, name="202 return.xlsx"), "Q517") == [("Q517", "B1")]


# --- E104: the plausible date range ---------------------------------------------------------------

@pytest.mark.parametrize("sheet, header, value, expected", [
    (A, "Start date", D(1989, 12, 31), [("E104", "K2")]),
    (A, "Start date", D(1990, 1, 1), []),
    (A, "End date", D(2100, 1, 1), [("E104", "L2")]),
    (A, "End date", D(2099, 12, 31), []),
    (A, "Date left permanent post", D(1900, 1, 5), [("E104", "AB2")]),
    ("ProjectTeams", "Start date", D(1985, 4, 1), [("E202", "D2")]),
])
def test_e104_dates_outside_1990_to_2099(tmp_path, sheet, header, value, expected):
    result = check(tmp_path, [(sheet, 2, header, value)])
    got = [(f.code, f.cell) for f in result.findings if f.code in ("E104", "E202") and f.row == 2]
    assert got == expected
    for f in result.findings:
        if (f.code, f.cell) in expected:
            assert "01/01/1990" in f.message and "31/12/2099" in f.message


# --- findings order ------------------------------------------------------------------------------

def test_findings_come_file_level_first_then_by_sheet_row_and_column(tmp_path):
    sheets = valid_sheets()
    for r in sheets["MonthlyCosts"]:
        del r[3]                                                   # no 'Agency fees' column: E003
    edits = [(A, 3, "PQE years", "three"), (A, 3, "Hours per week", 60), (A, 2, "Notice period weeks", 2)]
    result = check(tmp_path, edits, sheets=sheets)
    codes = [(f.code, f.sheet, f.cell) for f in result.findings]
    assert codes[0][0] == "E003" and codes[0][1] == "MonthlyCosts"
    rest = [(s, c) for _, s, c in codes[1:] if s == A]
    assert rest == [(A, "AE2"), (A, "M3"), (A, "Y3")]


# --- X602: leavers through redundancy or probation are exceptions ------------------------------

def _leavers(*rows):
    return [[c.header for c in LEAVERS.columns], *rows]


@pytest.mark.parametrize("reason, fires", [("Resigned", True), ("Redundancy", False), ("Probation", False)])
def test_x602_a_leaver_made_redundant_is_an_exception(tmp_path, service_home, reason, fires):
    """Camden (202) lost SW100002 on 01/03/2025; Newham (316, same region) engaged them on 11/04/2025."""
    camden = valid_sheets(la_code="202")
    for row in camden[A][1:]:
        row[1] = row[1].replace("SW1", "SW2")                     # Camden's own workers are others
    camden["Leavers"] = _leavers(["SW100002", D(2025, 3, 1), reason])
    q = Quarter(2025, 2)
    for name, sheets in (("camden.xlsx", camden), ("newham.xlsx", valid_sheets())):
        assert submit.submit_file(make_workbook(tmp_path / name, sheets), q, home=service_home).status == "accepted"
    con = duckdb.connect(str(service_home / "data" / "warehouse.duckdb"))
    try:
        found = cross_la(con, q)
    finally:
        con.close()
    x602 = found[found["code"] == "X602"]
    assert (len(x602) == 1) == fires
    if fires:
        assert (x602.iloc[0]["la_code"], x602.iloc[0]["assignment_ref"]) == ("316", "A002")


def test_choice_normalises_each_distinct_value_once(monkeypatch):
    """issue 16: `setdefault(v, lookup.get(normalise_header(v)))` normalised every cell."""
    import pandas as pd

    from pipeline.read import parse
    from pipeline.core.contract import PAYMENT_ROUTES
    parse.choice(pd.Series(["PAYE"], dtype="string"), PAYMENT_ROUTES)   # the list's lookup is built once
    calls = []
    real = parse.normalise_header
    monkeypatch.setattr(parse, "normalise_header", lambda v: calls.append(v) or real(v))
    out = parse.choice(pd.Series(["Ltd", "PAYE", "umbrella"] * 1000, dtype="string"), PAYMENT_ROUTES)
    assert out.iloc[:3].tolist() == ["Limited company", "PAYE", "Umbrella company"]
    assert len(calls) <= 3
