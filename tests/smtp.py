"""A real SMTP server for tests: aiosmtpd on 127.0.0.1 on a free port, keeping every message it is
given, and the mail settings that send to it. Import the fixture into a test module (or conftest):
`from tests.smtp import smtp_server  # noqa: F401`."""
from __future__ import annotations

import re
import socket
import time
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from pipeline.notify.settings import MailSettings


class Inbox:
    """What the server was given: `messages` (parsed emails, oldest first) and `envelopes`
    (mail-from, recipients)."""

    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.port = 0

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.original_content or envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def settings(self, service_url: str = "http://127.0.0.1:8000") -> MailSettings:
        """Mail settings that send here (no TLS: the server is on this machine)."""
        return MailSettings(service_url=service_url, sender="agency-return@service.example", smtp_host="127.0.0.1",
                            smtp_port=self.port, smtp_security="none")

    def environment(self, service_url: str) -> dict[str, str]:
        """The same settings as AGENCY_RETURN_* variables, for a service started as a process."""
        return {"AGENCY_RETURN_SERVICE_URL": service_url, "AGENCY_RETURN_MAIL_FROM": "agency-return@service.example",
                "AGENCY_RETURN_SMTP_HOST": "127.0.0.1", "AGENCY_RETURN_SMTP_PORT": str(self.port),
                "AGENCY_RETURN_SMTP_SECURITY": "none"}

    def to(self, address: str, *, wait_seconds: float = 5.0) -> list[EmailMessage]:
        """The messages sent to `address`, waiting up to `wait_seconds` for a first one."""
        deadline = time.monotonic() + wait_seconds
        while True:
            found = [m for m in self.messages if m["To"] == address]
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    def link(self, address: str) -> str:
        """The service link (http…) in the latest message to `address`."""
        body = self.to(address)[-1].get_content()
        return re.findall(r"https?://\S+", body)[-1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_smtp():
    """An SMTP server on 127.0.0.1 (a free port) that keeps what it is sent: yields its `Inbox`."""
    inbox = Inbox()
    inbox.port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def smtp_server():
    """A running SMTP server on 127.0.0.1 that keeps what it is sent (an `Inbox`), for one test."""
    with running_smtp() as inbox:
        yield inbox
