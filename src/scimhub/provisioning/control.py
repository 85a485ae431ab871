"""The engine's state per application: running, quarantined, paused, or held.

- quarantined: the target refused the token (401/403) or the URL is wrong; nothing is sent
  until the integration is fixed (deactivate, correct, activate) or an admin resumes it.
- paused: the deprovisioning guard tripped; an admin confirms or fixes the directory.
- held: a 429's Retry-After; the whole application waits, then goes on by itself.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select, update

from scimhub.storage.db import upsert_insert
from scimhub.storage.provisioning_tables import provisioning_apps as apps_state
from scimhub.storage.resources import now_utc

__all__ = [
    "PAUSED",
    "QUARANTINED",
    "RUNNING",
    "EngineState",
    "Pauses",
    "engine_state",
    "hold",
    "schedule_reconcile",
    "set_state",
]

RUNNING, QUARANTINED, PAUSED = "running", "quarantined", "paused"


@dataclass(frozen=True, slots=True)
class EngineState:
    state: str
    reason: str | None
    since: datetime | None
    hold_until: datetime | None
    guard_allowance: int
    last_reconcile: datetime | None
    next_reconcile: datetime | None


_IDLE = EngineState(RUNNING, None, None, None, 0, None, None)


class Pauses:
    """This process's own, instant word that an application must be left alone for a while
    (a 429's Retry-After, a quarantine): its other threads stop between two users without
    waiting for their next look at the database. Other processes learn it from the
    database (``hold_until``, ``state``) within a batch's re-check interval."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._until: dict[str, float] = {}

    def pause(self, app_id: str, seconds: float) -> None:
        with self._lock:
            self._until[app_id] = max(self._until.get(app_id, 0.0), time.monotonic() + seconds)

    def paused(self, app_id: str) -> bool:
        with self._lock:
            return self._until.get(app_id, 0.0) > time.monotonic()


def engine_state(conn: Connection, app_id: str) -> EngineState:
    row = conn.execute(select(apps_state).where(apps_state.c.app_id == app_id)).first()
    if row is None:
        return _IDLE
    return EngineState(
        row.state,
        row.reason,
        row.since,
        row.hold_until,
        row.guard_allowance,
        row.last_reconcile,
        row.next_reconcile,
    )


def set_state(conn: Connection, app_id: str, state: str, reason: str | None, **extra: Any) -> None:
    """Upsert the application's engine row with a new state (and any other columns)."""
    now = now_utc()
    _upsert(conn, app_id, {"state": state, "reason": reason, "since": now, **extra})


def hold(conn: Connection, app_id: str, until: datetime) -> None:
    """Nothing is sent to the application before ``until`` (a 429's Retry-After)."""
    _upsert(conn, app_id, {"hold_until": until})


def _upsert(conn: Connection, app_id: str, values: dict[str, Any]) -> None:
    values = {**values, "updated": now_utc()}
    statement = upsert_insert(conn, apps_state).values(
        app_id=app_id, **{"state": RUNNING, **values}
    )
    conn.execute(statement.on_conflict_do_update(index_elements=["app_id"], set_=values))


def schedule_reconcile(conn: Connection, app_id: str, now: datetime, interval: float) -> bool:
    """Claim the application's periodic full reconcile; True for exactly one worker."""
    state = engine_state(conn, app_id)
    if state.next_reconcile is None:
        _upsert(conn, app_id, {"next_reconcile": now + timedelta(seconds=interval)})
        return False
    claimed = conn.execute(
        update(apps_state)
        .where(apps_state.c.app_id == app_id, apps_state.c.next_reconcile <= now)
        .values(last_reconcile=now, next_reconcile=now + timedelta(seconds=interval))
    )
    return claimed.rowcount == 1
