"""Problems the hub's services report, each knowing its HTTP status and a stable code.

The directory and applications services raise these; the REST API renders them with one
exception handler and the CLI prints them. They import nothing, so every layer may use them.
"""

from __future__ import annotations

__all__ = [
    "Conflict",
    "Invalid",
    "NotFound",
    "Problem",
    "Refused",
    "Throttled",
    "Upstream",
]


class Problem(Exception):
    """Base class: ``status`` is the HTTP status, ``code`` a stable machine-readable name."""

    status = 400
    code = "problem"

    def __init__(self, detail: str, *, errors: list[dict[str, object]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []

    def as_dict(self) -> dict[str, object]:
        body: dict[str, object] = {"error": self.code, "detail": self.detail}
        if self.errors:
            body["errors"] = self.errors
        return body


class Invalid(Problem):
    """The input is malformed or breaks a rule of the data (a bad email, an empty label)."""

    status = 422
    code = "invalid"


class NotFound(Problem):
    status = 404
    code = "not_found"


class Conflict(Problem):
    """The input collides with existing data (a username or group name already taken)."""

    status = 409
    code = "conflict"


class Refused(Problem):
    """The action is not allowed in the current state; ``detail`` says what to do instead."""

    status = 409
    code = "refused"


class Throttled(Problem):
    """Too many attempts: ``retry_after`` seconds must pass before the next one."""

    status = 429
    code = "throttled"

    def __init__(self, detail: str, *, retry_after: float) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class Upstream(Problem):
    """The application behind an action failed or refused (5xx, timeout, 401): ``detail``
    quotes why; nothing was changed in the hub."""

    status = 502
    code = "application_error"
