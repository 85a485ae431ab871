"""What admins do with the engine: read its state, resume, confirm, reconcile, provision one
user now, and see the plan (dry run). The API and the CLI call this; workers do the rest."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, func, select

from scimhub.applications.apps import resolve
from scimhub.applications.secrets import SecretBox
from scimhub.directory.queries import resolve_user
from scimhub.problems import Refused
from scimhub.storage.hub_tables import directory_memberships as memberships
from scimhub.storage.hub_tables import idm_integrations as idm
from scimhub.storage.provisioning_tables import provisioning_links as links
from scimhub.storage.resources import now_utc
from scimhub.storage.transactions import read_tx, write_tx

from .batch import Batch
from .calls import Calls
from .control import PAUSED, QUARANTINED, RUNNING, engine_state, set_state
from .dry_run import plan
from .guard import pending_deprovisions
from .links import Link, claim_one, load_link
from .log import LogEntry, write_log
from .marks import full_reconcile, insert_links
from .pool import ConnectorPool
from .scope import in_scope_pairs
from .settings import EngineSettings
from .targets import Target, load_target

__all__ = ["Provisioning", "ProvisioningStatus"]

Observer = Callable[[LogEntry], None]


@dataclass(frozen=True, slots=True)
class ProvisioningStatus:
    app_id: str
    integration: str  #: unconfigured, inactive, active
    state: str  #: running, quarantined, paused
    reason: str | None
    since: datetime | None
    hold_until: datetime | None
    provisioned: int  #: remote accounts active
    deprovisioned: int  #: remote accounts deactivated by the engine
    pending: int  #: links waiting for work (dirty)
    errors: int  #: links whose last attempt was rejected or is being retried
    last_reconcile: datetime | None
    next_reconcile: datetime | None


class Provisioning:
    def __init__(self, engine: Engine, box: SecretBox, settings: EngineSettings) -> None:
        self.engine = engine
        self.box = box
        self.settings = settings

    def status(self, app_ref: str) -> ProvisioningStatus:
        with read_tx(self.engine) as conn:
            app_id = resolve(conn, app_ref)
            return _status(conn, app_id)

    def resume(self, app_ref: str) -> ProvisioningStatus:
        """End a quarantine or pause by hand (the next 401 quarantines again)."""
        with write_tx(self.engine) as conn:
            app_id = resolve(conn, app_ref, lock=True)
            set_state(conn, app_id, RUNNING, None, hold_until=None, guard_allowance=0)
            _note(conn, app_id, "resume", "resumed by an admin")
            return _status(conn, app_id)

    def confirm_deprovision(self, app_ref: str) -> ProvisioningStatus:
        """Let the pending deprovisionings the guard stopped go ahead."""
        with write_tx(self.engine) as conn:
            app_id = resolve(conn, app_ref, lock=True)
            state = engine_state(conn, app_id)
            if state.state != PAUSED:
                raise Refused("The deprovisioning guard has not paused this application")
            pending = pending_deprovisions(conn, app_id)
            set_state(conn, app_id, RUNNING, None, guard_allowance=pending)
            _note(conn, app_id, "resume", f"{pending} deprovisionings confirmed by an admin")
            return _status(conn, app_id)

    def reconcile(self, app_ref: str) -> ProvisioningStatus:
        """A full reconcile now: every link compared with the target's copy."""
        with write_tx(self.engine) as conn:
            app_id = resolve(conn, app_ref, lock=True)
            self._active(conn, app_id)
            full_reconcile(conn, app_id)
            return _status(conn, app_id)

    def sync_user(
        self, app_ref: str, username: str, observer: Observer | None = None
    ) -> Link | None:
        """Provision one user now, whatever the queue; each step goes to ``observer``.
        Returns the link afterwards (None: nothing to remember, e.g. not in scope)."""
        owner = f"sync:{username}"[:64]
        with write_tx(self.engine) as conn:
            app_id = resolve(conn, app_ref)
            target = self._runnable(conn, app_id)
            user = resolve_user(conn, username)
            insert_links(
                conn, in_scope_pairs(idm.c.app_id == app_id, memberships.c.user_id == user.id)
            )
            link = load_link(conn, app_id, user.id)
            if link is None:
                return None
            if not claim_one(conn, link.id, owner, now_utc(), self.settings.lease_seconds):
                raise Refused(f"A worker is provisioning '{user.username}' right now; try again")
        with ConnectorPool(self.settings.timeout, 1) as pool:
            calls = Calls(observer=observer)
            Batch(self.engine, self.settings, target, pool.get(target), owner, calls).run([link])
        with read_tx(self.engine) as conn:
            return load_link(conn, app_id, user.id)

    def dry_run(self, app_ref: str, observer: Observer) -> None:
        with read_tx(self.engine) as conn:
            app_id = resolve(conn, app_ref)
            target = self._active(conn, app_id)
        with ConnectorPool(self.settings.timeout, 1) as pool:
            plan(self.engine, target, pool.get(target), Calls(dry_run=True, observer=observer))

    def _active(self, conn: Connection, app_id: str) -> Target:
        target = load_target(conn, app_id, self.box)
        if target is None:
            raise Refused(
                "The IdM integration of this application is not active; activate it first"
            )
        return target

    def _runnable(self, conn: Connection, app_id: str) -> Target:
        target = self._active(conn, app_id)
        state = engine_state(conn, app_id)
        if state.state in (QUARANTINED, PAUSED):
            raise Refused(f"Provisioning is {state.state}: {state.reason}")
        return target


def _status(conn: Connection, app_id: str) -> ProvisioningStatus:
    integration = conn.execute(select(idm.c.status).where(idm.c.app_id == app_id)).scalar()
    state = engine_state(conn, app_id)
    counts = _counts(conn, app_id)
    return ProvisioningStatus(
        app_id=app_id,
        integration=integration or "unconfigured",
        state=state.state,
        reason=state.reason,
        since=state.since,
        hold_until=state.hold_until,
        provisioned=counts.get("active", 0),
        deprovisioned=counts.get("inactive", 0),
        pending=_count(conn, app_id, links.c.due.is_not(None)),
        errors=_count(conn, app_id, links.c.error.is_not(None)),
        last_reconcile=state.last_reconcile,
        next_reconcile=state.next_reconcile,
    )


def _counts(conn: Connection, app_id: str) -> dict[str, int]:
    query = (
        select(links.c.remote_state, func.count())
        .where(links.c.app_id == app_id)
        .group_by(links.c.remote_state)
    )
    return {state: int(n) for state, n in conn.execute(query)}


def _count(conn: Connection, app_id: str, condition: object) -> int:
    query = select(func.count()).where(links.c.app_id == app_id, condition)  # type: ignore[arg-type]
    return int(conn.execute(query).scalar_one())


def _note(conn: Connection, app_id: str, action: str, message: str) -> None:
    entry = LogEntry(now_utc(), app_id, None, None, action, "ok", message)
    write_log(conn, [entry])
