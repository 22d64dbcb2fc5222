"""Sending through a real SMTP server (aiosmtpd on 127.0.0.1) and the real GOV.UK Notify client talking
to a stand-in for Notify's API on 127.0.0.1."""
from __future__ import annotations

import datetime as dt
import json
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest

from pipeline.notify import messages
from pipeline.notify.sending import MailNotConfigured, MailNotSent, send
from pipeline.notify.settings import MailSettings
from tests.smtp import free_port, smtp_server  # noqa: F401

REMINDER = messages.reminder("data@norfolk.example", council="Norfolk", quarter="2025-Q2", due=dt.date(2025, 8, 31),
                             link="https://returns.example/submissions")


def test_an_email_reaches_the_smtp_server(smtp_server):  # noqa: F811
    send(REMINDER, replace(smtp_server.settings(), reply_to="help@dfe.example"))
    [email] = smtp_server.to("data@norfolk.example")
    assert email["Subject"] == "Norfolk: your return for 2025-Q2 is due by 31 August 2025"
    assert email["From"] == "agency-return@service.example" and email["Reply-To"] == "help@dfe.example"
    assert email.get_content_type() == "text/plain"
    assert "https://returns.example/submissions" in email.get_content()
    assert smtp_server.envelopes == [("agency-return@service.example", ["data@norfolk.example"])]


def test_nothing_swe_like_leaves_in_an_email(smtp_server):  # noqa: F811
    careless = messages.reminder("data@norfolk.example", council="Norfolk SW1234567", quarter="2025-Q2",
                                 due=dt.date(2025, 8, 31), link="https://returns.example/")
    send(careless, smtp_server.settings())
    [email] = smtp_server.to("data@norfolk.example")
    assert "1234567" not in email.as_string()


def test_starttls_is_never_skipped(smtp_server):  # noqa: F811
    """A server that offers no STARTTLS gets nothing when the settings ask for it (the default)."""
    with pytest.raises(MailNotSent, match="SMTP server 127.0.0.1"):
        send(REMINDER, replace(smtp_server.settings(), smtp_security="starttls"))
    assert smtp_server.messages == []


def test_no_server_is_a_clear_error():
    with pytest.raises(MailNotConfigured, match="AGENCY_RETURN_SMTP_HOST"):
        send(REMINDER, MailSettings())
    with pytest.raises(MailNotSent, match="did not take the reminder email"):
        send(REMINDER, MailSettings(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_security="none",
                                    smtp_timeout_seconds=2))


def test_a_line_break_in_an_address_never_becomes_a_header(smtp_server):  # noqa: F811
    with pytest.raises(ValueError):
        send(replace(REMINDER, to="a@b.example\r\nBcc: everyone@x.example"), smtp_server.settings())
    assert smtp_server.messages == []


# GOV.UK Notify's API keys are '<name>-<service id>-<secret>' (two UUIDs); the client signs a JWT with the secret.
SERVICE_ID, SECRET = "26785a09-ab16-4eb0-8407-a37497a57506", "3d844edf-8d35-48ac-975b-e847b4f122b0"


@pytest.fixture
def notify_api():
    """A stand-in for Notify's API on 127.0.0.1: keeps each request's path, verified JWT claims and JSON body."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            token = self.headers["Authorization"].removeprefix("Bearer ")
            claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_iat": False})
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append((self.path, claims, body))
            answer = json.dumps({"id": "1", "reference": body.get("reference"), "content": {}, "template": {}}).encode()
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", received
    finally:
        server.shutdown()
        server.server_close()


def test_through_notify_when_a_key_and_template_are_set(notify_api, smtp_server):  # noqa: F811
    base_url, received = notify_api
    settings = replace(smtp_server.settings(), notify_api_key=f"test-{SERVICE_ID}-{SECRET}",
                       notify_template="f33517ff-2a88-4f6e-b855-c550268ce08a", notify_base_url=base_url)
    send(REMINDER, settings)
    [(path, claims, body)] = received
    assert path == "/v2/notifications/email" and claims["iss"] == SERVICE_ID
    assert body["email_address"] == "data@norfolk.example"
    assert body["template_id"] == "f33517ff-2a88-4f6e-b855-c550268ce08a" and body["reference"] == "reminder"
    assert body["personalisation"]["subject"] == REMINDER.subject
    assert body["personalisation"]["body"] == REMINDER.body and body["personalisation"]["council"] == "Norfolk"
    assert smtp_server.messages == []       # Notify took it: not sent twice


def test_notify_refusing_is_a_clear_error(notify_api):
    base_url, _ = notify_api
    settings = MailSettings(notify_api_key=f"test-{SERVICE_ID}-{'0' * 36}", notify_template="t",
                            notify_base_url=base_url)
    with pytest.raises(MailNotSent, match="GOV.UK Notify did not take the reminder email"):
        send(REMINDER, settings)
