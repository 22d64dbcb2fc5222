"""The rules changed or added by data-contract 2–3 (issue 12) that belong to no one rule family, from
real .xlsx files: value aliases, E104's date range, X602's leaver exceptions, the findings order.
(Caps for assignments already running are in test_caps.py; Q516 and Q517 in test_text_and_file_names.py.)

The return is tests/workbooks.py's: Newham (316, London), 2025-Q2 unless a test says otherwise.
"""
from __future__ import annotations

import duckdb
import pytest

from pipeline.core.contract import Quarter
from pipeline.outputs.cross_la import cross_la
from pipeline.warehouse import submit
from tests.rules.edits import A, D, check, fired, leavers
from tests.workbooks import make_workbook, valid_sheets

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

@pytest.mark.parametrize("reason, fires", [("Resigned", True), ("Redundancy", False), ("Probation", False)])
def test_x602_a_leaver_made_redundant_is_an_exception(tmp_path, service_home, reason, fires):
    """Camden (202) lost SW100002 on 01/03/2025; Newham (316, same region) engaged them on 11/04/2025."""
    camden = valid_sheets(la_code="202")
    for row in camden[A][1:]:
        row[1] = row[1].replace("SW1", "SW2")                     # Camden's own workers are others
    camden["Leavers"] = leavers(["SW100002", D(2025, 3, 1), reason])
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

    from pipeline.core.contract import PAYMENT_ROUTES
    from pipeline.read import parse
    parse.choice(pd.Series(["PAYE"], dtype="string"), PAYMENT_ROUTES)   # the list's lookup is built once
    calls = []
    real = parse.normalise_header
    monkeypatch.setattr(parse, "normalise_header", lambda v: calls.append(v) or real(v))
    out = parse.choice(pd.Series(["Ltd", "PAYE", "umbrella"] * 1000, dtype="string"), PAYMENT_ROUTES)
    assert out.iloc[:3].tolist() == ["Limited company", "PAYE", "Umbrella company"]
    assert len(calls) <= 3
