"""The provisioning log: every request the engine makes of a target, and its outcome.

The engine writes entries with ``write_log`` inside the transaction that records the
outcome, so the log and the link state commit together. Admins read an application's log
newest first (``ProvisioningLog.list``), filtered by user, status or action, a page at a
time on a keyset cursor (no OFFSET: a page costs the same on the millionth entry).

Summaries name the request (``PATCH /Users/8f3…: replace title``), never a token.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, String, cast, delete, insert, select

from scimhub.applications.apps import resolve
from scimhub.problems import Invalid
from scimhub.storage.keyset import Page, decode_after, page_limit, paged
from scimhub.storage.provisioning_tables import provisioning_log
from scimhub.storage.transactions import read_tx, write_tx

__all__ = ["ACTIONS", "MAX_TEXT", "STATUSES", "LogEntry", "ProvisioningLog", "write_log"]

#: What the engine did: a request to the target, or a change of the application's state.
ACTIONS = (
    "lookup",
    "create",
    "link",
    "update",
    "reactivate",
    "deactivate",
    "delete",
    "quarantine",
    "pause",
    "resume",
    "skip",
)
#: ok; error (permanent, the link is in error); retry (transient, backing off);
#: stopped (quarantine, pause, deactivation); planned (a dry run's step).
STATUSES = ("ok", "error", "retry", "stopped", "planned")
#: Summaries and messages are cut to this many characters (a target may answer at length).
MAX_TEXT = 1000


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One step of provisioning; ``id`` is set on entries read back from the log."""

    at: datetime
    app_id: str
    user_id: str | None
    username: str | None
    action: str
    status: str
    summary: str
    http_status: int | None = None
    message: str | None = None
    elapsed_ms: int | None = None
    id: int | None = None


_FIELDS = tuple(f.name for f in fields(LogEntry))


def write_log(conn: Connection, entries: Sequence[LogEntry]) -> None:
    """Append ``entries`` in the caller's transaction (one multi-row insert).

    An action or status outside ``ACTIONS``/``STATUSES`` is a programming error (the
    admin's filters could never find it): ``ValueError``.
    """
    if entries:
        conn.execute(insert(provisioning_log), [_row(e) for e in entries])


class ProvisioningLog:
    """The admins' reader of the log, and its pruning."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def list(
        self,
        app_ref: str,
        *,
        user: str | None = None,
        status: str | None = None,
        action: str | None = None,
        limit: int = 50,
        after: str | None = None,
    ) -> Page[LogEntry]:
        """An application's entries, newest first; ``user`` is a username, any case.

        Each filter is an equality on an indexed prefix ((app, id), (app, username, id),
        (app, status, id)), so a page reads about ``limit`` rows whatever the log's size.
        """
        limit = page_limit(limit)
        query = _filtered(user=user, status=status, action=action).limit(limit + 1)
        if after:
            query = query.where(provisioning_log.c.id < _after_id(after))
        with read_tx(self.engine) as conn:
            app_id = resolve(conn, app_ref)
            rows = conn.execute(query.where(provisioning_log.c.app_id == app_id)).all()
        return paged(rows, limit, _entry, "position")

    def prune(self, older_than: datetime, batch: int = 5000) -> int:
        """Delete entries written before ``older_than``, ``batch`` rows per transaction (so
        a big prune never holds SQLite's write lock for long); returns how many went."""
        if batch < 1:
            raise ValueError("batch must be at least 1")
        log = provisioning_log  # found by the 'at' index, deleted by id
        oldest = select(log.c.id).where(log.c.at < _utc(older_than)).limit(batch)
        total = 0
        while True:
            with write_tx(self.engine) as conn:
                gone = conn.execute(delete(log).where(log.c.id.in_(oldest))).rowcount
            total += gone
            if gone < batch:
                return total


def _row(e: LogEntry) -> dict[str, Any]:
    if e.action not in ACTIONS or e.status not in STATUSES:
        raise ValueError(f"Unknown log action/status: {e.action!r}/{e.status!r}")
    return {
        "at": _utc(e.at),
        "app_id": e.app_id,
        "user_id": e.user_id,
        "username": e.username,
        "username_ci": None if e.username is None else e.username.lower(),
        "action": e.action,
        "status": e.status,
        "http_status": e.http_status,
        "summary": e.summary[:MAX_TEXT],
        "message": None if e.message is None else e.message[:MAX_TEXT],
        "elapsed_ms": e.elapsed_ms,
    }


def _utc(moment: datetime) -> datetime:
    """In UTC (SQLite stores the wall time and drops the offset); naive is taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _filtered(*, user: str | None, status: str | None, action: str | None) -> Any:
    """The newest-first query with the filters given; unknown values are Invalid."""
    log = provisioning_log
    query = select(log, cast(log.c.id, String).label("position")).order_by(log.c.id.desc())
    if user is not None and user.strip():
        query = query.where(log.c.username_ci == user.strip().lower())
    if status:
        query = query.where(log.c.status == _known("status", status, STATUSES))
    if action:
        query = query.where(log.c.action == _known("action", action, ACTIONS))
    return query


def _known(what: str, value: str, allowed: Sequence[str]) -> str:
    value = value.strip().lower()
    if value not in allowed:
        raise Invalid(f"Unknown {what} '{value}': choose one of {', '.join(allowed)}")
    return value


def _after_id(cursor: str) -> int:
    (position,) = decode_after(cursor, 1)
    if not (position.isascii() and position.isdigit()):
        raise Invalid("The 'after' cursor is not valid; start from the first page")
    return int(position)


def _entry(r: Any) -> LogEntry:
    return LogEntry(**{name: getattr(r, name) for name in _FIELDS})
