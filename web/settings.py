"""The service's settings, read once from the environment when the app is made."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.core import config
from pipeline.notify import settings as mail_settings
from pipeline.notify.settings import MailSettings


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Settings:
    """What a deployment decides.

    `gov_uk_domain`: the service runs on a gov.uk domain, so the GOV.UK crown, logotype and
    GDS Transport font may be used (they are reserved for gov.uk; off by default).
    `https`: cookies are marked Secure (set it behind an HTTPS proxy).
    `max_upload_mb`: the upload limit, enforced while reading (default: the guard's max_file_mb).
    Sign-in throttling (`web.throttle`), never a lock-out: after `sign_in_free_failures` failures in a
    row for an account (within `sign_in_window_minutes`), each attempt waits twice as long as the one
    before, from 1 s up to `sign_in_max_wait_seconds`; from one address, four times as many failures are
    free and the wait grows to `sign_in_max_wait_seconds` × 5.
    Sessions (`web.session_store`) end after `session_idle_minutes` without a request and
    `session_hours` after they began; API tokens last `token_days` unless made with another expiry.
    `mail`: how email is sent (`pipeline.notify.settings`, shared with the flows).
    `oidc_*`: optional OpenID Connect sign-in (`web/oidc.py`), on when an issuer is given.
    """

    data: Path
    secret_key: str
    gov_uk_domain: bool = False
    https: bool = False
    max_upload_mb: float = field(default_factory=lambda: float(config.threshold("max_file_mb")))
    sign_in_free_failures: int = 3
    sign_in_max_wait_seconds: int = 60
    sign_in_window_minutes: int = 15
    session_idle_minutes: int = 30
    session_hours: int = 12
    token_days: int = 90
    mail: MailSettings = field(default_factory=MailSettings)
    service_name: str = "Agency social work return"
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_name: str = "your organisation's account"

    @property
    def database(self) -> Path:
        return self.data / "web.sqlite"

    @property
    def work(self) -> Path:
        """Uploads being read and feedback workbooks kept (0700)."""
        return self.data / "web"


def _number(name: str) -> dict[str, int]:
    """{setting: value} for AGENCY_RETURN_WEB_<SETTING> when it is set (a whole number); ValueError if not one."""
    value = os.environ.get(f"AGENCY_RETURN_WEB_{name.upper()}", "").strip()
    if not value:
        return {}
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"AGENCY_RETURN_WEB_{name.upper()} must be a whole number above 0, not {value!r}")
    return {name: int(value)}


def from_environment() -> Settings:
    """Settings from AGENCY_RETURN_WEB_* variables (AGENCY_RETURN_WEB_SESSION_IDLE_MINUTES, …_SESSION_HOURS,
    …_TOKEN_DAYS among them) and the mail settings (`pipeline.notify.settings`); the session key is kept in
    data/web-secret.key (0600)."""
    data = config.data_dir()
    return Settings(
        mail=mail_settings.from_environment(),
        **_number("session_idle_minutes"), **_number("session_hours"), **_number("token_days"),
        data=data,
        secret_key=os.environ.get("AGENCY_RETURN_WEB_SECRET") or _kept_secret(data / "web-secret.key"),
        gov_uk_domain=_flag("AGENCY_RETURN_WEB_GOV_UK"),
        https=_flag("AGENCY_RETURN_WEB_HTTPS"),
        oidc_issuer=os.environ.get("AGENCY_RETURN_WEB_OIDC_ISSUER") or None,
        oidc_client_id=os.environ.get("AGENCY_RETURN_WEB_OIDC_CLIENT_ID") or None,
        oidc_client_secret=os.environ.get("AGENCY_RETURN_WEB_OIDC_CLIENT_SECRET") or None,
        **({"oidc_name": os.environ["AGENCY_RETURN_WEB_OIDC_NAME"]} if os.environ.get("AGENCY_RETURN_WEB_OIDC_NAME")
           else {}),
        **({"max_upload_mb": float(os.environ["AGENCY_RETURN_WEB_MAX_UPLOAD_MB"])}
           if os.environ.get("AGENCY_RETURN_WEB_MAX_UPLOAD_MB") else {}),
    )


def _kept_secret(path: Path) -> str:
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:   # another process made it first
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value)
    return value
