"""The pages: each checked as a page (one h1, title, ids, GOV.UK classes, CSRF on forms), who may
see what (404 for another's), CSRF rejection, sign-in rate limiting, the audit log, security headers."""
from __future__ import annotations

import io
import pickle
import sqlite3

import openpyxl
import pytest
from fastapi.testclient import TestClient

from pipeline.core import calendar
from pipeline.outputs import pull
from pipeline.warehouse import queries, submit
from tests.webservice import (
    LONDON,
    PASSWORD,
    QUARTER,
    SAMPLES,
    SOUTH_EAST,
    SWE,
    USERS,
    check_page,
    csrf,
    prepare_home,
    sign_in,
)
from web.app import create_app
from web.settings import Settings


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    home = tmp_path_factory.mktemp("web-pages")
    prepare_home(home)
    settings = Settings(data=home / "data", secret_key="test secret", sign_in_attempts=3)
    return {"home": home, "app": create_app(settings), "settings": settings}


@pytest.fixture(autouse=True)
def _service_home(service, monkeypatch):
    monkeypatch.setenv("AGENCY_RETURN_HOME", str(service["home"]))


def browser(service, name=None) -> TestClient:
    client = TestClient(service["app"], follow_redirects=False)
    if name:
        assert sign_in(client, name).status_code == 303
    return client


def upload_page(client, path, token=None):
    token = token if token is not None else csrf(client.get("/upload").text)
    with open(path, "rb") as fh:
        return client.post("/upload", data={"csrf_token": token},
                           files={"workbook": (path.name, fh, "application/vnd.ms-excel")})


