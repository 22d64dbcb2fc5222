"""The account emails the web service sends (`pipeline.notify` builds and sends them): an invitation
to set a password and a password reset, each with a fresh single-use link (`web.links`), and word
that a password was changed; recorded in the audit log (who to, never the link). Each returns None
when the email went, else why not in plain words for the admin or the log; the account itself is
never undone for an email that did not go."""
from __future__ import annotations

import datetime as dt
import logging

from pipeline.notify import messages
from pipeline.notify.sending import MailNotConfigured, MailNotSent, send
from web import audit, links
from web.accounts import User
from web.settings import Settings

log = logging.getLogger(__name__)


def send_invitation(settings: Settings, user: User, actor: str, address: str | None = None) -> str | None:
    """Email `user` a new invitation link (their earlier one stops working)."""
    path, expires = links.new_link(settings.database, user, links.INVITATION)
    message = messages.invitation(user.email, link=settings.mail.link(path), expires=expires, scope=user.scope,
                                  service=settings.service_name)
    return _send(settings, message, audit.INVITATION_SENT, actor, address)


def send_reset(settings: Settings, user: User, address: str | None = None) -> str | None:
    """Email `user` a password-reset link (their earlier one stops working)."""
    path, expires = links.new_link(settings.database, user, links.RESET)
    message = messages.password_reset(user.email, link=settings.mail.link(path), expires=expires,
                                      service=settings.service_name)
    return _send(settings, message, audit.RESET_SENT, user.email, address)


def send_password_changed(settings: Settings, user: User, address: str | None = None) -> str | None:
    """Tell `user` their password was changed (ASVS 2.2.3), with the reset page's link should it not have
    been them."""
    message = messages.password_changed(user.email, changed=dt.datetime.now(dt.timezone.utc),
                                        link=settings.mail.link("/account/reset"), service=settings.service_name)
    return _send(settings, message, audit.PASSWORD_CHANGED_SENT, user.email, address)


def _send(settings: Settings, message: messages.Message, action: str, actor: str, address: str | None) -> str | None:
    try:
        send(message, settings.mail)
    except MailNotConfigured:
        log.warning("%s email to %s not sent: email is not set up", message.kind, message.to)
        return ("Email is not set up on this service, so the email could not be sent. "
                "Ask whoever runs the service to set AGENCY_RETURN_SMTP_HOST or GOV.UK Notify (docs/operations.md)")
    except MailNotSent as exc:
        log.warning("%s email to %s not sent: %s", message.kind, message.to, exc)
        return "The email could not be sent. Try again later"
    audit.record(settings.database, action, actor, message.to, address)
    return None
