"""Accounts in a real browser (Debian's chromium through pytest-playwright, axe-core on each page), on
the live service sending email to a real SMTP server on 127.0.0.1: an admin adds a user and the
invitation is followed to set a password; a reset by emailed link; sign-out and a password change end
the session a copied cookie carried (issue 26, 2 and 3); a revoked API token answers 401."""
from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest

from tests.scenarios.test_browser import browser_type_launch_args, no_axe_violations, pytestmark  # noqa: F401
from tests.smtp import running_smtp
from tests.webservice import PASSWORD, QUARTER, USERS, free_port, live_server, prepare_home
from web import accounts
from web.session_store import COOKIE


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The live service, its email going to an SMTP server on 127.0.0.1."""
    home = tmp_path_factory.mktemp("web-browser-accounts")
    prepare_home(home)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running_smtp() as inbox, live_server(home, port=port, **inbox.environment(base)) as (_, log):
        yield {"base": base, "home": home, "log": log, "inbox": inbox, "database": home / "data" / "web.sqlite"}
    assert "Traceback" not in log.read_text()


def sign_in(page, server, email, password=PASSWORD):
    page.goto(server["base"] + "/sign-in")
    page.fill("#email", email)
    page.fill("#password", password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def cookie_copied(page, server) -> httpx.Client:
    """A client outside the browser carrying a copy of the browser's session cookie."""
    value = next(c["value"] for c in page.context.cookies() if c["name"] == COOKIE)
    return httpx.Client(base_url=server["base"], cookies={COOKIE: value}, follow_redirects=False)


def test_an_invitation_is_emailed_and_followed_to_set_a_password(page, server):
    sign_in(page, server, USERS["admin"][0])
    page.goto(server["base"] + "/admin/users")
    page.fill("#email", "newcomer@camden.example")
    page.select_option("#role", "la")
    page.fill("#la_code", "202")
    page.get_by_role("button", name="Add user").click()
    page.wait_for_load_state()
    assert "sent them an invitation" in page.locator(".govuk-notification-banner").inner_text()
    no_axe_violations(page)
    link = server["inbox"].link("newcomer@camden.example")
    assert link.startswith(server["base"] + "/account/invitation/")
    page.context.clear_cookies()
    page.goto(link)
    assert page.get_by_role("heading", level=1).inner_text() == "Set your password"
    no_axe_violations(page)
    page.fill("#new_password", "password1234")
    page.fill("#confirm_password", "password1234")
    page.get_by_role("button", name="Set password").click()
    page.wait_for_load_state()
    assert page.title().startswith("Error: ")
    assert "commonly used" in page.locator(".govuk-error-summary").inner_text()
    no_axe_violations(page)
    page.fill("#new_password", "newcomer's own passphrase")
    page.fill("#confirm_password", "newcomer's own passphrase")
    page.get_by_role("button", name="Set password").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Your password has been set"
    no_axe_violations(page)
    page.get_by_role("link", name="Sign in").click()
    sign_in(page, server, "newcomer@camden.example", "newcomer's own passphrase")
    assert page.url.endswith("/submissions")


def test_sign_out_ends_the_session_a_copied_cookie_carried(page, server):
    sign_in(page, server, USERS["la205"][0])
    copied = cookie_copied(page, server)
    assert copied.get("/submissions").status_code == 200
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "You have signed out"
    no_axe_violations(page)
    r = copied.get("/submissions")
    assert r.status_code == 303 and r.headers["location"].startswith("/sign-in")


def test_a_password_change_ends_the_other_sessions(page, server):
    accounts.add_user(server["database"], "changer@dfe.example", "dfe", password=PASSWORD)
    sign_in(page, server, "changer@dfe.example")
    copied = cookie_copied(page, server)
    assert copied.get("/analyst/status").status_code == 200
    page.get_by_role("link", name="Your account").click()
    no_axe_violations(page)
    page.get_by_role("link", name="Change your password").click()
    no_axe_violations(page)
    page.fill("#current_password", PASSWORD)
    page.fill("#new_password", "a changed long passphrase")
    page.get_by_role("button", name="Change password").click()
    page.wait_for_load_state()
    assert "Your password has been changed" in page.locator(".govuk-notification-banner").inner_text()
    no_axe_violations(page)
    assert copied.get("/analyst/status").status_code == 303
    page.goto(server["base"] + "/analyst/status")
    assert page.get_by_role("heading", level=1).is_visible() and "/sign-in" not in page.url


def test_a_password_is_reset_by_emailed_link(page, server):
    accounts.add_user(server["database"], "forgetful@dfe.example", "dfe", password=PASSWORD)
    page.goto(server["base"] + "/sign-in")
    page.get_by_role("link", name="Forgotten your password?").click()
    no_axe_violations(page)
    page.fill("#email", "forgetful@dfe.example")
    page.get_by_role("button", name="Send the link").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Check your email"
    no_axe_violations(page)
    page.goto(server["inbox"].link("forgetful@dfe.example"))
    assert page.get_by_role("heading", level=1).inner_text() == "Reset your password"
    page.fill("#new_password", "a remembered passphrase")
    page.fill("#confirm_password", "a remembered passphrase")
    page.get_by_role("button", name="Set password").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Your password has been set"
    sign_in(page, server, "forgetful@dfe.example", "a remembered passphrase")
    assert page.url.endswith("/analyst/status")


def test_a_revoked_api_token_answers_401(page, server):
    accounts.add_user(server["database"], "machine@dfe.example", "dfe", password=PASSWORD)
    sign_in(page, server, "machine@dfe.example")
    page.goto(server["base"] + "/account/tokens")
    no_axe_violations(page)
    page.fill("#name", "Case system")
    page.get_by_role("button", name="Make token").click()
    page.wait_for_load_state()
    token = page.locator("#new-token").inner_text().strip()
    no_axe_violations(page)
    api = httpx.Client(base_url=server["base"], headers={"Authorization": f"Bearer {token}"})
    assert api.get(f"/api/v1/status?quarter={QUARTER}").status_code == 200
    page.goto(server["base"] + "/account/tokens")
    assert "Case system" in page.locator("table").inner_text() and token not in page.content()
    page.get_by_role("button", name="Revoke Case system").click()
    page.wait_for_load_state()
    assert "has been revoked" in page.locator(".govuk-notification-banner").inner_text()
    no_axe_violations(page)
    assert api.get(f"/api/v1/status?quarter={QUARTER}").status_code == 401
    assert urlsplit(page.url).path == "/account/tokens"
