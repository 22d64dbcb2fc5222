"""Account journeys through the service's pages, with a real SMTP server: sign-out and a password
change end sessions (issue 26, 2 and 3), invitations and resets by emailed single-use link, the
password policy on the pages (issue 26, 4), API tokens made, listed and revoked."""
from __future__ import annotations

import re
from dataclasses import replace
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.smtp import smtp_server  # noqa: F401
from tests.webservice import PASSWORD, check_page, csrf, prepare_home, sign_in
from web import accounts
from web.app import create_app
from web.session_store import COOKIE
from web.settings import Settings


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("web-accounts")
    prepare_home(home)
    return home


@pytest.fixture
def service(home, smtp_server, monkeypatch):  # noqa: F811
    monkeypatch.setenv("AGENCY_RETURN_HOME", str(home))
    settings = Settings(data=home / "data", secret_key="test secret", mail=smtp_server.settings("http://testserver"))
    return {"app": create_app(settings), "settings": settings, "inbox": smtp_server}


def browser(service, name=None, password=PASSWORD) -> TestClient:
    client = TestClient(service["app"], follow_redirects=False)
    if name:
        assert sign_in(client, name, password).status_code == 303
    return client


def copy_of(service, client) -> TestClient:
    """Another client holding a copy of `client`'s session cookie (as someone who copied it would)."""
    other = TestClient(service["app"], follow_redirects=False)
    other.cookies.set(COOKIE, client.cookies[COOKIE])
    return other


def new_user(service, email, role="dfe", password=PASSWORD):
    """A new user `email`, and a client signed in as them."""
    accounts.add_user(service["settings"].database, email, role, password=password)
    return signed_in(service, email, password)


def signed_in(service, email, password=PASSWORD):
    client = TestClient(service["app"], follow_redirects=False)
    page = client.get("/sign-in").text
    r = client.post("/sign-in", data={"email": email, "password": password, "csrf_token": csrf(page)})
    assert r.status_code == 303
    return client


def test_sign_out_ends_the_session_a_copied_cookie_included(service):
    """Issue 26, 2: a cookie copied before sign-out worked for 8 hours. Contract section 6: sign-out
    ends every session and API token of that user."""
    client = browser(service, "la205")
    token = accounts.new_token(service["settings"].database, "data@hammersmith.example")
    copied = copy_of(service, client)
    elsewhere = browser(service, "la205")
    assert copied.get("/submissions").status_code == 200
    r = client.post("/sign-out", data={"csrf_token": csrf(client.get("/submissions").text)})
    assert r.status_code == 303 and r.headers["location"] == "/signed-out"
    doc = check_page(client.get("/signed-out").text)
    assert doc.xpath("string(//h1)") == "You have signed out"
    for c in (client, copied, elsewhere):
        assert c.get("/submissions").status_code == 303
    assert TestClient(service["app"]).get("/api/v1/status", headers={"Authorization": f"Bearer {token}"}
                                       ).status_code == 401


def test_a_password_change_ends_other_sessions_and_tokens_and_keeps_this_browser(service):
    """Issue 26, 3: a password change left sessions and API tokens working."""
    client = new_user(service, "changer@dfe.example")
    copied, elsewhere = copy_of(service, client), signed_in(service, "changer@dfe.example")
    token = accounts.new_token(service["settings"].database, "changer@dfe.example")
    api = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/status?quarter=2025-Q2", headers=api).status_code == 200
    page = client.get("/account/password")
    check_page(page.text)
    r = client.post("/account/password", data={"current_password": "wrong", "new_password": "password1234",
                                               "csrf_token": csrf(page.text)})
    assert r.status_code == 400
    doc = check_page(r.text)
    assert "Your current password is not correct" in doc.xpath("string(//p[@id='current_password-error'])")
    assert "commonly used" in doc.xpath("string(//p[@id='new_password-error'])")
    r = client.post("/account/password", data={"current_password": PASSWORD, "new_password": "a new long passphrase",
                                               "csrf_token": csrf(page.text)})
    assert r.status_code == 303 and r.headers["location"] == "/account"
    assert "Your password has been changed" in client.get("/account").text        # this browser goes on
    [told] = service["inbox"].to("changer@dfe.example")
    assert told["Subject"] == "Your password for the Agency social work return has been changed"
    assert "http://testserver/account/reset" in told.get_content()
    assert copied.get("/analyst/status").status_code == 303                        # the copied cookie does not
    assert elsewhere.get("/analyst/status").status_code == 303                     # nor another browser
    assert TestClient(service["app"]).get("/api/v1/status?quarter=2025-Q2", headers=api).status_code == 401


