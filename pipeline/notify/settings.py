"""How a deployment sends email, read from AGENCY_RETURN_* variables (the web service and the flows read
the same ones): the service's address for links (`AGENCY_RETURN_SERVICE_URL`, never a request's Host
header), the sender, the SMTP server and its security (STARTTLS unless told otherwise) and
authentication, or a GOV.UK Notify API key with its template ids. Each variable and what it means:
docs/service.md, "Email: SMTP or GOV.UK Notify"."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from pipeline.notify.messages import KINDS

SECURITY = ("starttls", "tls", "none")


@dataclass(frozen=True)
class MailSettings:
    """Where email goes: GOV.UK Notify when `notify_api_key` and a template for the kind are set, else SMTP
    when `smtp_host` is set, else nowhere (`sending.send` raises MailNotConfigured)."""

    service_url: str = "http://127.0.0.1:8000"
    sender: str = "agency-return@localhost"
    reply_to: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_security: str = "starttls"
    smtp_username: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_timeout_seconds: float = 10.0
    notify_api_key: str | None = field(default=None, repr=False)
    notify_template: str | None = None
    notify_templates: dict[str, str] = field(default_factory=dict)
    notify_base_url: str | None = None

    def __post_init__(self):
        if self.smtp_security not in SECURITY:
            raise ValueError(f"AGENCY_RETURN_SMTP_SECURITY must be one of {', '.join(SECURITY)}, "
                             f"not {self.smtp_security!r}")

    def notify_template_for(self, kind: str) -> str | None:
        """The Notify template a kind is sent with (its own, else the one for every kind), or None."""
        return self.notify_templates.get(kind) or self.notify_template

    @property
    def configured(self) -> bool:
        """Whether email can be sent at all."""
        return bool(self.smtp_host or (self.notify_api_key and (self.notify_template or self.notify_templates)))

    def link(self, path: str) -> str:
        """An absolute link to `path` on the service ('/sign-in' → 'https://…/sign-in')."""
        return self.service_url.rstrip("/") + "/" + path.lstrip("/")


def from_environment(environ: dict[str, str] | None = None) -> MailSettings:
    """The settings in the AGENCY_RETURN_* variables above (`environ`, default os.environ). Raises
    ValueError for a port that is not a number or an unknown SMTP security."""
    env = os.environ if environ is None else environ

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    port = get("AGENCY_RETURN_SMTP_PORT")
    if port is not None and not port.isdigit():
        raise ValueError(f"AGENCY_RETURN_SMTP_PORT must be a number, not {port!r}")
    given = {
        "service_url": get("AGENCY_RETURN_SERVICE_URL"),
        "sender": get("AGENCY_RETURN_MAIL_FROM"),
        "reply_to": get("AGENCY_RETURN_MAIL_REPLY_TO"),
        "smtp_host": get("AGENCY_RETURN_SMTP_HOST"),
        "smtp_port": int(port) if port else None,
        "smtp_security": (get("AGENCY_RETURN_SMTP_SECURITY") or "").lower() or None,
        "smtp_username": get("AGENCY_RETURN_SMTP_USERNAME"),
        "smtp_password": get("AGENCY_RETURN_SMTP_PASSWORD"),
        "notify_api_key": get("AGENCY_RETURN_NOTIFY_API_KEY"),
        "notify_template": get("AGENCY_RETURN_NOTIFY_TEMPLATE"),
        "notify_base_url": get("AGENCY_RETURN_NOTIFY_BASE_URL"),
    }
    templates = {kind: get(f"AGENCY_RETURN_NOTIFY_TEMPLATE_{kind.upper()}") for kind in KINDS}
    return MailSettings(**{k: v for k, v in given.items() if v is not None},
                        notify_templates={k: v for k, v in templates.items() if v})
