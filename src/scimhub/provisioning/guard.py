"""The deprovisioning guard: a pass that would deprovision too many users waits for an admin.

An unbound group, an emptied directory or a bad import should not deactivate half of an
application's accounts. Before deprovisioning, the engine counts the application's pending
deprovisionings (dirty links of provisioned users now out of scope). More than ``share`` of
the provisioned users (and at least ``minimum``, so one leaver in a tiny application passes)
pauses the application until an admin confirms that many, or fixes the directory.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, case, func, not_, select, update

from scimhub.storage.provisioning_tables import provisioning_apps as apps_state
from scimhub.storage.provisioning_tables import provisioning_links as links

from .control import PAUSED, RUNNING, engine_state, set_state
from .scope import is_in_scope

__all__ = [
    "GuardVerdict",
    "check_guard",
    "consume_allowance",
    "lift_if_clear",
    "paused_app_ids",
    "pending_deprovisions",
]


@dataclass(frozen=True, slots=True)
class GuardVerdict:
    tripped: bool
    pending: int
    provisioned: int


def pending_deprovisions(conn: Connection, app_id: str) -> int:
    """Dirty links of active remote accounts whose user is out of scope now."""
    query = select(func.count()).where(
        links.c.app_id == app_id,
        links.c.due.is_not(None),
        links.c.remote_state == "active",
        not_(is_in_scope(links.c.app_id, links.c.user_id)),
    )
    return int(conn.execute(query).scalar_one())


def _provisioned(conn: Connection, app_id: str) -> int:
    query = select(func.count()).where(links.c.app_id == app_id, links.c.remote_state == "active")
    return int(conn.execute(query).scalar_one())


def check_guard(
    conn: Connection, app_id: str, label: str, share: float, minimum: int
) -> GuardVerdict:
    """Pause the application (in the caller's write transaction) if the guard trips."""
    verdict = _verdict(conn, app_id, share, minimum)
    if verdict.tripped:
        set_state(conn, app_id, PAUSED, _reason(label, verdict.pending, verdict.provisioned, share))
    return verdict


def _verdict(conn: Connection, app_id: str, share: float, minimum: int) -> GuardVerdict:
    pending = pending_deprovisions(conn, app_id)
    if pending < max(minimum, 1):
        return GuardVerdict(False, pending, 0)
    provisioned = _provisioned(conn, app_id)
    allowance = engine_state(conn, app_id).guard_allowance
    tripped = pending > share * provisioned and pending > allowance
    return GuardVerdict(tripped, pending, provisioned)


def lift_if_clear(conn: Connection, app_id: str, share: float, minimum: int) -> bool:
    """Resume a paused application once the directory no longer deprovisions too many
    (the admin restored the binding or the memberships instead of confirming)."""
    if engine_state(conn, app_id).state != PAUSED:
        return False
    if _verdict(conn, app_id, share, minimum).tripped:
        return False
    set_state(conn, app_id, RUNNING, None, guard_allowance=0)
    return True


def consume_allowance(conn: Connection, app_id: str, deprovisioned: int) -> None:
    """Confirmed deprovisionings are used up as they happen: a later wave is guarded again."""
    if deprovisioned <= 0:
        return
    left = case(
        (
            apps_state.c.guard_allowance > deprovisioned,
            apps_state.c.guard_allowance - deprovisioned,
        ),
        else_=0,
    )
    conn.execute(
        update(apps_state)
        .where(apps_state.c.app_id == app_id, apps_state.c.guard_allowance > 0)
        .values(guard_allowance=left)
    )


def paused_app_ids(conn: Connection) -> list[str]:
    return list(
        conn.execute(select(apps_state.c.app_id).where(apps_state.c.state == PAUSED)).scalars()
    )


def _reason(label: str, pending: int, provisioned: int, share: float) -> str:
    percent = 100 * pending / max(provisioned, 1)
    return (
        f"Deprovisioning paused: {pending} of {provisioned} provisioned users ({percent:.0f}%) "
        f"would be deprovisioned, more than the {share:.0%} guard. If this is intended, "
        f"confirm with `scimhub sync '{label}' --confirm-deprovision`; otherwise restore "
        "the group bindings or memberships (provisioning resumes by itself)."
    )
