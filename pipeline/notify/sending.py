"""`send(message, settings)`: one email out, through GOV.UK Notify where the deployment configured it
(an API key and a template for the message's kind), else through SMTP (STARTTLS or TLS, with
authentication when given). Anything SWE-like in the subject, body or personalisation is removed
first (`pipeline.core.redaction`), whatever the builder was given."""
from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from pipeline.core.redaction import redact
from pipeline.notify.messages import Message
from pipeline.notify.settings import MailSettings


class MailNotSent(RuntimeError):
    """The email could not be handed to SMTP or Notify; the message says why, without the email's content."""


class MailNotConfigured(MailNotSent):
    """No SMTP server or Notify key is set (see `pipeline.notify.settings`)."""


def send(message: Message, settings: MailSettings) -> None:
    """Hand `message` to Notify (when `settings` has an API key and a template for its kind) or to the SMTP
    server. Raises MailNotConfigured when neither is set, MailNotSent when the server or Notify refused
    it or could not be reached (after `smtp_timeout_seconds`)."""
    message = _redacted(message)
    template = settings.notify_template_for(message.kind) if settings.notify_api_key else None
    if template:
        _by_notify(message, settings, template)
    elif settings.smtp_host:
        _by_smtp(message, settings)
    else:
        raise MailNotConfigured("email is not set up: set AGENCY_RETURN_SMTP_HOST or AGENCY_RETURN_NOTIFY_API_KEY "
                                "with AGENCY_RETURN_NOTIFY_TEMPLATE")


def _redacted(message: Message) -> Message:
    return Message(message.kind, message.to, redact(message.subject), redact(message.body),
                   {k: redact(v) for k, v in message.personalisation.items()})


def email_message(message: Message, settings: MailSettings) -> EmailMessage:
    """The message as a plain-text RFC 5322 email from `settings.sender`. Raises ValueError for an
    address with a line break in it."""
    email = EmailMessage()
    email["From"] = settings.sender
    email["To"] = message.to
    if settings.reply_to:
        email["Reply-To"] = settings.reply_to
    email["Subject"] = message.subject
    email["Date"] = formatdate(usegmt=True)
    email["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    email.set_content(message.body)
    return email


def _by_smtp(message: Message, settings: MailSettings) -> None:
    email = email_message(message, settings)
    context = ssl.create_default_context()
    try:
        if settings.smtp_security == "tls":
            server = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds,
                                      context=context)
        else:
            server = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds)
        with server:
            if settings.smtp_security == "starttls":
                server.starttls(context=context)
            if settings.smtp_username:
                server.login(settings.smtp_username, settings.smtp_password or "")
            server.send_message(email)
    except (smtplib.SMTPException, OSError) as exc:
        raise MailNotSent(f"the SMTP server {settings.smtp_host}:{settings.smtp_port} did not take the "
                          f"{message.kind} email: {exc.__class__.__name__}: {exc}") from None


def _by_notify(message: Message, settings: MailSettings, template: str) -> None:
    from notifications_python_client.errors import APIError
    from notifications_python_client.notifications import NotificationsAPIClient
    from requests import RequestException

    client = NotificationsAPIClient(settings.notify_api_key,
                                    **({"base_url": settings.notify_base_url} if settings.notify_base_url else {}))
    personalisation = {**message.personalisation, "subject": message.subject, "body": message.body}
    try:
        client.send_email_notification(email_address=message.to, template_id=template, personalisation=personalisation,
                                       reference=message.kind)
    except (APIError, RequestException) as exc:
        raise MailNotSent(f"GOV.UK Notify did not take the {message.kind} email: {exc}") from None
