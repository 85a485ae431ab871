"""Who is signed in, and the CSRF check of every state-changing request.

Every screen router is included with ``Depends(guard)``: a request without a live session
raises ``SignInRequired`` (the handler sends the browser to the sign-in page), and a POST,
PUT, PATCH or DELETE must carry the session's CSRF token, as the form field ``csrf_token``
or, from htmx, the ``X-CSRF-Token`` header that ``<body hx-headers>`` adds. A mismatch
raises ``CsrfRejected`` (403) before the route runs, so nothing is changed.

Routes take what they need as annotated parameters: ``hub: HubDep``,
``session: SessionDep``.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

from scimhub.hub import Hub
from scimhub.storage.admin_sessions import AdminSession, AdminSessions

from .cookies import SESSION_COOKIE
from .render import CSRF_FIELD

__all__ = [
    "CSRF_HEADER",
    "CsrfRejected",
    "HubDep",
    "SessionDep",
    "SignInRequired",
    "csrf_matches",
    "guard",
    "hub_of",
    "recognise",
    "sessions_of",
]

CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


class SignInRequired(Exception):
    """No live session: the admin must sign in (again)."""


class CsrfRejected(Exception):
    """The request's CSRF token is missing or wrong; nothing was done."""


def hub_of(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


def sessions_of(request: Request) -> AdminSessions:
    sessions: AdminSessions = request.app.state.sessions
    return sessions


def csrf_matches(sent: str | None, expected: str) -> bool:
    """Constant-time comparison; an absent or empty token never matches."""
    if not sent or not expected:
        return False
    return hmac.compare_digest(sent.encode(), expected.encode())


def recognise(request: Request) -> AdminSession | None:
    """The live session of the request's cookie, kept on ``request.state.session`` for
    the templates; None without one. It reads the database: call it from a thread."""
    token = request.cookies.get(SESSION_COOKIE)
    session = sessions_of(request).find(token) if token else None
    request.state.session = session
    return session


def _signed_in(request: Request) -> AdminSession:
    """A synchronous dependency, so FastAPI runs it (and its database read) in its pool."""
    session = recognise(request)
    if session is None:
        raise SignInRequired()
    return session


async def guard(
    request: Request, session: Annotated[AdminSession, Depends(_signed_in)]
) -> AdminSession:
    """A signed-in admin, and for unsafe methods a matching CSRF token."""
    unsafe = request.method not in _SAFE_METHODS
    if unsafe and not csrf_matches(await _sent_token(request), session.csrf_token):
        raise CsrfRejected()
    return session


async def _sent_token(request: Request) -> str | None:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if not request.headers.get("content-type", "").startswith(_FORMS):
        return None
    value = (await request.form()).get(CSRF_FIELD)  # parsed once; the route reuses it
    return value if isinstance(value, str) else None


HubDep = Annotated[Hub, Depends(hub_of)]
SessionDep = Annotated[AdminSession, Depends(guard)]
