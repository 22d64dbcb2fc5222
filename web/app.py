"""`create_app()`: the service assembled in one place — settings, database, sessions, security
headers, error handlers (no stack traces), static assets, the page templates (`web.pages`) and the
routes by area (`web.views`). Only the shells' entry points (`web.commands`) and tests import this module."""
from __future__ import annotations

import logging
import re
from contextlib import asynccontextmanager
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import URL, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from pipeline.core.calendar import QuarterNotCollected, collection_quarters
from pipeline.warehouse.locks import WarehouseBusy
from web import db, judging, pages, submissions
from web.access import SignInRequired, anyone
from web.settings import Settings, from_environment
from web.uploads import UploadRefused

HERE = Path(__file__).parent
STATIC = HERE / "static"
GOVUK = STATIC / "govuk-frontend"
log = logging.getLogger(__name__)

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
SESSION_HOURS = 8


def create_app(settings: Settings | None = None) -> FastAPI:
    """The service for `settings` (default: from the environment)."""
    settings = settings or from_environment()
    db.initialise(settings.database)
    submissions.scrub_other_la_answers(settings.database)
    settings.work.mkdir(parents=True, exist_ok=True, mode=0o700)
    app = FastAPI(title=settings.service_name, docs_url=None, redoc_url=None, openapi_url=None, lifespan=_lifespan)
    app.state.settings = settings
    app.state.templates = pages.templates(settings)
    app.state.oidc = None
    if settings.oidc_issuer:
        from web import oidc
        app.state.oidc = oidc.client(settings.oidc_issuer, settings.oidc_client_id, settings.oidc_client_secret)
    app.add_middleware(SessionMiddleware, secret_key=settings.secret_key, session_cookie="agency_return_session",
                       max_age=SESSION_HOURS * 3600, same_site="lax", https_only=settings.https)
    app.add_middleware(SecurityHeaders, https=settings.https)
    _error_handlers(app)
    _assets(app, settings)
    from web.views import admin, analyst, api, auth, council, insight
    for area in (auth, council, analyst, admin, api, insight):
        app.include_router(area.router)
    return app


class SecurityHeaders:
    """Every response gets SECURITY_HEADERS (and HSTS behind HTTPS), and `Cache-Control: no-store` but
    for static assets; a header the route set itself is kept. Plain ASGI: it only adds headers to the
    response's start, where `@app.middleware("http")` ran each request through a second task and
    re-streamed its body (~0.3 ms of the event loop's CPU a request)."""

    def __init__(self, app, https: bool):
        self.app, self.https = app, https

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        no_store = not URL(scope=scope).path.startswith(("/static/", "/assets/"))

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if self.https:
                    headers.setdefault("Strict-Transport-Security", "max-age=31536000")
                if no_store:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


@asynccontextmanager
async def _lifespan(app: FastAPI):
    """The workers judging uploads (`web.judging`) start with the service and stop with it."""
    judging.start()
    yield
    await run_in_threadpool(judging.shutdown)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


MESSAGES = {400: "The request could not be read.", 401: "Sign in to use this.", 403: "You cannot do that.",
            404: "Page not found", 405: "That cannot be done here.", 413: "The upload is too large.",
            422: "The request could not be read.", 429: "Too many attempts.", 503: "The service is busy", 500: "Sorry, there is a problem with the service"}


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def sign_in_required(request: Request, exc: SignInRequired):
        return RedirectResponse(f"/sign-in?next={quote(exc.next_url, safe='/')}", status_code=303)

    @app.exception_handler(UploadRefused)
    async def upload_refused(request: Request, exc: UploadRefused):
        if _is_api(request):
            return JSONResponse({"error": {"status": 422, "message": str(exc)}}, 422)
        return pages.error_page(request, 400, "There is a problem", str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail != _default_phrase(exc.status_code) \
            else MESSAGES.get(exc.status_code, "There is a problem.")
        if _is_api(request):
            return JSONResponse({"error": {"status": exc.status_code, "message": detail}}, exc.status_code,
                                headers=getattr(exc, "headers", None))
        return pages.error_page(request, exc.status_code, MESSAGES.get(exc.status_code, "There is a problem"), detail)

    @app.exception_handler(RequestValidationError)
    async def unreadable(request: Request, exc: RequestValidationError):
        fields = sorted({".".join(str(p) for p in e.get("loc", ())[1:]) for e in exc.errors()})
        message = f"Check {', '.join(fields) or 'the request'}: a value is missing or not in the form expected."
        if _is_api(request):
            return JSONResponse({"error": {"status": 422, "message": message}}, 422)
        return pages.error_page(request, 400, "There is a problem", message)

    @app.exception_handler(QuarterNotCollected)
    async def not_collected(request: Request, exc: QuarterNotCollected):
        if _is_api(request):
            return JSONResponse({"error": {"status": 422, "message": str(exc)}}, 422)
        return pages.render(request, "views/quarter-not-collected.html", 422, message=str(exc),
                            action=request.url.path, quarter=request.query_params.get("quarter", ""),
                            quarters=collection_quarters(), error_title=True)

    @app.exception_handler(WarehouseBusy)
    async def busy(request: Request, exc: WarehouseBusy):
        message = ("The service is busy recording other returns. Nothing was recorded from this request: "
                   "try again in a minute.")
        if _is_api(request):
            return JSONResponse({"error": {"status": 503, "message": message}}, 503, headers={"Retry-After": "30"})
        return pages.error_page(request, 503, MESSAGES[503], message)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        if _is_api(request):
            return JSONResponse({"error": {"status": 500, "message": MESSAGES[500]}}, 500)
        return pages.error_page(request, 500, MESSAGES[500], "Try again later. Nothing you sent has been lost if the "
                                                            "page said it was recorded.")


def _default_phrase(status: int) -> str:
    from http import HTTPStatus
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _assets(app: FastAPI, settings: Settings) -> None:
    """GOV.UK Frontend's CSS, JS and assets from the vendored copy; the GDS Transport font only on gov.uk."""
    css = _stylesheet(settings.gov_uk_domain)

    @anyone
    async def stylesheet(request: Request) -> Response:
        return Response(css, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})

    app.add_api_route("/static/govuk-frontend/govuk-frontend.min.css", stylesheet, include_in_schema=False)
    if not settings.gov_uk_domain:
        @anyone
        async def no_font(request: Request) -> Response:
            return Response(status_code=404)
        app.add_api_route("/assets/fonts/{name}", no_font, include_in_schema=False)
    app.mount("/assets", StaticFiles(directory=GOVUK / "assets"), name="assets")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")


@lru_cache(maxsize=2)
def _stylesheet(gov_uk_domain: bool) -> str:
    """The vendored stylesheet; off gov.uk, without the GDS Transport @font-face rules and family."""
    css = (GOVUK / "govuk-frontend.min.css").read_text(encoding="utf-8")
    if gov_uk_domain:
        return css
    css = re.sub(r"@font-face\{font-family:GDS Transport;[^}]*\}", "", css)
    return css.replace("font-family:GDS Transport,", "font-family:")
