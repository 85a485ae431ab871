"""One batch of claimed links for one application: look up, decide, call, record.

Failures are sorted by what the engine does next (DESIGN.md): a transient one retries that
user later with exponential backoff and jitter (a 429 holds the whole application for its
Retry-After); a rejection puts that user's link in error and the batch goes on; a stop
(401/403, wrong URL) quarantines the application with the reason. Deactivation,
quarantine or a pause seen between two users stops the batch: the rest is released.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, select

from scimhub.directory.queries import user_of
from scimhub.storage.hub_tables import directory_users as users
from scimhub.storage.resources import now_utc
from scimhub.storage.transactions import read_tx, write_tx

from .calls import Calls, Subject, status_of
from .connector import Connector, Remote
from .control import QUARANTINED, Pauses, hold, set_state
from .executor import LOOK_UP, Executor, Item
from .guard import check_guard, consume_allowance
from .links import Link, Outcome, record, release
from .log import write_log
from .outcomes import RateLimited, Rejected, RemoteFailure, Stop, Transient
from .scope import in_scope_ids
from .settings import EngineSettings
from .targets import Target, is_current

__all__ = ["Batch", "load_items"]

log = logging.getLogger("scimhub.worker")
_LOOKUP_BATCH = 2  #: from this many users on, lookups go in one or-filter request
_GIVE_UP_AFTER = 3  #: consecutive transient failures before the rest of the batch waits
#: How often a batch re-reads whether its application is still active, not quarantined
#: or paused: a deactivation stops the work within this much (plus the call in flight).
RECHECK_SECONDS = 0.25


@dataclass(slots=True)
class Batch:
    """Runs one claimed batch; ``calls`` collects the log entries."""

    engine: Engine
    settings: EngineSettings
    target: Target
    connector: Connector
    owner: str  #: the lease owner of the links (a worker, or an on-demand sync)
    calls: Calls = field(default_factory=Calls)
    outcomes: list[Outcome] = field(default_factory=list)
    checked: float = field(default_factory=time.monotonic)
    pauses: Pauses = field(default_factory=Pauses)  #: shared by a worker's threads

    def run(self, links: Sequence[Link]) -> None:
        pending: list[Item] = []
        try:
            with read_tx(self.engine) as conn:
                pending += load_items(conn, self.target.app_id, links)
            self._work(pending)
        except _Stopped:
            pass
        finally:
            self._finish(pending or [Item(link, None, False) for link in links])

    def _work(self, pending: list[Item]) -> None:
        if self.pauses.paused(self.target.app_id):
            return  # stopped between the claim and now: not even a lookup
        found = self._lookups(pending)
        if self._guard_tripped(pending):
            return
        executor = Executor(self.target, self.connector, self.calls)
        failures = 0
        while pending:
            if not self._still_current():
                return
            item = pending[0]
            failures = self._one(executor, item, found.get(item.link.id, LOOK_UP), failures)
            pending.pop(0)
            if failures >= _GIVE_UP_AFTER:
                self._postpone(pending, self._backoff(item.link, None))
                return

    def _one(self, executor: Executor, item: Item, found: Remote | None, failures: int) -> int:
        try:
            self.outcomes.append(executor.run(item, found))
            return 0
        except RemoteFailure as exc:
            self._failed(item, exc)
            return failures + 1 if isinstance(exc, Transient) else 0
        except Exception as exc:  # a bug or an answer nothing expected: this user only
            log.exception("provisioning %s failed unexpectedly", item.subject.username)
            message = f"unexpected error: {type(exc).__name__}; retried later"
            self.calls.add(item.subject, "skip", "error", "internal error", message)
            at = self._backoff(item.link, None)
            self.outcomes.append(_kept(item.link, error=message, retry_at=at))
            return 0

    def _failed(self, item: Item, exc: RemoteFailure) -> None:
        if isinstance(exc, Rejected):
            self.outcomes.append(_kept(item.link, error=exc.message))
            return
        if isinstance(exc, Transient):
            at = self._backoff(item.link, exc.retry_after)
            self.outcomes.append(_kept(item.link, error=f"retrying: {exc.message}", retry_at=at))
        self._stop_if_app_level(exc)

    def _stop_if_app_level(self, exc: RemoteFailure) -> None:
        """A stop quarantines the application, a 429 holds it: either ends the batch."""
        if isinstance(exc, Stop):
            self.pauses.pause(self.target.app_id, RECHECK_SECONDS * 4)
            self._quarantine(exc)
            raise _Stopped from exc
        if isinstance(exc, RateLimited):
            seconds = min(exc.retry_after or 1.0, self.settings.backoff_cap)
            self.pauses.pause(self.target.app_id, seconds)
            with write_tx(self.engine) as conn:
                hold(conn, self.target.app_id, now_utc() + timedelta(seconds=seconds))
            raise _Stopped from exc

    # --- lookups in bulk ---------------------------------------------------------------

    def _lookups(self, items: list[Item]) -> dict[int, Remote | None]:
        wanted = [i for i in items if _needs_lookup(i)]
        if len(wanted) < _LOOKUP_BATCH:
            return {}
        names = [i.user.username for i in wanted if i.user is not None]
        summary = f"GET /Users?filter=userName eq … ({len(names)} users)"
        try:
            remotes = self.connector.find_by_usernames(names)
        except RemoteFailure as exc:
            status = status_of(exc)
            self.calls.add(
                _app_subject(self.target), "lookup", status, summary, exc.message, exc.status
            )
            self._stop_if_app_level(exc)
            return {}
        return {i.link.id: self._looked_up(i, remotes, summary) for i in wanted}

    def _looked_up(self, item: Item, remotes: dict[str, Remote], summary: str) -> Remote | None:
        assert item.user is not None
        remote = remotes.get(item.user.username.casefold())
        note = "not found" if remote is None else f"found /Users/{remote.id}"
        self.calls.add(item.subject, "lookup", "ok", summary, note)
        return remote

    # --- stops, holds and the guard -----------------------------------------------------

    def _guard_tripped(self, items: list[Item]) -> bool:
        leaving = [i for i in items if not i.in_scope and i.link.remote_state == "active"]
        if not leaving:
            return False
        s = self.settings
        with write_tx(self.engine) as conn:
            verdict = check_guard(
                conn, self.target.app_id, self.target.label, s.guard_share, s.guard_minimum
            )
            if verdict.tripped:
                note = f"{verdict.pending} of {verdict.provisioned} would be deprovisioned"
                self.calls.add(
                    _app_subject(self.target), "pause", "stopped", "deprovisioning guard", note
                )
        return verdict.tripped

    def _quarantine(self, exc: Stop) -> None:
        """Quarantine, unless the integration changed meanwhile (the 401 was the old token's)."""
        reason = (
            f"{exc.message.rstrip('.')}. Nothing is sent to this application until the "
            "integration is fixed: deactivate it, correct the token or base URL, and activate "
            "it again."
        )
        subject = _app_subject(self.target)
        with write_tx(self.engine) as conn:
            if not is_current(conn, self.target.app_id, self.target.generation):
                return
            set_state(conn, self.target.app_id, QUARANTINED, reason)
        self.calls.add(
            subject, "quarantine", "stopped", "application quarantined", reason, exc.status
        )

    def _still_current(self) -> bool:
        if self.pauses.paused(self.target.app_id):
            return False
        if time.monotonic() - self.checked < RECHECK_SECONDS:
            return True
        self.checked = time.monotonic()
        with read_tx(self.engine) as conn:
            return is_current(conn, self.target.app_id, self.target.generation)

    def _backoff(self, link: Link, retry_after: float | None) -> datetime:
        """Retry-After when the target gave one, else exponential per user, with jitter."""
        s = self.settings
        if retry_after is not None:
            delay = min(retry_after, s.backoff_cap)
        else:
            exponent = min(link.attempts, 30)
            delay = min(s.backoff_cap, s.backoff_base * 2**exponent) * random.uniform(0.5, 1.0)
        return now_utc() + timedelta(seconds=delay)

    def _postpone(self, items: list[Item], at: datetime) -> None:
        with write_tx(self.engine) as conn:
            release(conn, [i.link.id for i in items], owner=self.owner, due=at)
        items.clear()

    def _finish(self, pending: list[Item]) -> None:
        """Record outcomes and the log; links nobody got to are released unchanged."""
        with write_tx(self.engine) as conn:
            record(conn, self.outcomes, now_utc(), self.owner)
            consume_allowance(conn, self.target.app_id, _deprovisioned(self.outcomes))
            release(conn, [i.link.id for i in pending], owner=self.owner)
            write_log(conn, self.calls.entries)


class _Stopped(Exception):
    """The application stopped (quarantine, 429 hold): the batch ends here."""


def load_items(conn: Connection, app_id: str, links: Sequence[Link]) -> list[Item]:
    """Each link with its directory user (None when deleted) and whether it is in scope."""
    ids = [link.user_id for link in links]
    rows = conn.execute(select(users).where(users.c.id.in_(ids))).all()
    found = {row.id: user_of(row) for row in rows}
    scope = in_scope_ids(conn, app_id, ids)
    return [Item(link, found.get(link.user_id), link.user_id in scope) for link in links]


def _deprovisioned(outcomes: Sequence[Outcome]) -> int:
    leaving = [o for o in outcomes if o.link.remote_state == "active"]
    return sum(1 for o in leaving if o.remote_state != "active" and o.retry_at is None)


def _needs_lookup(item: Item) -> bool:
    unlinked = item.link.remote_id is None or item.link.remote_state == "absent"
    return item.in_scope and item.user is not None and unlinked


def _kept(link: Link, *, error: str | None, retry_at: datetime | None = None) -> Outcome:
    """The link as it was, with an error and (transient) the time of the next attempt."""
    return Outcome(
        link,
        link.remote_id,
        link.remote_state,
        pushed=link.pushed,
        pushed_hash=link.pushed_hash,
        error=error,
        retry_at=retry_at,
    )


def _app_subject(target: Target) -> Subject:
    return Subject(target.app_id, None, None)
