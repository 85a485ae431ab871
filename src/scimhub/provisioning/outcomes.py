"""What the wire said, named for what the engine does next (DESIGN.md, "Connector contract").

A connector raises one of these for every failed call, translated once at its boundary:

- :class:`Transient`: try this user again later, with backoff (5xx, 408, timeouts, a dropped
  connection, an unreadable answer); :class:`RateLimited` (429) says when, from Retry-After.
- :class:`Rejected`: the target refuses this user's request for good (a 4xx); the link is put
  in error with the target's own words. :class:`AlreadyExists` (409 on create) and
  :class:`Gone` (404 on the user's own URL) are the rejections the engine can repair.
- :class:`Stop`: no request to this application can succeed until an admin acts (401, 403,
  TLS, a redirect, 404 on the collection): the application is stopped and the reason shown.

Messages are for admins: already redacted by the connector (no piece of a token) and bounded.
"""

from __future__ import annotations

from scimhub.applications.capabilities import printable

__all__ = [
    "MAX_MESSAGE",
    "AlreadyExists",
    "Gone",
    "RateLimited",
    "Rejected",
    "RemoteFailure",
    "Stop",
    "Transient",
]

MAX_MESSAGE = 300


class RemoteFailure(Exception):
    """A failed call to a target: ``message`` (redacted, at most 300 characters), ``status``.

    ``status`` is the HTTP status of the answer, None when there was none (a timeout).
    """

    kind = "failure"

    def __init__(self, message: str, *, status: int | None = None) -> None:
        self.message = printable(message, MAX_MESSAGE)
        self.status = status
        super().__init__(self.message)


class Transient(RemoteFailure):
    """Retry with backoff; ``retry_after`` (seconds) when the target said when."""

    kind = "transient"

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class RateLimited(Transient):
    """429 Too Many Requests (RFC 6585 §4): retry after ``retry_after`` seconds when given."""

    kind = "rate_limited"


class Rejected(RemoteFailure):
    """A permanent refusal of this user's request (a 4xx), quoting the target's detail."""

    kind = "rejected"


class AlreadyExists(Rejected):
    """409, or 400 with scimType ``uniqueness``, on create (RFC 7644 §3.3): look up and link."""

    kind = "exists"


class Gone(Rejected):
    """404 on the user's own URL (RFC 7644 §3.12): the remote user vanished."""

    kind = "gone"


class Stop(RemoteFailure):
    """Stop the application: the token, TLS, a redirect or the base URL is wrong."""

    kind = "stop"