def test_an_admin_adds_a_user_who_sets_a_password_from_the_emailed_invitation(service):
    admin = browser(service, "admin")
    r = admin.post("/admin/users", data={"email": "invited@camden.example", "role": "la", "la_code": "202",
                                         "csrf_token": csrf(admin.get("/admin/users").text)})
    assert r.status_code == 200 and "sent them an invitation" in r.text and "agency-return" not in r.text
    [email] = service["inbox"].to("invited@camden.example")
    assert email["Subject"] == "Set your password for the Agency social work return"
    assert "Camden (LA 202)" in email.get_content()
    link = urlsplit(service["inbox"].link("invited@camden.example"))
    assert link.netloc == "testserver" and link.path.startswith("/account/invitation/")
    newcomer = TestClient(service["app"], follow_redirects=False)
    r = newcomer.get(link.path)                   # the token goes into the session, out of the address
    assert r.status_code == 303 and r.headers["location"] == "/account/invitation/set"
    form_path = r.headers["location"]
    page = newcomer.get(form_path)
    doc = check_page(page.text)
    assert doc.xpath("string(//h1)") == "Set your password"
    for weak, says in (("a", "12 characters or more"), ("password", "12 characters or more"),
                       ("12345678", "12 characters or more"), ("password1234", "commonly used")):
        r = newcomer.post(form_path, data={"new_password": weak, "confirm_password": weak,
                                           "csrf_token": csrf(page.text)})
        assert r.status_code == 400 and says in r.text, weak          # issue 26, 4
    r = newcomer.post(form_path, data={"new_password": "camden's own passphrase", "confirm_password": "different",
                                       "csrf_token": csrf(page.text)})
    assert r.status_code == 400 and "do not match" in r.text
    r = newcomer.post(form_path, data={"new_password": "camden's own passphrase",
                                       "confirm_password": "camden's own passphrase", "csrf_token": csrf(page.text)})
    assert r.status_code == 200 and "Your password has been set" in r.text
    check_page(r.text)
    assert accounts.authenticate(service["settings"].database, "invited@camden.example", "camden's own passphrase")
    for again in (newcomer.get(link.path), newcomer.get(form_path),
                  TestClient(service["app"], follow_redirects=False).get(link.path)):
        assert again.status_code == 404 and "This link has expired or has been used" in again.text


def test_a_reset_is_emailed_only_to_an_account_and_says_the_same_either_way(service):
    client = new_user(service, "forgetful@dfe.example")
    anonymous = TestClient(service["app"], follow_redirects=False)
    page = anonymous.get("/account/reset")
    check_page(page.text)
    answers = []
    for email in ("forgetful@dfe.example", "nobody@dfe.example"):
        r = anonymous.post("/account/reset", data={"email": email, "csrf_token": csrf(page.text)})
        assert r.status_code == 200
        answers.append(re.sub(re.escape(email), "EMAIL", r.text))
    assert answers[0] == answers[1]
    assert service["inbox"].to("nobody@dfe.example", wait_seconds=0.5) == []
    [email] = service["inbox"].to("forgetful@dfe.example")
    assert email["Subject"] == "Reset your password for the Agency social work return"
    path = urlsplit(service["inbox"].link("forgetful@dfe.example")).path
    assert anonymous.get(path).headers["location"] == "/account/reset/set"
    form = anonymous.get("/account/reset/set")
    r = anonymous.post("/account/reset/set", data={"new_password": "a fresh long passphrase", "confirm_password":
                                   "a fresh long passphrase", "csrf_token": csrf(form.text)})
    assert r.status_code == 200 and "Your password has been set" in r.text
    assert client.get("/analyst/status").status_code == 303             # the old session ended
    assert [m["Subject"] for m in service["inbox"].to("forgetful@dfe.example")] == [
        "Reset your password for the Agency social work return",
        "Your password for the Agency social work return has been changed"]
    assert anonymous.get(path).status_code == 404                       # single use


