"""Cap scenarios (pipeline/outputs/scenarios.py): the four-region partnership's shared caps over the
bundled sample, each figure checked against data-contract §7's formula computed a second way (pandas
over the facts), for every role, in total, by region and by LA; and a scenario changes nothing."""
from __future__ import annotations

import hashlib

import duckdb
import pandas as pd
import pytest

from pipeline.core.contract import ROLE_CATEGORIES, Quarter
from pipeline.outputs.scenarios import cap_scenario, parse_cap, scenario_table
from pipeline.warehouse import submit
from tests.webservice import SAMPLES

Q = Quarter(2025, 2)
FOUR = ["E12000006", "E12000004", "E12000007", "E12000008"]   # East of England, East Midlands, London, South East
CAPS = {"Social worker": 38.0, "Senior social worker": 40.0, "Advanced practitioner": 45.0, "Team manager": 50.0,
        "Independent reviewing officer or child protection chair": 47.5}


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("scenarios")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AGENCY_RETURN_HOME", str(home))
        submit.submit_files(sorted(SAMPLES.glob(f"*_{Q}.xlsx")), Q)
    return home


def _facts(home) -> pd.DataFrame:
    con = duckdb.connect(str(home / "data" / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute("SELECT f.*, l.la_name FROM fact_assignment AS f JOIN la_quarter AS l USING (la_code, quarter) "
                           "WHERE f.quarter = ?", [str(Q)]).df()
    finally:
        con.close()


def _expected(facts: pd.DataFrame, role: str, cap: float) -> pd.DataFrame:
    """The contract's formula, by pandas: one row per assignment with its excess over `cap` and its own."""
    d = facts[(facts["role_category"] == role) & facts["region_code"].isin(FOUR)].copy()
    start = d["start_date"].clip(lower=pd.Timestamp(Q.start))
    end = d["end_date"].fillna(pd.Timestamp(Q.end)).clip(upper=pd.Timestamp(Q.end))
    d["days"] = (end - start).dt.days + 1
    d["hours"] = d["hours_per_week"].fillna(37.0)
    d["rate"] = d["cap_basis_rate"].round(2)
    d["above"] = d["rate"] > cap
    d["excess"] = ((d["rate"] - cap) * d["hours"] * d["days"] / 7).where(d["above"], 0.0)
    d["own_above"] = d["rate"] > d["cap"]
    d["own_excess"] = ((d["rate"] - d["cap"]) * d["hours"] * d["days"] / 7).where(d["own_above"], 0.0)
    return d


def _check(figures: dict, d: pd.DataFrame) -> None:
    n = len(d)
    assert figures["assignments"] == n
    assert figures["above"] == int(d["above"].sum())
    assert figures["share_above"] == (round(d["above"].sum() / n, 4) if n else None)
    assert figures["las_above"] == d.loc[d["above"], "la_code"].nunique()
    assert figures["excess_gbp"] == pytest.approx(d["excess"].sum(), abs=0.01)
    own = figures["under_own_caps"]
    assert own["above"] == int(d["own_above"].sum())
    assert own["las_above"] == d.loc[d["own_above"], "la_code"].nunique()
    assert own["excess_gbp"] == pytest.approx(d["own_excess"].sum(), abs=0.01)


def test_every_figure_is_the_contracts_formula_for_every_role_region_and_la(home):
    scenario = cap_scenario(Q, ["East of England", "East Midlands", "London", "South East"], CAPS, home=home)
    facts = _facts(home)
    assert scenario["quarter"] == str(Q) and scenario["regions"] == FOUR
    assert [r["role_category"] for r in scenario["roles"]] == list(ROLE_CATEGORIES)
    for role in scenario["roles"]:
        d = _expected(facts, role["role_category"], role["cap"])
        assert len(d) > 0
        _check(role, d)
        assert [r["region_code"] for r in role["by_region"]] == FOUR
        for region in role["by_region"]:
            _check(region, d[d["region_code"] == region["region_code"]])
        assert sorted(r["la_code"] for r in role["by_la"]) == sorted(d["la_code"].unique())
        for la in role["by_la"]:
            _check(la, d[d["la_code"] == la["la_code"]])


def test_the_shared_senior_social_worker_cap_of_40(home):
    """The issue's example: a shared £40 senior social worker cap across the four regions."""
    role = cap_scenario(Q, FOUR, {"Senior social worker": 40}, home=home)["roles"][0]
    london = next(r for r in role["by_region"] if r["region_name"] == "London")
    east_midlands = next(r for r in role["by_region"] if r["region_name"] == "East Midlands")
    # the bundled sample (8 LAs; East Midlands has none, Norfolk's return is rejected)
    assert (role["assignments"], role["above"], london["above"]) == (39, 16, 10)
    assert role["excess_gbp"] == pytest.approx(14650.43, abs=0.01)
    assert east_midlands["assignments"] == 0 and east_midlands["share_above"] is None
    assert east_midlands["own_cap"] > 0


def test_a_scenario_changes_no_finding_and_no_output(home):
    def digest():
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (home / "data").glob("*.duckdb")}
    before = digest()
    table = scenario_table(cap_scenario(Q, FOUR, CAPS, home=home))
    assert digest() == before
    assert set(table["level"]) == {"Total", "Region", "LA"} and len(table[table["level"] == "Total"]) == 5


@pytest.mark.parametrize(("text", "expected"), [("Senior social worker=£40", ("Senior social worker", 40.0)),
                                                ("senior sw:40.50", ("Senior social worker", 40.5)),
                                                ("IRO=£47.5", ("Independent reviewing officer or child protection chair", 47.5))])
def test_a_candidate_cap_is_a_role_and_an_amount(text, expected):
    assert parse_cap(text) == expected


@pytest.mark.parametrize("text", ["Senior social worker", "Chef=£40", "Team manager=£0", "Team manager=forty"])
def test_a_bad_candidate_cap_says_what_to_write(text):
    with pytest.raises(ValueError, match="ROLE=£AMOUNT|amount in £ per hour"):
        parse_cap(text)


def test_the_scenario_downloads_as_a_workbook_and_a_csv_of_the_same_table(home, tmp_path):
    from pipeline.outputs.scenarios import write_scenario
    scenario = cap_scenario(Q, FOUR, CAPS, home=home)
    xlsx, csv = write_scenario(scenario, tmp_path)
    table = pd.read_csv(csv)
    assert len(table) == len(scenario_table(scenario))
    total = table[(table["level"] == "Total") & (table["role_category"] == "Senior social worker")].iloc[0]
    assert (total["candidate_cap"], total["assignments"], total["above"]) == (40.0, 39, 16)
    sheet = pd.read_excel(xlsx, sheet_name="Scenario", header=1)
    assert "£ above the cap in the quarter" in sheet.columns and len(sheet) == len(table)
    assert sheet["£ above the cap in the quarter"].sum() == pytest.approx(table["excess_gbp"].sum(), abs=0.01)
