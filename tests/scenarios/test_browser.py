"""The service in a real browser (pytest-playwright driving Debian's chromium): a council uploads a
real workbook through the file input, reads the error summary and its findings, downloads the
feedback workbook; another LA's page is refused; an analyst's region page shows its charts; axe-core
finds no accessibility violation on any page; the pages work with JavaScript off."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import openpyxl
import pytest

from tests.webservice import LONDON, PASSWORD, QUARTER, SAMPLES, USERS, live_server, prepare_home

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = Path(__file__).parents[1] / "vendor" / "axe.min.js"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="needs Debian's chromium (apt-get install chromium; .ci/run does)")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "accept_downloads": True, "viewport": {"width": 1100, "height": 900}}


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """One live service for the whole session, in its own process, on a free port."""
    home = tmp_path_factory.mktemp("web-browser")
    prepare_home(home)
    with live_server(home) as (base, log):
        yield {"base": base, "home": home, "log": log}
    assert "Traceback" not in log.read_text()


@pytest.fixture(scope="session")
def norfolk_upload(server):
    """Norfolk's return (with errors) uploaded through the API by Norfolk's own user: its id."""
    from web import accounts
    token = accounts.new_token(server["home"] / "data" / "web.sqlite", USERS["la926"][0])
    with open(SAMPLES / f"926_{QUARTER}.xlsx", "rb") as fh:
        r = httpx.post(server["base"] + "/api/v1/submissions", headers={"Authorization": f"Bearer {token}"},
                       files={"workbook": (f"926_{QUARTER}.xlsx", fh)}, timeout=60)
    assert r.status_code == 422
    return r.json()["id"]


def sign_in(page, server, name):
    page.goto(server["base"] + "/sign-in")
    page.fill("#email", USERS[name][0])
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def no_axe_violations(page) -> None:
    """axe-core (vendored from npm) over the page: WCAG 2.2 A and AA rules, no violation allowed."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}});
        return r.violations.map(v => ({id: v.id, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""")
    assert found == [], f"{page.url}: {json.dumps(found, indent=1)}"


def test_a_council_uploads_reads_the_error_summary_and_downloads_its_feedback(page, server, tmp_path):
    csp_errors = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
    sign_in(page, server, "la926")
    page.goto(server["base"] + "/upload")
    no_axe_violations(page)
    page.set_input_files("#workbook", str(SAMPLES / f"926_{QUARTER}.xlsx"))
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_load_state()
    summary = page.locator(".govuk-error-summary")
    assert summary.locator("h2").inner_text().strip() == "There is a problem"
    assert summary.locator("a").count() == 12
    first = summary.locator("a").first
    target = first.get_attribute("href")
    first.click()
    row = page.locator(f"tr{target}")
    assert row.is_visible()
    assert "A2" in row.inner_text() and "Assignment reference" in row.inner_text() and "E101" in row.inner_text()
    assert page.get_by_role("heading", name="Compliance: what you declared and what your assignments show").is_visible()
    no_axe_violations(page)
    with page.expect_download() as info:
        page.get_by_role("link", name="Download the feedback workbook").click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    assert saved.name == f"926_{QUARTER}_feedback.xlsx"
    assert openpyxl.load_workbook(saved).sheetnames[0] == "Findings"
    assert csp_errors == []


def test_an_la_user_is_refused_another_las_page(page, server, norfolk_upload):
    sign_in(page, server, "la205")
    response = page.goto(f"{server['base']}/submissions/{norfolk_upload}")
    assert response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Page not found"
    no_axe_violations(page)


def test_an_analyst_sees_the_regions_charts(page, server):
    sign_in(page, server, "riia")
    page.goto(f"{server['base']}/analyst/regions/{LONDON}?quarter={QUARTER}")
    charts = page.locator("svg[role=img]")
    assert charts.count() == 4 + 5   # the summary's, then section 7's
    for i in range(9):
        box = charts.nth(i).bounding_box()
        assert box["width"] > 300 and box["height"] > 60
    assert page.get_by_role("table", name="Total monthly cost and LAs reporting").is_visible()
    for section in ("Benchmark", "Workforce", "Trends", "Agencies", "Tenure"):
        assert page.get_by_role("heading", name=section, exact=True).is_visible()
    no_axe_violations(page)


@pytest.mark.parametrize("name, paths", [
    ("la205", ["/upload", "/submissions", "/template", f"/compare?quarter={QUARTER}"]),
    ("la213", [f"/compare?quarter={QUARTER}"]),
    ("riia", [f"/analyst/status?quarter={QUARTER}", f"/analyst/regions/{LONDON}?quarter={QUARTER}",
              f"/analyst/compare?quarter={QUARTER}"]),
    ("dfe", [f"/analyst/status?quarter={QUARTER}", "/analyst/regions", f"/analyst/compare?quarter={QUARTER}"]),
    ("admin", ["/admin/users", "/admin/collection", "/admin/audit"]),
])
def test_every_page_has_no_accessibility_violations(page, server, name, paths):
    page.goto(server["base"] + "/sign-in")
    no_axe_violations(page)
    sign_in(page, server, name)
    for path in paths:
        assert page.goto(server["base"] + path).status == 200
        no_axe_violations(page)


def test_signing_in_and_uploading_work_without_javascript(browser, server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, server, "la205")
    page.goto(server["base"] + "/upload")
    page.set_input_files("#workbook", str(SAMPLES / f"205_{QUARTER}.xlsx"))
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=2, name="Return accepted").is_visible()
    context.close()


def test_on_a_phone_the_findings_stack_with_the_message_first_and_nothing_scrolls_sideways(browser, server,
                                                                                          norfolk_upload):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in(page, server, "la926")
    page.goto(f"{server['base']}/submissions/{norfolk_upload}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    first = page.locator("table.app-findings tbody tr").first
    cells = first.locator("td")
    message, where = cells.nth(4).bounding_box(), cells.nth(0).bounding_box()
    assert message["y"] < where["y"] and message["x"] + message["width"] <= 390   # the message leads, on screen
    no_axe_violations(page)
    context.close()


def test_findings_values_wrap_only_at_spaces(page, server, norfolk_upload):
    """At 1280 px no value is broken inside a word ('WES-2|50001', 'Unkno|wn')."""
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, server, "la926")
    page.goto(f"{server['base']}/submissions/{norfolk_upload}")
    broken = page.evaluate("""() => [...document.querySelectorAll('table.app-findings td:nth-child(3)')].filter(td => {
        const words = td.textContent.trim().split(/\\s+/).filter(Boolean);
        const range = document.createRange(); range.selectNodeContents(td);
        const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
        return lines > words.length;
    }).map(td => td.textContent.trim())""")
    assert broken == []
    assert page.evaluate("getComputedStyle(document.querySelector('table.app-findings td:nth-child(3)')).wordBreak") \
        == "normal"


def test_the_e009_and_outside_quarter_pages_have_no_accessibility_violations(page, server):
    sign_in(page, server, "la213")
    page.goto(server["base"] + "/upload")
    page.set_input_files("#workbook", str(SAMPLES / f"205_{QUARTER}.xlsx"))
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_load_state()
    assert "This return is for LA 205" in page.locator(".govuk-error-summary").inner_text()
    no_axe_violations(page)
    page.goto(server["base"] + "/submissions")
    no_axe_violations(page)
    sign_in(page, server, "dfe")
    assert page.goto(server["base"] + "/analyst/status?quarter=2024-Q4").status == 422
    assert "before the collection began" in page.locator(".govuk-error-summary").inner_text()
    no_axe_violations(page)