@pytest.fixture(scope="module")
def uploads(service):
    """Norfolk's return with errors and Hammersmith's clean one, each through the upload page."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AGENCY_RETURN_HOME", str(service["home"]))
        out = {}
        for name, la in (("la926", "926"), ("la205", "205")):
            r = upload_page(browser(service, name), SAMPLES / f"{la}_{QUARTER}.xlsx")
            assert r.status_code == 303
            out[la] = int(r.headers["location"].rsplit("/", 1)[1])
    return out


def test_signed_out_pages_redirect_to_sign_in_and_keep_where_you_were_going(service):
    r = browser(service).get("/analyst/status?quarter=2025-Q2")
    assert r.status_code == 303 and r.headers["location"] == "/sign-in?next=/analyst/status%3Fquarter%3D2025-Q2"


def test_the_sign_in_page_is_a_good_page_with_security_headers(service):
    r = browser(service).get("/sign-in")
    check_page(r.text)
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["referrer-policy"] == "same-origin"


def test_signing_in_takes_each_role_to_its_start_page(service):
    for name, home in (("la205", "/submissions"), ("riia", "/analyst/status"), ("admin", "/admin/users")):
        assert sign_in(browser(service), name).headers["location"] == home


def test_the_session_cookie_is_httponly_and_samesite(service):
    r = sign_in(browser(service), "la205")
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    https = Settings(data=service["settings"].data, secret_key="x", https=True)
    client = TestClient(create_app(https), base_url="https://testserver", follow_redirects=False)
    assert "secure" in sign_in(client, "la205").headers["set-cookie"].lower()


def test_a_wrong_password_shows_an_error_summary(service):
    r = sign_in(browser(service), "dfe", password="wrong")
    assert r.status_code == 400
    doc = check_page(r.text)
    assert doc.findtext(".//title").startswith("Error: ")
    assert "There is a problem" in doc.xpath("string(//div[contains(@class,'govuk-error-summary')])")


def test_sign_in_is_refused_after_too_many_failures(service):
    client = browser(service)
    for _ in range(3):
        assert sign_in(client, "riia_se", password="wrong").status_code == 400
    r = sign_in(client, "riia_se")      # the right password, but too late
    assert r.status_code == 429 and "Too many failed attempts" in r.text
    entries = _audit(service)
    assert [e for e in entries if e["actor"] == USERS["riia_se"][0] and e["detail"].startswith("refused")]


def test_a_form_without_its_csrf_token_is_refused(service):
    client = browser(service, "la205")
    r = upload_page(client, SAMPLES / f"205_{QUARTER}.xlsx", token="forged")
    assert r.status_code == 403
    r = client.post("/sign-out", data={})
    assert r.status_code == 403
    r = browser(service).post("/sign-in", data={"email": USERS["dfe"][0], "password": PASSWORD})
    assert r.status_code == 403


def test_the_findings_page_leads_with_an_error_summary_linking_to_each_finding(service, uploads):
    client = browser(service, "la926")
    doc = check_page(client.get(f"/submissions/{uploads['926']}").text)
    summary = doc.xpath("//div[contains(@class,'govuk-error-summary')]")[0]
    assert "There is a problem" in summary.text_content()
    links = summary.xpath(".//a/@href")
    assert len(links) == 12          # the sample's twelve errors
    for href in links:
        row = doc.xpath(f"//*[@id='{href[1:]}']")
        assert row and row[0].tag == "tr"
    text = doc.text_content()
    for heading in ("Errors to fix", "Queries outstanding", "Queries explained", "Compliance"):
        assert heading in text
    assert "E101" in text and "Assignment reference" in text and "NOR-250001" in text


def test_an_accepted_return_has_its_panel_and_feedback_workbook(service, uploads):
    client = browser(service, "la205")
    doc = check_page(client.get(f"/submissions/{uploads['205']}").text)
    assert "Return accepted" in doc.text_content()
    r = client.get(f"/submissions/{uploads['205']}/feedback.xlsx")
    assert r.status_code == 200
    assert openpyxl.load_workbook(io.BytesIO(r.content)).sheetnames[0] == "Findings"


def test_the_feedback_workbook_is_made_on_its_first_download_and_kept(service, uploads, tmp_path):
    """The upload keeps the file and its verdict (0600) and answers without making the workbook; the
    first download makes it from them (the same workbook `pipeline.report` writes) and keeps it."""
    from pipeline.rules.feedback import write_report
    sid = uploads["926"]
    folder = service["settings"].work / "feedback"
    made, source, verdict = folder / f"{sid}.xlsx", folder / f"{sid}.source.xlsx", folder / f"{sid}.result.pickle"
    assert not made.exists()
    assert (source.stat().st_mode & 0o777, verdict.stat().st_mode & 0o777) == (0o600, 0o600)
    expected = write_report(pickle.loads(verdict.read_bytes()), source, tmp_path / "expected.xlsx")
    client = browser(service, "la926")
    first = client.get(f"/submissions/{sid}/feedback.xlsx")
    assert first.status_code == 200 and made.stat().st_mode & 0o777 == 0o600
    assert not source.exists() and not verdict.exists()
    assert client.get(f"/submissions/{sid}/feedback.xlsx").content == first.content == made.read_bytes()
    got, want = openpyxl.load_workbook(io.BytesIO(first.content)), openpyxl.load_workbook(expected)
    assert got.sheetnames == want.sheetnames
    for name in want.sheetnames:
        assert [[c.value for c in row] for row in got[name].iter_rows()] == \
            [[c.value for c in row] for row in want[name].iter_rows()]
        assert {c.coordinate: c.comment.text for row in got[name].iter_rows() for c in row if c.comment} == \
            {c.coordinate: c.comment.text for row in want[name].iter_rows() for c in row if c.comment}


def test_another_las_submission_is_404_for_page_and_download(service, uploads):
    client = browser(service, "la205")
    for url in (f"/submissions/{uploads['926']}", f"/submissions/{uploads['926']}/feedback.xlsx",
                "/analyst/status", f"/analyst/regions/{LONDON}", "/admin/users"):
        r = client.get(url)
        assert r.status_code == 404, url
        assert "Page not found" in r.text


def test_the_la_pages_are_good_pages(service, uploads):
    client = browser(service, "la205")
    for url in ("/upload", "/submissions", "/template"):
        r = client.get(url)
        assert r.status_code == 200, url
        check_page(r.text)
    history = client.get("/submissions").text
    assert f"/submissions/{uploads['205']}" in history and "Accepted" in history
    assert "Late" in history     # 2025-Q2 was due by 31 August 2025


def test_a_later_accepted_return_supersedes_the_earlier_one(service):
    from tests.workbooks import valid_workbook
    client = browser(service, "la213")
    first = upload_page(client, SAMPLES / f"213_{QUARTER}.xlsx")    # the same bytes as recorded: unchanged
    assert first.status_code == 303
    history = client.get("/submissions").text
    assert "Accepted" in history
    path = valid_workbook(service["home"] / "213_again.xlsx", la_code="213")
    second = upload_page(client, path)
    assert second.status_code == 303
    history = client.get("/submissions").text
    assert "Superseded" in history and history.index("Accepted") < history.index("Superseded")


def test_an_upload_without_a_file_says_select_a_workbook(service):
    client = browser(service, "la205")
    r = client.post("/upload", data={"csrf_token": csrf(client.get("/upload").text)}, files={"x": ("", b"")})
    assert r.status_code == 400
    doc = check_page(r.text)
    assert doc.xpath("//div[contains(@class,'govuk-error-summary')]//a[@href='#workbook']")
    assert "Select a workbook to upload" in doc.text_content()


def test_the_template_is_prefilled_with_the_la_and_the_quarter_being_collected(service):
    r = browser(service, "la205").get("/template.xlsx")
    assert r.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    values = [c.value for row in wb["Return"].iter_rows() for c in row]
    assert "205" in [str(v) for v in values] and str(QUARTER) in [str(v) for v in values]


@pytest.mark.parametrize("name", ["riia", "dfe"])
def test_the_analyst_pages_are_good_pages_and_show_no_swe_number(service, name):
    client = browser(service, name)
    for url in ("/analyst/status?quarter=2025-Q2", f"/analyst/regions/{LONDON}?quarter=2025-Q2", "/analyst/regions"):
        r = client.get(url, follow_redirects=True)
        assert r.status_code == 200, url
        check_page(r.text)
        assert not SWE.search(r.text), url


def test_the_region_page_has_each_chart_with_a_table(service):
    doc = check_page(browser(service, "riia").get(f"/analyst/regions/{LONDON}?quarter=2025-Q2").text)
    charts = doc.xpath("//svg[@role='img']")
    assert len(charts) == 4 + 5   # the summary's four, then section 7's five
    for chart in charts:
        assert chart.xpath("./title") and chart.xpath("./desc")
        assert chart.getnext() is not None and chart.getnext().xpath(".//table")
    assert "Westminster" in doc.text_content() and "Norfolk" not in doc.text_content()


def test_a_riia_user_sees_only_their_region(service):
    client = browser(service, "riia")
    assert client.get(f"/analyst/regions/{SOUTH_EAST}?quarter=2025-Q2").status_code == 404
    assert client.get(f"/analyst/regions/{SOUTH_EAST}/download?quarter=2025-Q2").status_code == 404
    status = client.get("/analyst/status?quarter=2025-Q2").text
    assert "Westminster" in status and "Norfolk" not in status


def test_the_regional_download_is_what_pull_writes(service, tmp_path):
    r = browser(service, "riia").get(f"/analyst/regions/{LONDON}/download?quarter=2025-Q2&format=xlsx")
    assert r.status_code == 200
    pulled = pull.pull(QUARTER, LONDON, "xlsx", tmp_path)
    assert r.content == pulled[0].read_bytes()
    r = browser(service, "dfe").get(f"/analyst/regions/{SOUTH_EAST}/download?quarter=2025-Q2&format=csv")
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"


def test_dfe_users_download_an_las_dfe_return_and_nobody_else_may(service):
    page = browser(service, "dfe").get("/analyst/status?quarter=2025-Q2").text
    assert "/analyst/dfe-returns/213?quarter=2025-Q2" in page
    r = browser(service, "dfe").get("/analyst/dfe-returns/213?quarter=2025-Q2")
    assert r.status_code == 200
    assert r.content == (service["home"] / "outputs" / "2025-Q2" / "dfe" / "213_2025-Q2.xlsx").read_bytes()
    assert browser(service, "dfe").get("/analyst/dfe-returns/999?quarter=2025-Q2").status_code == 404
    for name in ("riia", "la213", "admin"):
        assert browser(service, name).get("/analyst/dfe-returns/213?quarter=2025-Q2").status_code == 404
    assert "dfe-returns" not in browser(service, "riia").get("/analyst/status?quarter=2025-Q2").text


def test_the_admin_pages_are_good_pages(service):
    client = browser(service, "admin")
    for url in ("/admin/users", "/admin/collection", "/admin/audit"):
        r = client.get(url)
        assert r.status_code == 200, url
        check_page(r.text)


def test_an_admin_adds_and_disables_a_user(service):
    client = browser(service, "admin")
    token = csrf(client.get("/admin/users").text)
    r = client.post("/admin/users", data={"email": "new@camden.example", "role": "la", "la_code": "202",
                                          "csrf_token": token})
    assert r.status_code == 200 and "Added new@camden.example" in r.text
    r = client.post("/admin/users", data={"email": "bad@x.example", "role": "la", "la_code": "999", "csrf_token": token})
    assert r.status_code == 400 and "There is a problem" in r.text
    r = client.post("/admin/users/disable", data={"email": "new@camden.example", "csrf_token": token})
    assert r.status_code == 303
    assert "Disabled" in client.get("/admin/users").text


def test_a_disabled_users_session_stops_working(service):
    from web import accounts
    accounts.add_user(service["settings"].database, "short@x.example", "dfe", password="another passphrase")
    client = TestClient(service["app"], follow_redirects=False)
    token = csrf(client.get("/sign-in").text)
    client.post("/sign-in", data={"email": "short@x.example", "password": "another passphrase", "csrf_token": token})
    assert client.get("/analyst/status").status_code == 200
    accounts.disable_user(service["settings"].database, "short@x.example")
    assert client.get("/analyst/status").status_code == 303


def test_the_audit_log_records_sign_ins_uploads_and_downloads_and_no_personal_data(service, uploads):
    browser(service, "la205").get(f"/submissions/{uploads['205']}/feedback.xlsx")
    entries = _audit(service)
    actions = {e["action"] for e in entries}
    assert {"sign-in", "sign-in-failed", "upload", "download"} <= actions
    upload = [e for e in entries if e["action"] == "upload" and e["actor"] == USERS["la926"][0]][0]
    assert "LA 926 2025-Q2 rejected" in upload["detail"] and upload["at"] and upload["address"]
    dump = "\n".join(" ".join(str(v) for v in e.values()) for e in entries)
    assert not SWE.search(dump)
    assert PASSWORD not in dump and "ar_" not in dump and "wrong" not in dump.replace("wrong email", "")


def test_errors_answer_without_a_stack_trace(service, monkeypatch):
    from web import access
    monkeypatch.setattr(access, "visible_status", lambda *a: 1 / 0)
    client = TestClient(service["app"], follow_redirects=False, raise_server_exceptions=False)
    sign_in(client, "dfe")
    r = client.get("/analyst/status")
    assert r.status_code == 500 and "Traceback" not in r.text and "ZeroDivision" not in r.text
    check_page(r.text)


def _audit(service) -> list[dict]:
    con = sqlite3.connect(service["settings"].database)
    con.row_factory = sqlite3.Row
    rows = [dict(r) for r in con.execute("SELECT * FROM audit ORDER BY id")]
    con.close()
    return rows


def test_the_crown_logotype_and_gds_transport_are_off_unless_on_a_gov_uk_domain(service):
    plain = browser(service)
    css = plain.get("/static/govuk-frontend/govuk-frontend.min.css").text
    assert "GDS Transport" not in css.split("*/", 1)[1] and "font-family:arial,sans-serif" in css
    assert plain.get("/assets/fonts/bold-b542beb274-v2.woff2").status_code == 404
    page = plain.get("/sign-in").text
    assert "govuk-logo" not in page and "govuk-footer__copyright-logo" not in page and "Department for Education" in page
    gov_uk = TestClient(create_app(Settings(data=service["settings"].data, secret_key="x", gov_uk_domain=True)))
    assert "GDS Transport" in gov_uk.get("/static/govuk-frontend/govuk-frontend.min.css").text
    assert gov_uk.get("/assets/fonts/bold-b542beb274-v2.woff2").status_code == 200
    page = gov_uk.get("/sign-in").text
    assert "govuk-logo" in page and "govuk-footer__copyright-logo" in page


def test_the_api_with_a_session_cookie_needs_the_csrf_token_to_upload(service):
    client = browser(service, "la205")
    token = csrf(client.get("/upload").text)
    path = SAMPLES / f"205_{QUARTER}.xlsx"
    with open(path, "rb") as fh:
        r = client.post("/api/v1/submissions", files={"workbook": (path.name, fh)})
    assert r.status_code == 403 and r.json()["error"]["status"] == 403
    with open(path, "rb") as fh:
        r = client.post("/api/v1/submissions", files={"workbook": (path.name, fh)}, headers={"X-CSRF-Token": token})
    assert r.status_code == 200 and r.json()["la_code"] == "205"
    assert client.get(f"/api/v1/status?quarter={QUARTER}").status_code == 200    # reading needs no token


def test_an_e009_answer_holds_only_the_e009_finding_and_nothing_of_the_other_las_data(service):
    """Westminster uploads Hammersmith's return: the page, the kept answer and dfe's view of it hold
    the E009 finding alone (file, LA code found, quarter): no other finding, value or SWE number."""
    client = browser(service, "la213")
    r = upload_page(client, SAMPLES / f"205_{QUARTER}.xlsx")
    sid = int(r.headers["location"].rsplit("/", 1)[1])
    for who in (client, browser(service, "dfe")):
        doc = check_page(who.get(f"/submissions/{sid}").text)
        text = doc.text_content()
        assert "E009" in text and "This return is for LA 205" in text
        assert not SWE.search(text), text
        assert "HAM-" not in text, text
        assert "Queries explained" not in text, text
        assert "1 error " in text or "1 error\n" in text or "Fix this error" in text
        assert who.get(f"/submissions/{sid}/feedback.xlsx").status_code == 404
    with sqlite3.connect(service["settings"].database) as con:
        kept = con.execute("SELECT result_json FROM submissions WHERE id = ?", (sid,)).fetchone()[0]
    assert not SWE.search(kept) and "HAM-" not in kept
    answer = __import__("json").loads(kept)
    assert [f["code"] for f in answer["findings"]] == ["E009"] and answer["compliance"] == []
    assert answer["la_code"] == "205" and answer["quarter"] == str(QUARTER)


def test_e009_answers_kept_whole_before_are_cut_down_when_the_service_starts(service):
    import json

    from web import submissions
    with sqlite3.connect(service["settings"].database) as con:
        uid = con.execute("SELECT id FROM users WHERE email = ?", (USERS["la213"][0],)).fetchone()[0]
        leaky = {"file": "SW1100097.xlsx", "la_code": "205", "quarter": str(QUARTER), "status": "rejected",
                 "errors": 1, "queries": 1, "findings": [
                     {"code": "E009", "severity": "error", "message": "This return is for LA 205"},
                     {"code": "Q501", "severity": "query", "message": "m", "note": "SW1100097"}],
                 "compliance": [{"rule": "x"}]}
        sid = con.execute("INSERT INTO submissions (user_id, la_code, quarter, sha256, status, ledger_status, recorded,"
                          " received_at, result_json) VALUES (?, '205', ?, 'ab', 'rejected', 'not recorded', 0,"
                          " '2025-07-01T10:00:00+00:00', ?)", (uid, str(QUARTER), json.dumps(leaky))).lastrowid
    assert submissions.scrub_other_la_answers(service["settings"].database) >= 1
    kept = submissions.get(service["settings"].database, sid).answer
    assert [f["code"] for f in kept["findings"]] == ["E009"] and not SWE.search(json.dumps(kept))
    assert submissions.scrub_other_la_answers(service["settings"].database) == 0


def test_the_quarter_lists_offer_every_collected_quarter_up_to_the_one_just_ended(service):
    import datetime as dt

    from pipeline.core.contract import Quarter
    assert calendar.collection_quarters(dt.date(2025, 7, 1)) == [Quarter(2025, 2), Quarter(2025, 1)]
    assert calendar.collection_quarters(dt.date(2025, 3, 31)) == []   # 2025-Q1 not ended yet
    ended = Quarter.containing(calendar.today()).previous()
    doc = check_page(browser(service, "admin").get("/admin/collection").text)
    for select in ("collect-quarter", "build-quarter"):
        offered = doc.xpath(f"//select[@id='{select}']/option/@value")
        assert offered[0] == str(ended) and offered[-1] == "2025-Q1" and "2025-Q2" in offered
        assert len(offered) == len(set(offered)) == len(calendar.collection_quarters())
    client = browser(service, "admin")
    token = csrf(client.get("/admin/collection").text)
    r = client.post("/admin/build", data={"csrf_token": token, "quarter": str(ended.next())})
    assert r.status_code == 400


@pytest.mark.parametrize("path", ["/analyst/status", f"/analyst/regions/{LONDON}"])
@pytest.mark.parametrize("quarter", ["2024-Q4", "2031-Q1"])
def test_a_quarter_outside_the_collection_gets_an_error_summary_not_a_table(service, path, quarter):
    r = browser(service, "dfe").get(f"{path}?quarter={quarter}")
    assert r.status_code == 422
    doc = check_page(r.text)
    summary = doc.xpath("//div[contains(@class,'govuk-error-summary')]")[0].text_content()
    assert quarter in summary and ("2025-Q1" in summary or "not started" in summary)
    assert not doc.xpath("//table") and doc.xpath("//title")[0].text.startswith("Error:")


def test_stale_outputs_are_warned_of_on_the_status_and_region_pages(service, uploads):
    """Hammersmith's return was accepted after 2025-Q2 was built: the outputs are stale, as `status` warns."""
    rows = queries.status(QUARTER, home=service["home"])
    assert rows.loc[rows["la_code"] == "205", "changed_since_build"].item()
    for name, path in (("dfe", f"/analyst/status?quarter={QUARTER}"), ("riia", f"/analyst/status?quarter={QUARTER}"),
                       ("riia", f"/analyst/regions/{LONDON}?quarter={QUARTER}")):
        doc = check_page(browser(service, name).get(path).text)
        warning = " ".join(doc.xpath("//div[contains(@class,'govuk-warning-text')]")[0].text_content().split())
        assert f"for {QUARTER} are out of date" in warning and "205" in warning and "built on" in warning
    doc = check_page(browser(service, "dfe").get("/analyst/status?quarter=2025-Q3").text)
    assert "have not been built yet" in doc.xpath("//div[contains(@class,'govuk-warning-text')]")[0].text_content()


