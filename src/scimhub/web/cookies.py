"""The UI's cookies: HttpOnly, SameSite=Lax, ``Path=/ui``, Secure when the request is https."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from .paths import UI_PREFIX

__all__ = ["FLASH_COOKIE", "SESSION_COOKIE", "SIGN_IN_COOKIE", "clear_cookie", "set_cookie"]

#: The session token (its SHA-256 digest is the session's key in the database).
SESSION_COOKIE = "scimhub_session"
#: The sign-in form's double-submit CSRF token, before there is a session.
SIGN_IN_COOKIE = "scimhub_sign_in"
#: A success message carried over a redirect, shown once by the next page.
FLASH_COOKIE = "scimhub_flash"


def set_cookie(
    request: Request, response: Response, name: str, value: str, *, max_age: int | None = None
) -> None:
    """Set ``name``; without ``max_age`` it is a browser-session cookie."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=UI_PREFIX,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="lax",
    )


def clear_cookie(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(
        name, path=UI_PREFIX, secure=request.url.scheme == "https", httponly=True, samesite="lax"
    )
