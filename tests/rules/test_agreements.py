"""R701–R703 (pipeline/rules/agreements.py): a regional agreement's findings, apart from the statutory
ones, from real .xlsx returns of contract 3's first quarter (2026-Q4)."""
from __future__ import annotations

import datetime as dt

import pytest

from pipeline.core.contract import Quarter
from pipeline.rules.validate import validate_file
from tests.workbooks import make_workbook, set_cell, valid_sheets

Q4 = Quarter(2026, 4)
A = "Assignments"
LONDON, NORTH_EAST = ("316", "Newham"), ("805", "Hartlepool")
EAST_OF_ENGLAND = ("926", "Norfolk")


def _judge(tmp_path, la, edits=(), quarter=Q4, sheets=None):
    sheets = sheets or valid_sheets(quarter, la[0])
    set_cell(sheets, "Return", 0, "LA name", la[1])
    for sheet, row, header, value in edits:
        set_cell(sheets, sheet, row, header, value)
    return validate_file(make_workbook(tmp_path / f"{la[0]}.xlsx", sheets))


def _left_four_months_before(previous_la: str, answer: str = "No"):
    """A001 (row 2) started 1 Oct 2026 - 40 days = 22 Aug 2026; the worker left `previous_la` 4 months before."""
    start = dt.datetime(2026, 8, 22)
    return [(A, 2, "Start date", start), (A, 2, "Left permanent LA post in last 3 months", answer),
            (A, 2, "Previous LA code", previous_la), (A, 2, "Date left permanent post", dt.datetime(2026, 4, 22))]


def codes(findings):
    return sorted((f.code, f.cell) for f in findings)


def test_london_worker_who_left_a_london_post_four_months_before_gets_r701_and_no_q504(tmp_path):
    result = _judge(tmp_path, LONDON, _left_four_months_before("302"))   # Barnet, London
    assert result.status == "accepted"
    assert codes(result.agreement) == [("R701", "AB2")]
    assert not [f for f in result.findings if f.code in ("Q504", "R701")]
    message = result.agreement[0].message
    assert "The London Pledge" in message and "Barnet (302)" in message and "22/04/2026" in message
    assert result.to_dict()["agreement"][0]["code"] == "R701"
    assert result.queries == 0        # the agreement's query is not counted with the statutory ones


def test_the_same_worker_in_the_north_east_gets_neither(tmp_path):
    result = _judge(tmp_path, NORTH_EAST, _left_four_months_before("806"))   # Middlesbrough, North East
    assert result.status == "accepted"
    assert result.agreement == [] and not [f for f in result.findings if f.code == "Q504"]


def test_within_the_statutory_three_months_it_is_q504_alone(tmp_path):
    edits = _left_four_months_before("302", "Yes")
    edits[-1] = (A, 2, "Date left permanent post", dt.datetime(2026, 7, 1))
    result = _judge(tmp_path, LONDON, edits)
    assert [f.code for f in result.findings if f.code.startswith("Q") and f.code != "Q512"] == ["Q504"]
    assert result.agreement == []


def test_a_leaver_from_another_region_or_six_months_ago_is_not_r701(tmp_path):
    assert _judge(tmp_path, LONDON, _left_four_months_before("806")).agreement == []   # North East post
    edits = _left_four_months_before("302")
    edits[-1] = (A, 2, "Date left permanent post", dt.datetime(2026, 2, 22))          # exactly 6 months
    assert _judge(tmp_path, LONDON, edits).agreement == []


def test_the_las_own_leaver_four_months_before_gets_r701(tmp_path):
    sheets = valid_sheets(Q4, LONDON[0])
    sheets["Leavers"] = [["SWE registration number", "Date left", "Reason"], ["SW100001", dt.datetime(2026, 4, 20), "Resigned"]]
    set_cell(sheets, A, 2, "Start date", dt.datetime(2026, 8, 22))
    result = _judge(tmp_path, LONDON, sheets=sheets)
    assert [(f.code, f.cell) for f in result.agreement] == [("R701", "K2")]
    assert "Leavers row 2" in result.agreement[0].message


def test_before_contract_3_no_agreement_finding_is_made(tmp_path):
    sheets = valid_sheets(Quarter(2026, 3), LONDON[0])
    edits = [(A, 2, "Start date", dt.datetime(2026, 5, 22)), (A, 2, "Previous LA code", "302"),
             (A, 2, "Date left permanent post", dt.datetime(2026, 1, 22))]
    assert _judge(tmp_path, LONDON, edits, quarter=Quarter(2026, 3), sheets=sheets).agreement == []


@pytest.mark.parametrize(("la", "expected"), [(EAST_OF_ENGLAND, [("R702", "H3")]), (LONDON, [])])
def test_self_employed_is_r702_only_where_the_agreement_ends_it(tmp_path, la, expected):
    result = _judge(tmp_path, la, [(A, 3, "Payment route", "Self-employed")])
    assert result.status == "accepted"
    assert codes(result.agreement) == expected
    assert not [f for f in result.findings if f.code in ("E109", "Q515")]


def test_tenure_over_the_east_of_englands_limit_is_r703(tmp_path):
    result = _judge(tmp_path, EAST_OF_ENGLAND, [(A, 2, "Start date", dt.datetime(2025, 12, 1)),
                                                (A, 4, "Start date", dt.datetime(2026, 1, 1))])
    # A001: 1 Dec 2025 to 31 Dec 2026 = 56.4 weeks; A003: 1 Jan 2026 = 52 weeks exactly, not over
    assert codes(result.agreement) == [("R703", "K2")]
    assert "56.4 weeks" in result.agreement[0].message and "52 weeks" in result.agreement[0].message


def test_an_agreement_changes_neither_the_statutory_findings_nor_the_derived_compliance(tmp_path, monkeypatch):
    edits = [*_left_four_months_before("302"), (A, 3, "Payment route", "Self-employed"),
             (A, 4, "Start date", dt.datetime(2024, 1, 1))]
    with_agreement = _judge(tmp_path, LONDON, edits)
    none = tmp_path / "none.toml"
    none.write_text("")
    monkeypatch.setenv("AGENCY_RETURN_AGREEMENTS", str(none))
    without = _judge(tmp_path, LONDON, edits)
    assert with_agreement.agreement and not without.agreement
    assert [f.to_dict() for f in with_agreement.findings] == [f.to_dict() for f in without.findings]
    assert with_agreement.compliance == without.compliance
