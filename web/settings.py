"""The service's settings, read once from the environment when the app is made."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.core import config


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
    `sign_in_attempts` failures per `sign_in_window_minutes` per email (four times as many per
    address), then refused.
    `oidc_*`: optional OpenID Connect sign-in (`web/oidc.py`), on when an issuer is given.
    """

    data: Path
    secret_key: str
    gov_uk_domain: bool = False
    https: bool = False
    max_upload_mb: float = field(default_factory=lambda: float(config.threshold("max_file_mb")))
    sign_in_attempts: int = 5
    sign_in_window_minutes: int = 15
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


def from_environment() -> Settings:
    """Settings from AGENCY_RETURN_WEB_* variables; the session key is kept in data/web-secret.key (0600)."""
    data = config.data_dir()
    return Settings(
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
