"""Optional OpenID Connect sign-in (a council's or DfE's own identity provider), through authlib.

Configured by environment: AGENCY_RETURN_WEB_OIDC_ISSUER (the provider's issuer URL; its
/.well-known/openid-configuration is read), _CLIENT_ID, _CLIENT_SECRET and _NAME (shown on the
button). The provider proves who someone is; what they may do comes from their account here: an
ID token's verified email must belong to an active user, made beforehand by an admin.
"""
from __future__ import annotations

from authlib.integrations.starlette_client import OAuth

PROVIDER = "provider"


def client(issuer: str, client_id: str, client_secret: str):
    """The authlib client for one provider (metadata fetched on first use)."""
    oauth = OAuth()
    oauth.register(PROVIDER, server_metadata_url=issuer.rstrip("/") + "/.well-known/openid-configuration",
                   client_id=client_id, client_secret=client_secret, client_kwargs={"scope": "openid email"})
    return oauth.create_client(PROVIDER)


def verified_email(token: dict) -> str | None:
    """The email an ID token vouches for, or None if it gives none or says it is unverified."""
    claims = token.get("userinfo") or {}
    email = claims.get("email")
    if not email or claims.get("email_verified") is False:
        return None
    return str(email)
