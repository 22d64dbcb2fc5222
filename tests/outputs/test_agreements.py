"""A regional agreement at build time: the cross-LA R701 (apart from X602) in the region's outputs, a
self-employed row counted in every output, and the DfE return and derived compliance the same with or
without any agreement on file. Three LAs of 2026-Q4 (contract 3) submitted and built, twice."""
from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from pipeline.core.contract import Quarter
from pipeline.outputs.build import build_quarter
from pipeline.warehouse import submit
from tests.workbooks import make_workbook, set_cell, valid_sheets

Q = Quarter(2026, 4)
NEWHAM, BARNET, NORFOLK = "316", "302", "926"


def _returns(folder):
    """Barnet's Leavers: SW200009 left on 1 Jun 2026; Newham engages SW200009 on 15 Oct 2026 (4.5 months:
    after the statutory 3, within London's 6). Norfolk (East of England) pays one worker self-employed."""
    books = {}
    for code, name in ((NEWHAM, "Newham"), (BARNET, "Barnet"), (NORFOLK, "Norfolk")):
        sheets = valid_sheets(Q, code)
        set_cell(sheets, "Return", 0, "LA name", name)
        for row in (2, 3, 4):   # each LA's own workers, so no X601 between them
            set_cell(sheets, "Assignments", row, "SWE registration number", f"SW{code}{row:03d}")
        books[code] = sheets
    set_cell(books[NEWHAM], "Assignments", 2, "SWE registration number", "SW200009")
    set_cell(books[NEWHAM], "Assignments", 2, "Start date", dt.datetime(2026, 10, 15))
    books[BARNET]["Leavers"] = [["SWE registration number", "Date left", "Reason"],
                                ["SW200009", dt.datetime(2026, 6, 1), "Resigned"]]
    for header, value in (("Payment route", "Self-employed"), ("Holiday pay per hour", None),
                          ("Employer NI per hour", None), ("Apprenticeship levy per hour", None)):
        set_cell(books[NORFOLK], "Assignments", 3, header, value)
    return [make_workbook(folder / f"{code}_{Q}.xlsx", sheets) for code, sheets in books.items()]


def _build(root, monkeypatch, agreements=None):
    if agreements is not None:
        monkeypatch.setenv("AGENCY_RETURN_AGREEMENTS", str(agreements))
    home = root / "home"
    outcomes = [submit.submit_file(f, Q, home=home) for f in _returns(root)]
    build_quarter(Q, home=home)
    return home, outcomes


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        with_agreement = _build(tmp_path_factory.mktemp("with"), mp)
        none = tmp_path_factory.mktemp("none") / "none.toml"
        none.write_text("")
        without = _build(tmp_path_factory.mktemp("without"), mp, none)
    return with_agreement, without


def _out(home):
    return home / "outputs" / str(Q)


def test_cross_la_r701_reaches_londons_outputs_apart_from_x602(both):
    (home, outcomes), _ = both
    assert all(o.result.status == "accepted" for o in outcomes)
    found = pd.read_parquet(_out(home) / "parquet" / "agreement_findings.parquet")
    across = found[found["found_by"] == "Across LAs"]
    assert across[["region_code", "la_code", "code"]].values.tolist() == [["E12000007", NEWHAM, "R701"]]
    assert "Barnet (302)" in across["message"].iloc[0] and "The London Pledge" in across["message"].iloc[0]
    cross = pd.read_parquet(_out(home) / "parquet" / "cross_la.parquet")
    assert not set(cross["code"]) & {"R701", "X602"}
    sheet = pd.read_excel(_out(home) / "regional" / "London.xlsx", sheet_name="Agreement findings", header=1)
    assert sheet["Finding code"].tolist() == ["R701"]
    assert not any(f.code.startswith("R7") for o in outcomes for f in o.result.findings)


def test_the_east_of_englands_self_employed_query_is_in_its_region_only(both):
    (home, _), _ = both
    found = pd.read_parquet(_out(home) / "parquet" / "agreement_findings.parquet")
    norfolk = found[found["la_code"] == NORFOLK]
    assert norfolk[["region_code", "code", "cell", "found_by"]].values.tolist() == [["E12000006", "R702", "H3", "Return"]]


def test_a_self_employed_row_is_capped_as_a_limited_company_and_counted_in_every_output(both):
    (home, outcomes), _ = both
    norfolk = next(o.result for o in outcomes if o.result.la_code == NORFOLK)
    assert not [f for f in norfolk.findings if f.code in ("E109", "Q515")]
    con = duckdb.connect(str(home / "data" / "warehouse.duckdb"), read_only=True)
    try:
        row = con.execute("SELECT payment_route, hourly_pay_rate, cap_basis_rate, cap FROM fact_assignment "
                          "WHERE la_code = ? AND excel_row = 3", [NORFOLK]).fetchone()
    finally:
        con.close()
    assert row[0] == "Self-employed" and row[2] == row[1] == 33.0 and row[3] > 0   # all-in: pay alone
    dfe = pd.read_csv(_out(home) / "dfe" / f"{NORFOLK}_{Q}.csv")
    assert dfe["payment_route"].tolist().count("Self-employed") == 1 and len(dfe) == 3
    summary = pd.read_parquet(_out(home) / "parquet" / "regional_summary.parquet")
    mine = summary[(summary["la_code"] == NORFOLK) & (summary["role_category"] == "All roles")]
    assert mine["assignments"].tolist() == [3]
    national = pd.read_parquet(_out(home) / "parquet" / "national_by_region.parquet")
    east = national[national["region_code"] == "E12000006"]
    assert east.select_dtypes("number").sum().sum() > 0


def test_the_dfe_return_and_derived_compliance_are_the_same_without_any_agreement(both):
    (home, outcomes), (bare, bare_outcomes) = both
    assert any(o.result.agreement for o in outcomes) and not any(o.result.agreement for o in bare_outcomes)
    for path in sorted((_out(home) / "dfe").glob("*.csv")):
        assert path.read_bytes() == (_out(bare) / "dfe" / path.name).read_bytes(), path.name
    for mine, theirs in zip(outcomes, bare_outcomes):
        assert mine.result.compliance == theirs.result.compliance
        assert [f.to_dict() for f in mine.result.findings] == [f.to_dict() for f in theirs.result.findings]
    assert pd.read_parquet(_out(bare) / "parquet" / "agreement_findings.parquet").empty
    for name in ("cross_la", "compliance_grid", "regional_summary", "cap_breaches"):
        assert pd.read_parquet(_out(home) / "parquet" / f"{name}.parquet").equals(
            pd.read_parquet(_out(bare) / "parquet" / f"{name}.parquet")), name
