"""The UI's exception handlers, registered once (as the REST API does): screens call the
hub's services and let a ``Problem`` rise; it is shown to the admin in the page's alert
region (htmx) or as an error page, with the problem's HTTP status."""

from __future__ import annotations

import logging
import math
from urllib.parse import urlencode, urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from scimhub.problems import Problem, Throttled
from scimhub.scim.errors import InvalidValue

from .auth import CsrfRejected, SignInRequired, recognise
from .paths import ui
from .render import alert, is_htmx

__all__ = ["CSRF_MESSAGE", "register_errors", "retry_after"]

log = logging.getLogger(__name__)

CSRF_MESSAGE = (
    "This form was not accepted: its security token is missing or out of date "
    "(CSRF check). Nothing was changed. Reload the page and try again."
)
_COLLIDED = (
    "A concurrent change collided with this one; nothing was changed. "
    "Reload the page to see the current state and try again."
)
_STATUS_TEXT = {404: "This page does not exist.", 405: "This action is not available here."}


def retry_after(exc: Throttled) -> dict[str, str]:
    """RFC 9110 §10.2.3: whole seconds."""
    return {"Retry-After": str(max(1, math.ceil(exc.retry_after)))}


def register_errors(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def problem(request: Request, exc: Problem) -> Response:
        response = alert(request, exc.detail, status=exc.status)
        if isinstance(exc, Throttled):
            response.headers.update(retry_after(exc))
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_form(request: Request, exc: RequestValidationError) -> Response:
        fields = sorted({str(e.get("loc", ("", "form"))[-1]) for e in exc.errors()})
        message = f"The form is incomplete or not valid: {', '.join(fields)}."
        return alert(request, message, status=422)

    @app.exception_handler(InvalidValue)
    async def unstorable(request: Request, exc: InvalidValue) -> Response:
        return alert(request, exc.detail, status=422)

    @app.exception_handler(IntegrityError)
    async def collided(request: Request, exc: IntegrityError) -> Response:
        log.warning("Integrity error on %s %s: %s", request.method, request.url.path, exc.orig)
        return alert(request, _COLLIDED, status=409)

    @app.exception_handler(CsrfRejected)
    async def csrf_rejected(request: Request, _: CsrfRejected) -> Response:
        return alert(request, CSRF_MESSAGE, status=403)

    @app.exception_handler(SignInRequired)
    async def sign_in_required(request: Request, _: SignInRequired) -> Response:
        return to_sign_in(request)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        # A signed-in admin keeps the navigation; others sign in first (no page list leaks).
        if await run_in_threadpool(recognise, request) is None and exc.status_code == 404:
            return to_sign_in(request)
        message = _STATUS_TEXT.get(exc.status_code, str(exc.detail))
        return alert(request, message, status=exc.status_code)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("Unexpected error on %s %s", request.method, request.url.path)
        message = "An unexpected error occurred; see the server log. Reload to see what changed."
        return alert(request, message, status=500)


def to_sign_in(request: Request) -> Response:
    """To the sign-in page, coming back afterwards to the page the admin was on."""
    url = ui("/sign-in")
    back = _page_of(request)
    if back:
        url += "?" + urlencode({"next": back})
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def _page_of(request: Request) -> str | None:
    if is_htmx(request):  # the page the fragment was requested from
        current = urlsplit(request.headers.get("HX-Current-URL", ""))
        return current.path + (f"?{current.query}" if current.query else "") or None
    if request.method != "GET":
        return None
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")
