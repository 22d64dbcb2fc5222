"""API v1 (data-contract §6): every route for every role, E009, the answers' shape, JSON errors."""
from __future__ import annotations

import io
import json
import re

import openpyxl
import pytest
from fastapi.testclient import TestClient

from pipeline.warehouse import queries
from tests.webservice import LONDON, QUARTER, SAMPLES, SOUTH_EAST, USERS, prepare_home
from web import accounts
from web.app import create_app
from web.settings import Settings


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """A service home with six LAs' returns recorded and 2025-Q2 built, a user per role and a token each."""
    home = tmp_path_factory.mktemp("web-api")
    prepare_home(home)
    settings = Settings(data=home / "data", secret_key="test secret")
    app = create_app(settings)
    tokens = {name: accounts.new_token(settings.database, USERS[name][0]) for name in USERS}
    return {"home": home, "app": app, "settings": settings, "tokens": tokens, "uploads": {}}


@pytest.fixture(autouse=True)
def _service_home(service, monkeypatch):
    monkeypatch.setenv("AGENCY_RETURN_HOME", str(service["home"]))


@pytest.fixture(scope="module")
def client(service):
    return TestClient(service["app"], follow_redirects=False)


def auth(service, name):
    return {"Authorization": f"Bearer {service['tokens'][name]}"} if name else {}


def upload(client, service, name, path, **data):
    with open(path, "rb") as fh:
        return client.post("/api/v1/submissions", headers=auth(service, name), data=data,
                           files={"workbook": (path.name, fh, "application/octet-stream")})


@pytest.fixture(scope="module")
def uploaded(client, service):
    """205's clean return by its LA user (accepted) and Norfolk's return with errors by its LA user."""
    with pytest.MonkeyPatch.context() as mp:   # a module fixture runs before the per-test home is set
        mp.setenv("AGENCY_RETURN_HOME", str(service["home"]))
        ok = upload(client, service, "la205", SAMPLES / f"205_{QUARTER}.xlsx")
        bad = upload(client, service, "la926", SAMPLES / f"926_{QUARTER}.xlsx", quarter=str(QUARTER))
    return {"ok": ok, "bad": bad}


