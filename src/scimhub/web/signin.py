"""Sign-in and sign-out.

The sign-in form is protected before any session exists by a double-submit token: a random
value in an HttpOnly cookie that the form must repeat, so another site cannot sign a
browser in to an account of its choosing. A successful sign-in starts a new server-side
session (a fresh token: a token planted before sign-in is never promoted).

Attempts are limited per client address as well as per account (``throttle.py``): the
address's limit is checked before any password work, so a client guessing many (or unknown)
names is slowed down too; both refusals are the same ``Throttled`` (429 and Retry-After).
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from scimhub.problems import Problem, Throttled

from .auth import CsrfRejected, HubDep, csrf_matches, guard, sessions_of
from .cookies import SESSION_COOKIE, SIGN_IN_COOKIE, clear_cookie, set_cookie
from .errors import retry_after
from .paths import safe_next
from .render import redirect, render
from .throttle import AddressThrottle

__all__ = ["router"]

router = APIRouter()
FormText = Annotated[str, Form()]


@router.get("/sign-in")
def sign_in_page(request: Request, next: str | None = None) -> Response:
    return _form(request, next_url=safe_next(next))


@router.post("/sign-in")
def sign_in(
    request: Request,
    hub: HubDep,
    *,
    username: FormText = "",
    password: FormText = "",
    csrf_token: FormText = "",
    next: FormText = "",
) -> Response:
    if not csrf_matches(csrf_token, request.cookies.get(SIGN_IN_COOKIE, "")):
        raise CsrfRejected()
    address, throttle = _client_address(request), _throttle_of(request)
    try:
        throttle.admit(address)  # before any argon2 work; counts until a success
        account = hub.admins.sign_in(username, password)
    except Problem as exc:  # wrong name or password, or throttled: shown on the form
        headers = retry_after(exc) if isinstance(exc, Throttled) else None
        return _form(
            request,
            safe_next(next),
            username=username,
            error=exc.detail,
            status=exc.status,
            headers=headers,
        )
    throttle.succeeded(address)
    response = RedirectResponse(safe_next(next), status_code=303)
    set_cookie(request, response, SESSION_COOKIE, sessions_of(request).start(account.id))
    clear_cookie(request, response, SIGN_IN_COOKIE)
    return response


@router.post("/sign-out", dependencies=[Depends(guard)])
def sign_out(request: Request) -> Response:
    sessions_of(request).end(request.cookies.get(SESSION_COOKIE, ""))
    response = redirect(request, "/sign-in", success="You have signed out.")
    clear_cookie(request, response, SESSION_COOKIE)
    return response


def _client_address(request: Request) -> str:
    """The client's address as the ASGI server reports it (uvicorn rewrites it from
    ``X-Forwarded-For`` only for the proxies the operator trusts: ``FORWARDED_ALLOW_IPS``)."""
    return request.client.host if request.client else "unknown"


def _throttle_of(request: Request) -> AddressThrottle:
    throttle: AddressThrottle = request.app.state.sign_in_throttle
    return throttle


def _form(
    request: Request,
    next_url: str,
    *,
    username: str = "",
    error: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """The sign-in page, with its double-submit token in the form and in a cookie."""
    token = request.cookies.get(SIGN_IN_COOKIE) or secrets.token_urlsafe(32)
    context = {"sign_in_token": token, "next": next_url, "username": username, "error": error}
    response = render(request, "sign_in.html", context, status=status, headers=headers)
    set_cookie(request, response, SIGN_IN_COOKIE, token)
    return response
