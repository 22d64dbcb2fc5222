"""Section 7's figures computed a second way, in pandas from the facts and DfE's census figures (not
from the marts), on five LAs over four quarters; the workbook sheets, the Parquet extracts and one
LA's benchmark workbook show the same figures to the penny."""
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import numpy as np
import openpyxl
import pandas as pd
import pytest

from pipeline.core import reference
from pipeline.core.contract import Quarter

LONDON, ENGLAND = "E12000007", "E92000001"


@pytest.fixture(scope="module")
def facts(quarters):
    con = duckdb.connect(str(quarters["home"] / "data" / "warehouse.duckdb"), read_only=True)
    try:
        a = con.execute("SELECT f.*, l.region_code AS region FROM fact_assignment AS f "
                        "JOIN la_quarter AS l USING (la_code, quarter)").df()
        monthly = con.execute("SELECT * FROM fact_monthly_cost").df()
        compliance = con.execute("SELECT * FROM fact_compliance").df()
        findings = con.execute("SELECT * FROM fact_finding").df()
    finally:
        con.close()
    a["fte37"] = a["hours_per_week"].fillna(37) / 37
    return {"a": a, "monthly": monthly, "compliance": compliance, "findings": findings}


def _round(x: float, places: int) -> float:
    """Rounded as DuckDB rounds the marts' figures: half away from zero on the decimal shown (43.905 -> 43.91)."""
    return float(Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def _quarter_rows(a: pd.DataFrame, q: Quarter) -> pd.DataFrame:
    rows = a[a["quarter"] == str(q)].copy()
    end = pd.Timestamp(q.end)
    e = pd.to_datetime(rows["end_date"])
    rows["at_end"] = e.isna() | (e >= end)
    last = e.where(e.notna() & (e < end), end)
    rows["tenure"] = (last - pd.to_datetime(rows["start_date"])).dt.days / 7
    rows["days"] = (last - pd.to_datetime(rows["start_date"]).clip(lower=pd.Timestamp(q.start))).dt.days + 1
    return rows


def _census(la: str, q: Quarter) -> dict:
    years = reference.workforce()[la]
    year = max(y for y in years if dt.date(y, 9, 30) <= q.end and years[y]["inpost_fte"] is not None)
    return {"year": year, **years[year]}


def _parquet(quarters, name) -> pd.DataFrame:
    return pd.read_parquet(quarters["out"] / "parquet" / f"{name}.parquet")


def _sheet(path, sheet) -> pd.DataFrame:
    """A workbook table as the reader sees it: headers on row 2, under the note."""
    ws = openpyxl.load_workbook(path, read_only=True, data_only=True)[sheet]
    rows = list(ws.iter_rows(values_only=True))
    return pd.DataFrame(rows[2:], columns=rows[1]).dropna(how="all")


def test_workforce_at_quarter_end_and_the_agency_rate(quarters, facts):
    q = quarters["quarters"][-1]
    rows = _quarter_rows(facts["a"], q)
    got = _parquet(quarters, "workforce").set_index(["region_code", "la_code"])
    for la, own in rows.groupby("la_code"):
        end = own[own["at_end"]]
        census = _census(la, q)
        fte = end["fte37"].sum()
        row = got.loc[(own["region"].iloc[0], la)]
        assert row["agency_headcount_quarter_end"] == end["swe_hash"].nunique()
        assert row["agency_fte_quarter_end"] == _round(fte, 2)
        assert row["agency_fte_in_quarter"] == _round(own["fte37"].sum(), 2)
        assert row["permanent_fte"] == census["inpost_fte"] and row["census_year"] == census["year"]
        assert row["agency_rate"] == _round(100 * fte / (fte + census["inpost_fte"]), 1)
        assert row["vacancy_rate"] == census["vacancy_rate_fte"]
    london = rows[rows["region"] == LONDON]
    fte = london.loc[london["at_end"], "fte37"].sum()
    permanent = sum(_census(la, q)["inpost_fte"] for la in london["la_code"].unique())
    assert got.loc[(LONDON, "ALL"), "agency_rate"] == _round(100 * fte / (fte + permanent), 1)
    assert got.loc[(ENGLAND, "ALL"), "agency_fte_quarter_end"] == _round(rows.loc[rows["at_end"], "fte37"].sum(), 2)
    sheet = _sheet(quarters["out"] / "regional" / "London.xlsx", "Workforce")
    shown = dict(zip(sheet["LA code"].astype(str) + sheet["Local authority"], sheet["Agency rate (%)"]))
    assert shown["ALLLondon"] == got.loc[(LONDON, "ALL"), "agency_rate"]
    assert shown["ALLEngland"] == got.loc[(ENGLAND, "ALL"), "agency_rate"]


def test_benchmark_sets_each_la_beside_its_region_and_england_by_role(quarters, facts):
    q = quarters["quarters"][-1]
    rows = _quarter_rows(facts["a"], q)
    got = _parquet(quarters, "benchmark").set_index(["la_code", "role_category"])
    days = (q.end - q.start).days + 1
    london = rows[rows["region"] == LONDON]
    for (la, role), own in rows.groupby(["la_code", "role_category"]):
        row = got.loc[(la, role)]
        workers = own["swe_hash"].nunique()
        assert row["workers"] == workers and row["suppressed"] == (workers <= 2)
        if workers > 2:
            assert row["median_rate"] == _round(own["cap_basis_rate"].median(), 2)
            capped = own[own["cap"].notna()]
            assert row["share_above_cap_pct"] == _round(100 * capped["above_cap"].mean(), 1)
            fte_quarters = (own["fte37"] * own["days"] / days).sum()
            assert row["cost_per_agency_fte"] == pytest.approx(_round(own["cost_in_quarter"].sum() / fte_quarters, 2))
        else:
            assert pd.isna(row["median_rate"]) and pd.isna(row["cost_per_agency_fte"])
        region = rows[(rows["region"] == own["region"].iloc[0]) & (rows["role_category"] == role)]
        assert row["region_median_rate"] == _round(region["cap_basis_rate"].median(), 2)
        assert row["england_median_rate"] == _round(rows.loc[rows["role_category"] == role, "cap_basis_rate"].median(), 2)
        assert row["agency_fte_quarter_end"] == _round(own.loc[own["at_end"], "fte37"].sum(), 2)
    medians = london.groupby("la_code")["cap_basis_rate"].median().sort_values(ascending=False)
    for place, la in enumerate(medians.index, start=1):
        assert got.loc[(la, "All roles"), "median_rate_rank"] == place
        assert got.loc[(la, "All roles"), "las_ranked"] == len(medians)
    assert got["suppressed"].any(), "the generated LAs have roles with one or two workers"


def test_suppressed_cells_show_c_in_the_workbooks(quarters):
    got = _parquet(quarters, "benchmark")
    hidden = got[got["suppressed"] & (got["region_code"] == LONDON)].iloc[0]
    sheet = _sheet(quarters["out"] / "regional" / "London.xlsx", "Benchmark")
    row = sheet[(sheet["LA code"].astype(str) == hidden["la_code"]) & (sheet["Role category"] == hidden["role_category"])]
    assert row["Median cap-basis rate (£ per hour)"].iloc[0] == "c"
    assert row["Rank in region: median rate"].iloc[0] == hidden["median_rate_rank"]


def test_trends_every_quarter_and_the_financial_year(quarters, facts):
    got = _parquet(quarters, "trends").set_index(["region_code", "la_code", "period"])
    monthly, a = facts["monthly"], facts["a"]
    regions = a.groupby("la_code")["region"].first()
    monthly = monthly.assign(region=monthly["la_code"].map(regions))
    for q in quarters["quarters"]:
        rows = _quarter_rows(a, q)
        for region, own in rows.groupby("region"):
            row = got.loc[(region, "ALL", str(q))]
            cost = monthly.loc[(monthly["quarter"] == str(q)) & (monthly["region"] == region), "total_monthly_cost"].sum()
            assert row["cost"] == pytest.approx(_round(cost, 2), abs=0.005)
            assert row["breaches"] == own["above_cap"].sum()
            assert row["share_above_cap_pct"] == _round(100 * own.loc[own["cap"].notna(), "above_cap"].mean(), 1)
            team = own["engagement_model"].isin(["Project team", "Packaged model"])
            assert row["project_team_cost_share_pct"] == _round(
                100 * own.loc[team, "cost_in_quarter"].sum() / own["cost_in_quarter"].sum(), 1)
            assert row["agency_fte_quarter_end"] == _round(own.loc[own["at_end"], "fte37"].sum(), 2)
            c = facts["compliance"]
            c = c[(c["quarter"] == str(q)) & c["la_code"].map(regions).eq(region) & (c["derived_status"] != "No assignments")]
            assert row["compliance_pct"] == _round(100 * (c["derived_status"] == "Fully compliant").mean(), 1)
    year = got.loc[(ENGLAND, "ALL", "FY 2025-26")]
    assert year["quarters"] == 4 and year["period_type"] == "Financial year"
    assert year["cost"] == pytest.approx(_round(monthly["total_monthly_cost"].sum(), 2), abs=0.005)
    assert year["breaches"] == a["above_cap"].sum() and pd.isna(year["agency_rate"])
    sheet = _sheet(quarters["out"] / "regional" / "London.xlsx", "Trends")
    fy = sheet[(sheet["LA code"] == "ALL") & (sheet["Local authority"] == "London") & (sheet["Period"] == "Financial year")]
    assert fy["Cost (£)"].iloc[0] == got.loc[(LONDON, "ALL", "FY 2025-26"), "cost"]


def test_supply_chain_by_agency(quarters, facts):
    q = quarters["quarters"][-1]
    rows = _quarter_rows(facts["a"], q)
    got = _parquet(quarters, "supply_chain")
    got = got[got["supplier_type"] == "Agency"].set_index(["region_code", "supplier"])
    f = facts["findings"]
    f = f[(f["sheet"] == "Assignments") & f["code"].isin(["Q503", "Q504", "Q505", "Q506"])]
    found = f.groupby(["submission_id", "excel_row"]).size()
    for (region, agency), own in rows.groupby(["region", "agency"]):
        row = got.loc[(region, agency)]
        assert row["assignments"] == len(own) and row["fte"] == _round(own["fte37"].sum(), 2)
        assert row["assignments_above_cap"] == own["above_cap"].sum()
        keys = pd.MultiIndex.from_frame(own[["submission_id", "excel_row"]])
        assert row["findings_q503_q506"] == found.reindex(keys).fillna(0).sum()
        assert row["paye_pct"] == _round(100 * (own["payment_route"] == "PAYE").mean(), 1)
        if own["swe_hash"].nunique() > 2:
            assert row["spend"] == pytest.approx(_round(own["cost_in_quarter"].sum(), 2), abs=0.005)
            assert row["median_pay_rate"] == _round(own["hourly_pay_rate"].median(), 2)
            mark_up = 100 * (own["charge_rate_per_hour"] - own["cap_basis_rate"]) / own["cap_basis_rate"]
            assert row["median_mark_up_pct"] == _round(mark_up.median(), 1)
        else:
            assert pd.isna(row["spend"]) and row["suppressed"]


def test_tenure_bands_at_quarter_end(quarters, facts):
    q = quarters["quarters"][-1]
    rows = _quarter_rows(facts["a"], q)
    got = _parquet(quarters, "tenure").set_index(["region_code", "la_code"])
    for (region, la), own in [*rows.groupby(["region", "la_code"]), ((ENGLAND, "ALL"), rows)]:
        row = got.loc[(region, la)]
        end = own.loc[own["at_end"], "tenure"]
        bands = np.histogram(end, bins=[0, 12, 26, 52, 104, np.inf])[0]
        assert [row[c] for c in ("tenure_under_12_weeks", "tenure_12_to_26_weeks", "tenure_26_to_52_weeks",
                                 "tenure_1_to_2_years", "tenure_over_2_years")] == bands.tolist()
        assert row["median_tenure_weeks"] == _round(end.median(), 1)
        s, e = pd.to_datetime(own["start_date"]), pd.to_datetime(own["end_date"])
        assert row["starts_in_quarter"] == (s >= pd.Timestamp(q.start)).sum()
        assert row["ends_in_quarter"] == (e <= pd.Timestamp(q.end)).sum()


def test_an_las_benchmark_names_no_other_la(quarters):
    path = quarters["out"] / "benchmark" / "202.xlsx"
    wb = openpyxl.load_workbook(path, read_only=True)
    assert wb.sheetnames == ["Benchmark", "Workforce", "Trends", "Tenure", "Notes", "Cap table"]
    others = {"203", "316", "370", "371", "Greenwich", "Newham", "Barnsley", "Doncaster"}
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            assert not others & {str(v) for v in row if v is not None}, (ws.title, row)
    bench = _sheet(path, "Benchmark")
    got = _parquet(quarters, "benchmark").set_index(["la_code", "role_category"])
    for _, row in bench.iterrows():
        want = got.loc[("202", row["Role category"])]
        assert row["Region: median cap-basis rate (£ per hour)"] == want["region_median_rate"]
        assert row["Rank in region: median rate"] == want["median_rate_rank"]
    notes = [r[0] for r in openpyxl.load_workbook(path, read_only=True)["Notes"].iter_rows(values_only=True)]
    assert {"At quarter end", "In the quarter", "Agency rate", "Tenure"} <= set(notes)