def test_health_check_answers_without_signing_in(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_an_accepted_upload_answers_the_validate_json_object_with_id_and_recorded(uploaded):
    r = uploaded["ok"]
    assert r.status_code == 200
    body = r.json()
    for key in ("file", "la_code", "quarter", "status", "errors", "queries", "findings"):
        assert key in body
    assert body["status"] == "accepted" and body["recorded"] is True and isinstance(body["id"], int)
    assert body["la_code"] == "205" and body["quarter"] == str(QUARTER) and body["file"] == f"205_{QUARTER}.xlsx"
    f = body["findings"][0]
    assert set(f) >= {"code", "severity", "sheet", "row", "column", "cell", "value", "message"}


def test_a_rejected_upload_is_422_and_not_loaded(uploaded, service):
    body = uploaded["bad"].json()
    assert uploaded["bad"].status_code == 422
    assert body["status"] == "rejected" and body["errors"] > 0 and body["recorded"] is True
    rows = queries.status(QUARTER, home=service["home"])
    assert rows.loc[rows["la_code"] == "926", "status"].item() == "rejected"


def test_an_la_user_uploading_another_las_return_gets_E009_and_nothing_is_stored(client, service):
    before = queries.status(QUARTER, home=service["home"])
    raw_before = sorted((service["home"] / "data" / "raw").glob("*.xlsx"))
    r = upload(client, service, "la205", SAMPLES / f"872_{QUARTER}.xlsx")
    assert r.status_code == 422
    body = r.json()
    assert body["status"] == "rejected" and body["recorded"] is False
    assert body["findings"][0]["code"] == "E009" and "205" in body["findings"][0]["message"]
    assert sorted((service["home"] / "data" / "raw").glob("*.xlsx")) == raw_before
    after = queries.status(QUARTER, home=service["home"])
    assert after[["la_code", "status", "submissions"]].equals(before[["la_code", "status", "submissions"]])
    # and there is nothing of it to download
    assert client.get(f"/api/v1/submissions/{body['id']}/feedback.xlsx", headers=auth(service, "la205")).status_code == 404


def test_an_unreadable_upload_is_422_unreadable(client, service, tmp_path):
    junk = tmp_path / "notes.xlsx"
    junk.write_text("not a workbook")
    r = upload(client, service, "la205", junk)
    assert r.status_code == 422 and r.json()["status"] == "unreadable" and r.json()["findings"][0]["code"] == "E001"


def test_an_upload_with_no_workbook_or_no_multipart_body_is_a_json_422(client, service):
    r = client.post("/api/v1/submissions", headers=auth(service, "la205"), data={"quarter": "2025-Q2"},
                    files={"other": ("x.txt", b"x")})
    assert r.status_code == 422 and r.json()["error"]["message"] == "Select a workbook to upload"
    r = client.post("/api/v1/submissions", headers={**auth(service, "la205"), "Content-Type": "application/json"},
                    content=b"{}")
    assert r.status_code == 422 and "multipart" in r.json()["error"]["message"]


def test_an_upload_over_the_size_limit_is_stopped_with_E006(tmp_path, service):
    settings = Settings(data=service["settings"].data, secret_key="test secret", max_upload_mb=0.01)
    small = TestClient(create_app(settings))
    r = upload(small, service, "la205", SAMPLES / f"205_{QUARTER}.xlsx")
    assert r.status_code == 422
    assert r.json()["findings"][0]["code"] == "E006" and r.json()["recorded"] is False
    assert not list((settings.work / "incoming").iterdir())


ROLES = ["la205", "la213", "riia", "dfe", "admin"]


@pytest.mark.parametrize("name, expected", [(None, 401), ("riia", 404), ("dfe", 404), ("admin", 404)])
def test_only_la_users_may_upload(client, service, name, expected):
    r = upload(client, service, name, SAMPLES / f"205_{QUARTER}.xlsx")
    assert r.status_code == expected and "error" in r.json()


@pytest.mark.parametrize("name, expected", [(None, 401), ("la205", 200), ("la213", 404), ("riia", 404),
                                            ("dfe", 200), ("admin", 404)])
@pytest.mark.parametrize("suffix", ["", "/feedback.xlsx"])
def test_a_submission_and_its_feedback_are_seen_by_its_la_and_dfe_only(client, service, uploaded, name, expected,
                                                                       suffix):
    sid = uploaded["ok"].json()["id"]
    r = client.get(f"/api/v1/submissions/{sid}{suffix}", headers=auth(service, name))
    assert r.status_code == expected
    if expected == 200 and suffix:
        wb = openpyxl.load_workbook(io.BytesIO(r.content))
        assert wb.sheetnames[0] == "Findings"
    elif expected == 200:
        assert r.json()["id"] == sid and r.json()["status"] == "accepted"


def test_a_submission_that_does_not_exist_is_404(client, service):
    assert client.get("/api/v1/submissions/999999", headers=auth(service, "dfe")).status_code == 404


@pytest.mark.parametrize("name, expected, rows", [(None, 401, None), ("la205", 200, {"205"}), ("riia", 200, "London"),
                                                  ("riia_se", 200, "South East"), ("dfe", 200, 153), ("admin", 200, 153)])
def test_status_answers_the_rows_the_caller_may_see(client, service, name, expected, rows):
    r = client.get(f"/api/v1/status?quarter={QUARTER}", headers=auth(service, name))
    assert r.status_code == expected
    if expected != 200:
        return
    body = r.json()
    if isinstance(rows, set):
        assert {b["la_code"] for b in body} == rows
    elif isinstance(rows, int):
        assert len(body) == rows
    else:
        assert body and {b["region_name"] for b in body} == {rows}
    assert {"la_code", "status", "late", "queries_outstanding", "gss_code"} <= set(body[0])


def test_status_with_a_malformed_quarter_is_422(client, service):
    r = client.get("/api/v1/status?quarter=Q2-2025", headers=auth(service, "dfe"))
    assert r.status_code == 422 and "YYYY-Qn" in r.json()["error"]["message"]
    assert client.get("/api/v1/status", headers=auth(service, "dfe")).status_code == 422


@pytest.mark.parametrize("name, region, expected", [(None, LONDON, 401), ("riia", LONDON, 200), ("riia", SOUTH_EAST, 404),
                                                    ("riia_se", SOUTH_EAST, 200), ("dfe", SOUTH_EAST, 200),
                                                    ("la205", LONDON, 404), ("admin", LONDON, 404),
                                                    ("dfe", "E99999999", 404)])
def test_the_regional_summary_is_for_that_regions_riia_and_dfe(client, service, name, region, expected):
    r = client.get(f"/api/v1/regions/{region}/summary?quarter={QUARTER}", headers=auth(service, name))
    assert r.status_code == expected
    if expected == 200:
        body = r.json()
        assert body["region_code"] == region
        assert set(body["tables"]) >= {"regional_summary", "cost_trend", "rates_vs_cap", "compliance_grid",
                                       "cap_breaches", "cross_la"}
        assert not re.search(r"\bSW\d", json.dumps(body))


def test_the_regional_summary_of_a_quarter_not_built_is_404(client, service):
    r = client.get(f"/api/v1/regions/{LONDON}/summary?quarter=2025-Q3", headers=auth(service, "dfe"))
    assert r.status_code == 404 and "built" in r.json()["error"]["message"]


def test_a_wrong_or_disabled_token_is_401(client, service):
    assert client.get(f"/api/v1/status?quarter={QUARTER}", headers={"Authorization": "Bearer nope"}).status_code == 401
    database = service["settings"].database
    accounts.add_user(database, "leaver@example.gov.uk", "dfe", password="a leaver's passphrase")
    token = accounts.new_token(database, "leaver@example.gov.uk")
    assert client.get(f"/api/v1/status?quarter={QUARTER}", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    accounts.disable_user(database, "leaver@example.gov.uk")
    assert client.get(f"/api/v1/status?quarter={QUARTER}", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_tokens_are_stored_hashed(service):
    import sqlite3
    con = sqlite3.connect(service["settings"].database)
    stored = {row[0] for row in con.execute("SELECT token_hash FROM tokens")}
    con.close()
    assert not stored & set(service["tokens"].values())


def test_without_a_quarter_an_upload_is_judged_for_the_set_quarter_else_its_own(client, service, tmp_path):
    from pipeline.core.contract import Quarter
    from tests.workbooks import valid_workbook
    from web import collection, db
    database = service["settings"].database
    with db.connect(database) as con:
        con.execute("DELETE FROM settings WHERE key = 'collecting_quarter'")
    try:
        own = upload(client, service, "la205", valid_workbook(tmp_path / "own.xlsx", la_code="205"))
        assert own.status_code == 200 and own.json()["quarter"] == "2025-Q2"
        collection.set_collecting_quarter(database, Quarter(2025, 3))
        other = upload(client, service, "la205", valid_workbook(tmp_path / "other.xlsx", la_code="205",
                                                                quarter=Quarter(2025, 4)))
        assert other.status_code == 422 and "E005" in {f["code"] for f in other.json()["findings"]}
        given = upload(client, service, "la205", valid_workbook(tmp_path / "given.xlsx", la_code="205",
                                                                quarter=Quarter(2025, 4)), quarter="2025-Q4")
        assert given.status_code == 200
    finally:
        collection.set_collecting_quarter(database, QUARTER)


@pytest.mark.parametrize("quarter", ["2024-Q4", "2031-Q1"])
def test_a_quarter_outside_the_collection_is_422_with_why(client, service, quarter):
    for url, name in ((f"/api/v1/status?quarter={quarter}", "dfe"),
                      (f"/api/v1/regions/{LONDON}/summary?quarter={quarter}", "riia")):
        r = client.get(url, headers=auth(service, name))
        assert r.status_code == 422, url
        message = r.json()["error"]["message"]
        assert quarter in message and ("2025-Q1" in message or "not started" in message)


def test_the_regional_summary_says_when_its_outputs_were_built_and_if_they_are_stale(client, service, uploaded):
    r = client.get(f"/api/v1/regions/{LONDON}/summary?quarter={QUARTER}", headers=auth(service, "riia"))
    outputs = r.json()["outputs"]
    assert outputs["built"] is True and outputs["built_at"].startswith("20")
    assert outputs["stale"] is True and "205" in outputs["changed"]


PARTNERSHIP = ("E12000006", "E12000004", LONDON, SOUTH_EAST)   # East of England, East Midlands, London, South East


@pytest.fixture(scope="module")
def partnership(service):
    """A riia user of the four-region partnership (users add … --role riia --region R1,R2,R3,R4), with a token."""
    user = accounts.add_user(service["settings"].database, "analyst@four-regions.example", "riia",
                             region_code=",".join(PARTNERSHIP), password="a long enough passphrase")
    assert user.regions == PARTNERSHIP
    assert user.scope == "East of England, East Midlands, London, South East"
    return {"Authorization": f"Bearer {accounts.new_token(service['settings'].database, user.email)}"}


def test_a_partnership_user_sees_each_of_its_regions_and_no_other(client, partnership):
    for region in PARTNERSHIP:
        r = client.get(f"/api/v1/regions/{region}/summary?quarter={QUARTER}", headers=partnership)
        assert r.status_code == 200 and r.json()["region_code"] == region
    for region in ("E12000001", "E12000009", "E99999999"):
        assert client.get(f"/api/v1/regions/{region}/summary?quarter={QUARTER}", headers=partnership).status_code == 404


def test_a_partnership_users_status_rows_are_its_regions_las(client, partnership):
    rows = client.get(f"/api/v1/status?quarter={QUARTER}", headers=partnership).json()
    expected = queries.status(QUARTER)
    expected = expected[expected["region_code"].isin(PARTNERSHIP)]
    assert sorted(r["la_code"] for r in rows) == sorted(expected["la_code"])
    assert {r["region_code"] for r in rows} == set(PARTNERSHIP)


def test_a_partnership_user_sees_no_submission(client, partnership, uploaded):
    sid = uploaded["ok"].json()["id"]
    assert client.get(f"/api/v1/submissions/{sid}", headers=partnership).status_code == 404


def test_a_riia_user_needs_known_regions(service):
    with pytest.raises(ValueError, match="several comma-separated"):
        accounts.add_user(service["settings"].database, "x@example.org", "riia", region_code="E12000007,Narnia")