def test_a_user_makes_lists_and_revokes_an_api_token(service):
    client = new_user(service, "machine@dfe.example")
    page = client.get("/account/tokens")
    check_page(page.text)
    assert "You have no API tokens" in page.text
    r = client.post("/account/tokens", data={"name": "", "days": "", "csrf_token": csrf(page.text)})
    assert r.status_code == 400 and "Enter a name for the token" in r.text
    r = client.post("/account/tokens", data={"name": "Case system", "days": "30", "csrf_token": csrf(page.text)})
    doc = check_page(r.text)
    token = doc.xpath("string(//code[@id='new-token'])")
    assert token.startswith("ar_")
    api = TestClient(service["app"], headers={"Authorization": f"Bearer {token}"})
    assert api.get("/api/v1/status?quarter=2025-Q2").status_code == 200
    listing = client.get("/account/tokens").text
    assert "Case system" in listing and token not in listing                 # shown once only
    token_id = re.search(r'action="/account/tokens/(\d+)/revoke"', listing).group(1)
    other = new_user(service, "other@dfe.example")
    assert other.post(f"/account/tokens/{token_id}/revoke",
                      data={"csrf_token": csrf(other.get("/account").text)}).status_code == 404
    r = client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf(listing)})
    assert r.status_code == 303
    assert "has been revoked" in client.get("/account/tokens").text
    assert api.get("/api/v1/status?quarter=2025-Q2").status_code == 401


def test_an_admin_signs_a_user_out_everywhere_and_revokes_their_token(service):
    client = new_user(service, "watched@dfe.example")
    token = accounts.new_token(service["settings"].database, "watched@dfe.example", name="Script")
    who = accounts.find_user(service["settings"].database, "watched@dfe.example")
    admin = browser(service, "admin")
    page = admin.get(f"/admin/users/{who.id}")
    doc = check_page(page.text)
    assert "1 session now" in doc.text_content() and "Script" in doc.text_content()
    r = admin.post(f"/admin/users/{who.id}/sign-out", data={"csrf_token": csrf(page.text)})
    assert r.status_code == 303 and client.get("/analyst/status").status_code == 303
    token_id = re.search(rf'action="/admin/users/{who.id}/tokens/(\d+)/revoke"', page.text).group(1)
    assert admin.post(f"/admin/users/{who.id}/tokens/{token_id}/revoke",
                      data={"csrf_token": csrf(page.text)}).status_code == 303
    assert accounts.user_for_token(service["settings"].database, token) is None


def test_without_email_set_up_the_admin_is_told_and_the_account_is_kept(service):
    settings = replace(service["settings"], mail=replace(service["settings"].mail, smtp_host=None))
    admin = TestClient(create_app(settings), follow_redirects=False)
    assert sign_in(admin, "admin").status_code == 303
    r = admin.post("/admin/users", data={"email": "unsent@dfe.example", "role": "dfe",
                                         "csrf_token": csrf(admin.get("/admin/users").text)})
    assert r.status_code == 200 and "the invitation was not sent" in r.text and "Email is not set up" in r.text
    unsent = accounts.find_user(settings.database, "unsent@dfe.example")
    r = admin.post(f"/admin/users/{unsent.id}/invitation", data={"csrf_token": csrf(r.text)})
    assert r.status_code == 503 and "The invitation was not sent" in r.text
    check_page(r.text)
    working = browser(service, "admin")                     # once email is set up, send it again
    r = working.post(f"/admin/users/{unsent.id}/invitation",
                     data={"csrf_token": csrf(working.get("/admin/users").text)})
    assert r.status_code == 303 and "A new invitation has been sent" in working.get(r.headers["location"]).text
    assert service["inbox"].to("unsent@dfe.example")


def test_reset_emails_to_one_address_stop_after_three_an_hour(service):
    accounts.add_user(service["settings"].database, "flooded@dfe.example", "dfe", password=PASSWORD)
    anonymous = TestClient(service["app"], follow_redirects=False)
    token = csrf(anonymous.get("/account/reset").text)
    for _ in range(5):
        r = anonymous.post("/account/reset", data={"email": "flooded@dfe.example", "csrf_token": token})
        assert r.status_code == 200 and "Check your email" in r.text
    assert len(service["inbox"].to("flooded@dfe.example")) == 3


def test_the_cookie_carries_only_a_signed_random_id(service):
    client = browser(service, "la205")
    value = client.cookies[COOKIE]
    sid, _, signature = value.rpartition(".")
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", sid) and signature
    forged = TestClient(service["app"], follow_redirects=False)
    forged.cookies.set(COOKIE, sid + ".forged")
    assert forged.get("/submissions").status_code == 303
