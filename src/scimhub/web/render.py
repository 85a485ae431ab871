"""Rendering for every screen: pages, htmx fragments, redirects, and feedback messages.

``render`` draws a template with what every page needs (the session, the navigation, the
messages); for an htmx request with a ``success`` message it adds the message to the page's
status region as an out-of-band swap. ``redirect`` answers a form with a 303 (or
``HX-Redirect`` for htmx) and carries ``success`` to the next page in a one-shot cookie.
Errors are not rendered here by screens: they raise ``problems.Problem`` and the handlers
in ``errors.py`` show it (``alert``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from jinja2 import Environment, PackageLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from .cookies import FLASH_COOKIE, clear_cookie, set_cookie
from .paths import UI_PREFIX, ui

__all__ = ["HTMX_FILE", "NAV", "alert", "is_htmx", "redirect", "render"]

HTMX_FILE = "htmx-2.0.11.min.js"
CSRF_FIELD = "csrf_token"
_FLASH_SECONDS = 60


@dataclass(frozen=True, slots=True)
class NavItem:
    label: str
    path: str


#: The left navigation, in order; each screen module serves the pages under its path.
NAV = (
    NavItem("Users", "/users"),
    NavItem("User Groups", "/groups"),
    NavItem("SSO Applications", "/applications"),
    NavItem("API Access", "/api-access"),
)


def is_htmx(request: Request) -> bool:
    """A request made by htmx (it answers with a fragment, not a whole page)."""
    return request.headers.get("HX-Request") == "true"


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
    success: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """``template`` with ``context``; ``success`` is shown in the status region."""
    flash = None if is_htmx(request) else request.cookies.get(FLASH_COOKIE)
    shown = success or (unquote(flash) if flash else None)
    values = _page_values(request) | {"success": shown} | dict(context or {})
    body = _env.get_template(template).render(values)
    if success and is_htmx(request):
        body += _env.get_template("_feedback.html").render(region="status", text=success)
    response = HTMLResponse(body, status_code=status, headers=headers)
    response.headers["Cache-Control"] = "no-store"  # pages carry CSRF tokens and data
    if flash:
        clear_cookie(request, response, FLASH_COOKIE)
    return response


def alert(request: Request, message: str, *, status: int) -> HTMLResponse:
    """An error for the admin: in the alert region for htmx, else a page that says it."""
    if not is_htmx(request):
        return render(request, "error.html", {"message": message}, status=status)
    body = _env.get_template("_message.html").render(kind="error", text=message)
    htmx = {"HX-Retarget": "#alert", "HX-Reswap": "innerHTML"}
    return HTMLResponse(body, status_code=status, headers=htmx | {"Cache-Control": "no-store"})


def redirect(request: Request, path: str, *, success: str | None = None) -> Response:
    """After a successful form: go to ``path`` (a UI path like ``/users``), and show
    ``success`` there."""
    target = path if path.startswith(UI_PREFIX + "/") else ui(path)
    response: Response
    if is_htmx(request):
        response = Response(status_code=200, headers={"HX-Redirect": target})
    else:
        response = RedirectResponse(target, status_code=303)
    if success:
        set_cookie(request, response, FLASH_COOKIE, quote(success), max_age=_FLASH_SECONDS)
    return response


def _page_values(request: Request) -> dict[str, Any]:
    return {
        "request": request,
        "session": getattr(request.state, "session", None),
        "path": request.url.path,
    }


@pass_context
def _csrf_field(context: Context) -> Markup:
    """The hidden CSRF input of a form: the session's token (or the sign-in form's)."""
    session = context.get("session")
    token = session.csrf_token if session is not None else context.get("sign_in_token", "")
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, token)


def _static(name: str) -> str:
    return ui("/static/" + name)


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("scimhub.web", "templates"),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals |= {"ui": ui, "static": _static, "csrf_field": _csrf_field, "nav": NAV}
    env.globals["htmx_file"] = HTMX_FILE
    return env


_env = _environment()
