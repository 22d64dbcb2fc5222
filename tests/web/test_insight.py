"""Section 7 on the web: the region page's sections, the API, "How you compare" and the regions
together, each against the built Parquet extracts (the workbooks' figures) and who may see what."""
from __future__ import annotations

import time

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from tests.webservice import LONDON, SOUTH_EAST, USERS, check_page, prepare_home, sign_in
from web import accounts
from web.app import create_app
from web.insight import SECTIONS, pct
from web.settings import Settings

Q = "2025-Q2"


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    home = tmp_path_factory.mktemp("web-insight")
    prepare_home(home)
    settings = Settings(data=home / "data", secret_key="test secret")
    tokens = {name: accounts.new_token(settings.database, USERS[name][0]) for name in USERS}
    return {"home": home, "app": create_app(settings), "settings": settings, "tokens": tokens}


@pytest.fixture(autouse=True)
def _service_home(service, monkeypatch):
    monkeypatch.setenv("AGENCY_RETURN_HOME", str(service["home"]))


def browser(service, name) -> TestClient:
    client = TestClient(service["app"], follow_redirects=False)
    assert sign_in(client, name).status_code == 303
    return client


def api(service, name, path):
    return TestClient(service["app"]).get(path, headers={"Authorization": f"Bearer {service['tokens'][name]}"})


def extract(service, name) -> pd.DataFrame:
    return pd.read_parquet(service["home"] / "outputs" / Q / "parquet" / f"{SECTIONS[name]}.parquet")


@pytest.mark.parametrize("name", list(SECTIONS))
def test_the_api_gives_each_section_as_the_extract_has_it(service, name):
    r = api(service, "riia", f"/api/v1/regions/{LONDON}/{name}?quarter={Q}")
    assert r.status_code == 200
    body = r.json()
    assert body["region_code"] == LONDON and body["section"] == name and body["quarter"] == Q
    want = extract(service, name)
    want = want[want["region_code"].isin([LONDON] if name == "benchmark" else [LONDON, "E92000001"])]
    got = pd.DataFrame(body["rows"])
    assert len(got) == len(want) > 0
    for column in want.columns:
        if pd.api.types.is_numeric_dtype(want[column]) and not pd.api.types.is_bool_dtype(want[column]):
            assert got[column].astype(float).fillna(-1).tolist() == want[column].astype(float).fillna(-1).tolist(), column


def test_the_api_keeps_to_the_users_regions(service):
    assert api(service, "riia_se", f"/api/v1/regions/{LONDON}/workforce?quarter={Q}").status_code == 404
    assert api(service, "dfe", f"/api/v1/regions/{SOUTH_EAST}/workforce?quarter={Q}").status_code == 200
    assert api(service, "riia", f"/api/v1/regions/{LONDON}/salaries?quarter={Q}").status_code == 404
    assert api(service, "riia", f"/api/v1/regions/{LONDON}/tenure?quarter=2025-Q3").status_code == 404
    assert api(service, "la213", f"/api/v1/regions/{LONDON}/tenure?quarter={Q}").status_code in (403, 404)


def test_the_region_page_shows_every_section_with_the_extracts_figures_in_under_a_second(service):
    client = browser(service, "riia")
    client.get(f"/analyst/regions/{LONDON}?quarter={Q}")
    started = time.perf_counter()
    r = client.get(f"/analyst/regions/{LONDON}?quarter={Q}")
    assert time.perf_counter() - started < 1.0 and r.status_code == 200
    doc = check_page(r.text)
    for section in ("benchmark", "workforce", "trends", "agencies", "tenure", "definitions"):
        assert doc.get_element_by_id(section) is not None
    text = doc.text_content()
    workforce = extract(service, "workforce").set_index(["region_code", "la_code"])
    assert pct(workforce.loc[(LONDON, "ALL"), "agency_rate"]) in text
    assert "blank hours count as 37" in text


def test_how_you_compare_shows_the_council_beside_its_region_and_england_only(service):
    client = browser(service, "la213")
    doc = check_page(client.get(f"/compare?quarter={Q}").text)
    text = doc.text_content()
    assert "Westminster" in text and "London" in text and "England" in text
    assert "Wandsworth" not in text and "Bracknell" not in text   # 212, the other London LA held, and another region's
    bench = extract(service, "benchmark").set_index(["la_code", "role_category"])
    rank = bench.loc[("213", "All roles"), "median_rate_rank"]
    assert doc.xpath(f"//td[normalize-space()='{rank}']")
    r = client.get(f"/compare/benchmark.xlsx?quarter={Q}")
    assert r.status_code == 200
    assert r.content == (service["home"] / "outputs" / Q / "benchmark" / "213.xlsx").read_bytes()
    assert browser(service, "riia").get(f"/compare?quarter={Q}").status_code in (403, 404)


def test_a_council_without_an_accepted_return_is_told_so(service):
    page = browser(service, "la205").get(f"/compare?quarter={Q}")
    assert page.status_code == 200 and "no accepted return" in page.text
    assert browser(service, "la205").get(f"/compare/benchmark.xlsx?quarter={Q}").status_code == 404


def test_the_regions_together_for_dfe_and_a_riia_user(service):
    doc = check_page(browser(service, "dfe").get(f"/analyst/compare?quarter={Q}").text)
    rows = doc.xpath("//table[caption[contains(., 'together')]]//tbody/tr")
    names = [r.xpath("./td")[0].text_content() for r in rows]
    assert names[-1] == "Together" and "London" in names and "South East" in names
    workforce = extract(service, "workforce")
    las = workforce[(workforce["la_code"] != "ALL") & workforce["permanent_fte"].notna()]
    fte, permanent = las["agency_fte_quarter_end"].sum(), las["permanent_fte"].sum()
    assert pct(round(100 * fte / (fte + permanent), 1)) in rows[-1].text_content()
    riia = check_page(browser(service, "riia").get(f"/analyst/compare?quarter={Q}").text).text_content()
    assert "London" in riia and "South East" not in riia
