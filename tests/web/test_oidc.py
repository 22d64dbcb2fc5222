"""OpenID Connect sign-in against a small provider this test runs on 127.0.0.1 (a free port):
discovery, authorize, token (an RS256 ID token with the nonce), JWKS."""
from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import RSAKey

from web import accounts, db
from web.app import create_app
from web.settings import Settings

CLIENT_ID, CLIENT_SECRET = "agency-return", "provider secret"


class Provider:
    """The identity provider: `email` (and `verified`) is who the next person to sign in is."""

    def __init__(self):
        self.key = RSAKey.generate_key(2048, private=True, parameters={"kid": "test"})
        self.email, self.verified = None, True
        self.codes: dict[str, dict] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _json(self, body, status=200):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                url = urlsplit(self.path)
                if url.path == "/.well-known/openid-configuration":
                    return self._json({"issuer": provider.issuer, "authorization_endpoint": provider.issuer + "/authorize",
                                       "token_endpoint": provider.issuer + "/token", "jwks_uri": provider.issuer + "/jwks",
                                       "response_types_supported": ["code"], "subject_types_supported": ["public"],
                                       "id_token_signing_alg_values_supported": ["RS256"]})
                if url.path == "/jwks":
                    return self._json({"keys": [provider.key.as_dict(private=False)]})
                if url.path == "/authorize":
                    q = {k: v[0] for k, v in parse_qs(url.query).items()}
                    assert q["client_id"] == CLIENT_ID and q["response_type"] == "code"
                    code = uuid.uuid4().hex
                    provider.codes[code] = {"nonce": q.get("nonce"), "email": provider.email}
                    self.send_response(302)
                    self.send_header("Location", q["redirect_uri"] + "?" + urlencode({"code": code, "state": q["state"]}))
                    self.end_headers()
                    return None
                return self._json({"error": "not_found"}, 404)

            def do_POST(self):
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()).items()}
                grant = provider.codes.pop(form.get("code"), None)
                if grant is None:
                    return self._json({"error": "invalid_grant"}, 400)
                now = int(time.time())
                claims = {"iss": provider.issuer, "sub": grant["email"], "aud": CLIENT_ID, "iat": now, "exp": now + 300,
                          "nonce": grant["nonce"], "email": grant["email"], "email_verified": provider.verified}
                token = jwt.encode({"alg": "RS256", "kid": "test"}, claims, provider.key)
                return self._json({"access_token": uuid.uuid4().hex, "token_type": "Bearer", "expires_in": 300,
                                   "id_token": token})

        return Handler


@pytest.fixture(scope="module")
def provider():
    p = Provider()
    thread = threading.Thread(target=p.server.serve_forever, daemon=True)
    thread.start()
    yield p
    p.server.shutdown()
    p.server.server_close()


@pytest.fixture
def app(provider, service_home):
    settings = Settings(data=service_home / "data", secret_key="test secret", oidc_issuer=provider.issuer,
                        oidc_client_id=CLIENT_ID, oidc_client_secret=CLIENT_SECRET, oidc_name="Camden's account")
    db.initialise(settings.database)
    accounts.add_user(settings.database, "data@camden.example", "la", la_code="202")
    return create_app(settings)


def sign_in_through(provider, app, email, verified=True):
    provider.email, provider.verified = email, verified
    client = TestClient(app, follow_redirects=False)
    page = client.get("/sign-in").text
    assert "Sign in with Camden&#39;s account" in page
    to_provider = client.get("/sign-in/oidc")
    assert to_provider.status_code in (302, 303) and to_provider.headers["location"].startswith(provider.issuer)
    back = httpx.get(to_provider.headers["location"], follow_redirects=False)
    callback = urlsplit(back.headers["location"])
    return client, client.get(f"{callback.path}?{callback.query}")


def test_a_user_signs_in_with_their_identity_provider(provider, app):
    client, r = sign_in_through(provider, app, "data@camden.example")
    assert r.status_code == 303 and r.headers["location"] == "/submissions"
    assert client.get("/upload").status_code == 200


def test_an_email_with_no_account_here_is_refused(provider, app):
    client, r = sign_in_through(provider, app, "stranger@camden.example")
    assert r.status_code == 400 and "There is no account for that email address" in r.text
    assert client.get("/upload").status_code == 303


def test_an_unverified_email_is_refused(provider, app):
    _, r = sign_in_through(provider, app, "data@camden.example", verified=False)
    assert r.status_code == 400


def test_without_an_issuer_there_is_no_provider_sign_in(service_home):
    client = TestClient(create_app(Settings(data=service_home / "data", secret_key="x")), follow_redirects=False)
    assert client.get("/sign-in/oidc").status_code == 404
    assert "Sign in with" not in client.get("/sign-in").text
