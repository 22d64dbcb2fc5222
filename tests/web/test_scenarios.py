"""The cap scenarios page and its downloads (web/views/scenarios.py) and the API route: the figures
shown are the plain function's (pipeline/outputs/scenarios.py, itself checked against the contract's
formula), a riia user runs it over the regions they may see only, and errors are GOV.UK's."""
from __future__ import annotations

import io

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from pipeline.outputs.scenarios import cap_scenario, scenario_table
from tests.webservice import LONDON, QUARTER, SOUTH_EAST, USERS, check_page, prepare_home, sign_in
from web import accounts
from web.app import create_app
from web.settings import Settings

FOUR = ["E12000006", "E12000004", LONDON, SOUTH_EAST]
ASK = ("/analyst/scenarios/caps?run=yes&quarter=2025-Q2&region=E12000006&region=E12000004&region=E12000007"
       "&region=E12000008&cap-senior-social-worker=40&cap-team-manager=%C2%A350")


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    home = tmp_path_factory.mktemp("web-scenarios")
    prepare_home(home)
    settings = Settings(data=home / "data", secret_key="test secret")
    tokens = {name: accounts.new_token(settings.database, USERS[name][0]) for name in ("riia", "dfe", "la205")}
    accounts.add_user(settings.database, "api@four-regions.example", "riia", region_code=",".join(FOUR))
    tokens["partnership"] = accounts.new_token(settings.database, "api@four-regions.example")
    return {"home": home, "app": create_app(settings), "tokens": tokens}


@pytest.fixture(autouse=True)
def _service_home(service, monkeypatch):
    monkeypatch.setenv("AGENCY_RETURN_HOME", str(service["home"]))


def signed_in(service, name) -> TestClient:
    client = TestClient(service["app"], follow_redirects=False)
    assert sign_in(client, name).status_code == 303
    return client


def test_the_form_is_a_good_page_offering_the_users_regions(service):
    doc = check_page(signed_in(service, "riia").get("/analyst/scenarios/caps").text)
    boxes = doc.xpath("//input[@name='region']")
    assert [(b.get("value"), b.get("checked") is not None) for b in boxes] == [(LONDON, True)]
    assert len(doc.xpath("//input[starts-with(@name, 'cap-')]")) == 5
    doc = check_page(signed_in(service, "dfe").get("/analyst/scenarios/caps").text)
    assert len(doc.xpath("//input[@name='region']")) == 9


def test_the_results_are_the_scenarios_figures_with_a_chart_and_tables(service):
    doc = check_page(signed_in(service, "dfe").get(ASK).text)
    expected = cap_scenario(QUARTER, FOUR, {"Senior social worker": 40, "Team manager": 50})
    senior = expected["roles"][0]
    heading = doc.xpath("//h2[@id='cap-senior-social-worker-results']")[0]
    assert heading.text_content().strip() == "Senior social worker at £40.00 an hour"
    summary = heading.getnext().text_content()
    assert f"{senior['above']} of {senior['assignments']} assignments" in summary
    assert f"£{senior['excess_gbp']:,.0f} above it" in summary
    assert len(doc.xpath("//svg[@role='img']")) == 2
    table = doc.xpath("//table[caption='Senior social worker: by region']")[0]
    rows = {r.xpath("th")[0].text_content().split(" (")[0]: [td.text_content() for td in r.xpath("td")]
            for r in table.xpath("tbody/tr")}
    for region in senior["by_region"]:
        assert rows[region["region_name"]][:2] == [str(region["assignments"]), str(region["above"])]
        assert rows[region["region_name"]][4] == f"£{region['excess_gbp']:,.0f}"
    las = doc.xpath("//table[caption='Senior social worker: by LA']/tbody/tr")
    assert len(las) == len(senior["by_la"])


def test_a_riia_user_may_not_run_it_over_another_region(service):
    client = signed_in(service, "riia")
    assert client.get(f"/analyst/scenarios/caps?run=yes&region={LONDON}&cap-team-manager=50").status_code == 200
    assert client.get(ASK).status_code == 404
    assert client.get(ASK.replace("/caps?", "/caps/download?") + "&format=csv").status_code == 404
    assert signed_in(service, "la205").get("/analyst/scenarios/caps").status_code == 404


def test_a_form_with_no_region_and_a_bad_amount_says_what_to_do(service):
    r = signed_in(service, "dfe").get("/analyst/scenarios/caps?run=yes&quarter=2025-Q2&cap-team-manager=fifty")
    assert r.status_code == 400
    doc = check_page(r.text)
    assert doc.findtext(".//title").startswith("Error: ")
    links = {a.get("href"): a.text_content().strip() for a in doc.xpath("//div[contains(@class,'govuk-error-summary')]//a")}
    assert links == {"#region": "Select at least one region",
                     "#cap-team-manager": "Enter the candidate cap for team manager as an amount in pounds per hour, like 40"}


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_scenario_downloads_as_xlsx_and_csv(service, fmt):
    r = signed_in(service, "dfe").get(ASK.replace("/caps?", "/caps/download?") + f"&format={fmt}")
    assert r.status_code == 200
    assert r.headers["content-disposition"] == f'attachment; filename="cap_scenario_{QUARTER}.{fmt}"'
    expected = scenario_table(cap_scenario(QUARTER, FOUR, {"Senior social worker": 40, "Team manager": 50}))
    got = (pd.read_csv(io.BytesIO(r.content)) if fmt == "csv"
           else pd.read_excel(io.BytesIO(r.content), sheet_name="Scenario", header=1))
    assert len(got) == len(expected)


def api(service, name, query):
    client = TestClient(service["app"], follow_redirects=False)
    return client.get(f"/api/v1/scenarios/caps?{query}", headers={"Authorization": f"Bearer {service['tokens'][name]}"})


def test_the_api_answers_the_contracts_json_for_the_partnership(service):
    r = api(service, "partnership", f"quarter={QUARTER}&regions=East of England,East Midlands,London,South East"
                                    "&cap=Senior social worker:40&cap=Team manager:50")
    assert r.status_code == 200
    body = r.json()
    assert body == cap_scenario(QUARTER, FOUR, {"Senior social worker": 40, "Team manager": 50})
    assert set(body) >= {"quarter", "regions", "roles"}
    assert set(body["roles"][0]) >= {"role_category", "cap", "assignments", "above", "share_above", "las_above",
                                     "excess_gbp", "by_region", "by_la"}


def test_the_api_refuses_other_regions_and_bad_caps(service):
    assert api(service, "riia", f"quarter={QUARTER}&regions={LONDON},{SOUTH_EAST}&cap=Team manager:50").status_code == 404
    assert api(service, "partnership", f"quarter={QUARTER}&regions=North East&cap=Team manager:50").status_code == 404
    assert api(service, "la205", f"quarter={QUARTER}&regions={LONDON}&cap=Team manager:50").status_code == 404
    bad = api(service, "dfe", f"quarter={QUARTER}&regions={LONDON}&cap=Chef:50")
    assert bad.status_code == 422 and "ROLE=£AMOUNT" in bad.json()["error"]["message"]