def test_your_returns_are_the_warehouses_however_they_were_sent(service):
    """Islington's return came by the CLI (prepare_home): the page shows it standing. An upload here,
    then a CLI resubmission: the CLI's file stands, the upload is superseded and links to its answer."""
    from tests.workbooks import valid_workbook
    from web import accounts
    accounts.add_user(service["settings"].database, "data@islington.example", "la", la_code="212",
                      password=PASSWORD)
    client = TestClient(service["app"], follow_redirects=False)
    token = csrf(client.get("/sign-in").text)
    assert client.post("/sign-in", data={"email": "data@islington.example", "password": PASSWORD,
                                         "csrf_token": token, "next": "/"}).status_code == 303
    doc = check_page(client.get("/submissions").text)
    first = doc.xpath("//table")[0]
    assert "Sent by the command line or the inbox" in first.text_content() and "Accepted" in first.text_content()
    uploaded = valid_workbook(service["home"] / "212_web.xlsx", la_code="212")
    sid = int(upload_page(client, uploaded).headers["location"].rsplit("/", 1)[1])
    by_cli = service["home"] / "212_cli.xlsx"
    book = openpyxl.load_workbook(uploaded)
    book["Return"]["B4"] = "Another Data Team"
    book.save(by_cli)
    assert submit.submit_file(by_cli, QUARTER).status == "accepted"
    doc = check_page(client.get("/submissions").text)
    rows = doc.xpath("//table")[0].xpath(".//tbody/tr")
    assert len(rows) == 3
    newest, middle, oldest = (" ".join(r.text_content().split()) for r in rows)
    assert "Accepted" in newest and "command line" in newest
    assert "Superseded" in middle and f"Upload {sid}" in middle
    assert "Superseded" in oldest and "command line" in oldest
