"""Rendering pages: the Jinja environment (page templates, GOV.UK Frontend's macros, a strict
Undefined, the filters of `web.filters`), the service navigation per role, `render` and the error page.
Views import this module, never `web.app`."""
from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    PrefixLoader,
    Undefined,
    select_autoescape,
)
from starlette.templating import Jinja2Templates

from web import filters
from web.sessions import csrf_token
from web.settings import Settings

TEMPLATES = Path(__file__).parent / "templates"


class StrictUndefined(Undefined):
    """A missing variable fails when printed (a page never shows a silent blank), but may still be
    tested and iterated, which the GOV.UK macros rely on for their optional parameters."""

    __str__ = Undefined._fail_with_undefined_error
    __html__ = Undefined._fail_with_undefined_error


def templates(settings: Settings) -> Jinja2Templates:
    """The page templates (`web/templates/`) and GOV.UK Frontend's macros under `govuk_frontend_jinja/`,
    with `settings`, `csrf_token`, `navigation` and the filters of `web.filters` at hand."""
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(TEMPLATES),
                             PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")})]),
        autoescape=select_autoescape(("html", "svg")), undefined=StrictUndefined, trim_blocks=True,
        lstrip_blocks=True)
    env.globals.update(settings=settings, csrf_token=csrf_token, navigation=navigation)
    filters.register(env)
    return Jinja2Templates(env=env)


NAVIGATION = {
    "la": (("/upload", "Upload a return"), ("/submissions", "Your returns"), ("/template", "Template"),
           ("/compare", "How you compare")),
    "riia": (("/analyst/status", "Status"), ("/analyst/regions", "Regions"), ("/analyst/compare", "Regions together")),
    "dfe": (("/analyst/status", "Status"), ("/analyst/regions", "Regions"), ("/analyst/compare", "Regions together")),
    "admin": (("/admin/users", "Users"), ("/admin/collection", "Collection"), ("/admin/audit", "Audit log")),
}


def navigation(request: Request, user) -> list[dict]:
    """The service navigation for the user's role, the current area marked active."""
    if user is None:
        return []
    return [{"href": href, "text": text, "active": request.url.path.startswith(href)}
            for href, text in NAVIGATION[user.role]]


def render(request: Request, template: str, status_code: int = 200, **context) -> HTMLResponse:
    """A page: its template with the request, the signed-in user (if any) and `context`."""
    user = getattr(request.state, "user", None)
    return request.app.state.templates.TemplateResponse(request, template, {"user": user, **context},
                                                        status_code=status_code)


def error_page(request: Request, status_code: int, heading: str, message: str) -> HTMLResponse:
    """`views/error.html` with its status: the heading, then `message` (a 404 says to check the address
    instead) and a link to the start page."""
    return render(request, "views/error.html", status_code, status=status_code, heading=heading, message=message)
