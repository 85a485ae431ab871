"""Where the web UI lives: its URL prefix, and the only redirect targets it accepts."""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["UI_PREFIX", "safe_next", "ui"]

#: The composition mounts the UI here; cookies are scoped to it (``Path=/ui``).
UI_PREFIX = "/ui"


def ui(path: str = "/") -> str:
    """The absolute path of a UI page: ``ui("/users")`` is ``/ui/users``."""
    return UI_PREFIX + (path if path.startswith("/") else "/" + path)


def safe_next(target: str | None) -> str:
    """``target`` if it is a page of this UI (no scheme, no host, under the prefix), else
    the home page: a sign-in link must not send the admin to another site."""
    if not target or "\\" in target or target.startswith("//"):
        return ui("/")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(UI_PREFIX + "/"):
        return ui("/")
    return target
