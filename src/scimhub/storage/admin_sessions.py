"""Server-side sessions of the web UI: who is signed in, until when, and their CSRF token.

The browser holds a random 256-bit token in a cookie; the database holds only its SHA-256
digest (like API keys: useless if leaked, and fast to check since the token is random).
A session ends when the admin signs out, after ``idle`` without a request, at ``created +
lifetime`` whatever happens, and when the admin's password changes or the account is
deleted (the foreign key cascades). ``last_seen`` is written at most once a minute.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Row, Select, delete, insert, or_, select, update

from .hub_tables import admin_accounts as accounts
from .hub_tables import admin_sessions as sessions
from .resources import now_utc
from .tenants import digest
from .transactions import read_tx, write_tx

__all__ = ["AdminSession", "AdminSessions"]

_TOUCH_GRANULARITY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class AdminSession:
    """A live session; ``token_hash`` identifies it, ``csrf_token`` guards its forms."""

    token_hash: str
    admin_id: str
    username: str
    csrf_token: str
    created: datetime
    last_seen: datetime
    expires: datetime


class AdminSessions:
    def __init__(self, engine: Engine, *, idle: timedelta, lifetime: timedelta) -> None:
        self.engine = engine
        self.idle = idle
        self.lifetime = lifetime

    def start(self, admin_id: str) -> str:
        """A new session for ``admin_id``; returns its token (shown to the browser only).

        Sessions that have ended meanwhile are removed here, so the table stays small."""
        token, now = secrets.token_urlsafe(32), now_utc()
        row = {"token_hash": digest(token), "admin_id": admin_id, "created": now}
        row |= {"csrf_token": secrets.token_urlsafe(32), "last_seen": now}
        with write_tx(self.engine) as conn:
            conn.execute(delete(sessions).where(self._ended(now)))
            conn.execute(insert(sessions).values(**row, expires=now + self.lifetime))
        return token

    def find(self, token: str) -> AdminSession | None:
        """The live session of ``token``, or None (unknown, ended, or timed out)."""
        wanted = digest(token)
        with read_tx(self.engine) as conn:
            row = conn.execute(_live(wanted)).first()
        if row is None or not hmac.compare_digest(row.token_hash, wanted):
            return None
        now = now_utc()
        if now >= row.expires or now - row.last_seen >= self.idle:
            self._remove(wanted)
            return None
        return self._touched(_session(row), now)

    def end(self, token: str) -> None:
        """Sign out: the session's row is deleted (a copied cookie is then worthless)."""
        self._remove(digest(token))

    def end_all(self, admin_id: str) -> int:
        """End every session of ``admin_id``; returns how many there were."""
        with write_tx(self.engine) as conn:
            done = conn.execute(delete(sessions).where(sessions.c.admin_id == admin_id))
        return int(done.rowcount)

    # --- internals ----------------------------------------------------------------------

    def _ended(self, now: datetime) -> Any:
        return or_(sessions.c.expires <= now, sessions.c.last_seen <= now - self.idle)

    def _remove(self, token_hash: str) -> None:
        with write_tx(self.engine) as conn:
            conn.execute(delete(sessions).where(sessions.c.token_hash == token_hash))

    def _touched(self, session: AdminSession, now: datetime) -> AdminSession:
        if now - session.last_seen < _TOUCH_GRANULARITY:
            return session
        with write_tx(self.engine) as conn:
            conn.execute(
                update(sessions)
                .where(sessions.c.token_hash == session.token_hash)
                .values(last_seen=now)
            )
        return replace(session, last_seen=now)


def _live(token_hash: str) -> Select[Any]:
    """The session with its admin's name, unless the password changed after it started."""
    return (
        select(sessions, accounts.c.username)
        .join(accounts, accounts.c.id == sessions.c.admin_id)
        .where(sessions.c.token_hash == token_hash)
        .where(sessions.c.created >= accounts.c.password_changed)
    )


def _session(row: Row[Any]) -> AdminSession:
    return AdminSession(
        row.token_hash,
        row.admin_id,
        row.username,
        row.csrf_token,
        row.created,
        row.last_seen,
        row.expires,
    )
