"""One call to the target, timed and written down as a provisioning log entry.

Every lookup, create, update, deprovision and delete goes through ``Calls.run``: the entry
carries the request summary (method, path, attribute names; never the token), the outcome
named for what the engine does next, the target's HTTP status and message, and the time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from scimhub.storage.resources import now_utc

from .log import LogEntry
from .outcomes import RemoteFailure, Stop, Transient

__all__ = ["Calls", "Subject", "status_of"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Subject:
    app_id: str
    user_id: str | None
    username: str | None


@dataclass(slots=True)
class Calls:
    """The entries of one unit of work; ``observer`` sees each as it happens (the CLI)."""

    dry_run: bool = False
    observer: Callable[[LogEntry], None] | None = None
    entries: list[LogEntry] = field(default_factory=list)

    def run(
        self,
        subject: Subject,
        action: str,
        summary: str,
        call: Callable[[], T],
        describe: Callable[[T], str | None] | None = None,
    ) -> T:
        started = time.perf_counter()
        try:
            result = call()
        except RemoteFailure as exc:
            self.add(subject, action, status_of(exc), summary, exc.message, exc.status, started)
            raise
        ok = "planned" if self.dry_run and action != "lookup" else "ok"
        note = None if describe is None else describe(result)
        self.add(subject, action, ok, summary, note, None, started)
        return result

    def add(  # noqa: PLR0917  (a log entry's fields, in the log's column order)
        self,
        subject: Subject,
        action: str,
        status: str,
        summary: str,
        message: str | None = None,
        http_status: int | None = None,
        started: float | None = None,
    ) -> None:
        elapsed = None if started is None else round((time.perf_counter() - started) * 1000)
        entry = LogEntry(
            at=now_utc(),
            app_id=subject.app_id,
            user_id=subject.user_id,
            username=subject.username,
            action=action,
            status=status,
            summary=summary,
            http_status=http_status,
            message=message,
            elapsed_ms=elapsed,
        )
        self.entries.append(entry)
        if self.observer is not None:
            self.observer(entry)


def status_of(exc: RemoteFailure) -> str:
    """retry (transient), error (rejected for this user), stopped (the application stops)."""
    if isinstance(exc, Transient):
        return "retry"
    if isinstance(exc, Stop):
        return "stopped"
    return "error"
