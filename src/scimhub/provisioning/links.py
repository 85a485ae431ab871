"""Link rows: claimed by a worker under a lease, released with the outcome recorded.

A claim takes due links of one application (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
workers on many machines never take the same row; SQLite's single writer serializes) and
leases them. Recording an outcome clears the dirty mark only if no new mark came in while
the worker was busy (``seq`` unchanged): a change made meanwhile is never lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, bindparam, case, delete, or_, select, update

from scimhub.storage.provisioning_tables import provisioning_links as links

__all__ = ["Link", "Outcome", "claim", "claim_one", "load_link", "record", "release", "renew"]


@dataclass(frozen=True, slots=True)
class Link:
    id: int
    app_id: str
    user_id: str
    username: str
    remote_id: str | None
    remote_state: str  #: absent, active, inactive
    pushed: dict[str, Any] | None
    pushed_hash: str | None
    seq: int
    verify: bool
    attempts: int
    error: str | None

    @classmethod
    def of(cls, row: Any) -> Link:
        return cls(**{name: getattr(row, name) for name in _FIELDS})


_FIELDS = tuple(Link.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one claimed link. ``retry_at`` set: a transient failure (the mark
    stays, due then); ``remove``: nothing is left to remember (no remote account)."""

    link: Link
    remote_id: str | None
    remote_state: str
    pushed: dict[str, Any] | None = None
    pushed_hash: str | None = None
    error: str | None = None
    retry_at: datetime | None = None
    remove: bool = False
    username: str = field(default="")


def claim(
    conn: Connection, app_id: str, owner: str, now: datetime, *, lease: float, limit: int
) -> list[Link]:
    """Lease up to ``limit`` due links of ``app_id`` not leased by a live worker: changes
    first, then a full reconcile's comparisons, so a reconcile of 100,000 users never
    makes a change wait behind it."""
    claimed = _claim(conn, app_id, owner, now, lease, limit, verify=False)
    if len(claimed) < limit:
        claimed += _claim(conn, app_id, owner, now, lease, limit - len(claimed), verify=True)
    return claimed


def _claim(  # noqa: PLR0917
    conn: Connection,
    app_id: str,
    owner: str,
    now: datetime,
    lease: float,
    limit: int,
    *,
    verify: bool,
) -> list[Link]:
    free = or_(links.c.lease_until.is_(None), links.c.lease_until < now)
    ids = (
        select(links.c.id)
        .where(links.c.app_id == app_id, links.c.verify == verify, links.c.due <= now, free)
        .order_by(links.c.due)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return _lease(conn, links.c.id.in_(ids.scalar_subquery()), owner, now, lease)


def claim_one(conn: Connection, link_id: int, owner: str, now: datetime, lease: float) -> bool:
    """Lease one link whatever its due time (provision on demand); False if a worker has it."""
    free = or_(links.c.lease_until.is_(None), links.c.lease_until < now)
    return bool(_lease(conn, and_(links.c.id == link_id, free), owner, now, lease))


def _lease(conn: Connection, where: Any, owner: str, now: datetime, lease: float) -> list[Link]:
    statement = (
        update(links)
        .where(where)
        .values(lease_until=now + timedelta(seconds=lease), lease_owner=owner)
        .returning(*(links.c[name] for name in _FIELDS))
    )
    return [Link.of(row) for row in conn.execute(statement)]


def load_link(conn: Connection, app_id: str, user_id: str) -> Link | None:
    row = conn.execute(
        select(*(links.c[n] for n in _FIELDS)).where(
            links.c.app_id == app_id, links.c.user_id == user_id
        )
    ).first()
    return None if row is None else Link.of(row)


def renew(conn: Connection, ids: Sequence[int], owner: str, now: datetime, lease: float) -> None:
    """Extend the leases ``owner`` holds on ``ids`` (the batches it is working on)."""
    for chunk in range(0, len(ids), 500):
        conn.execute(
            update(links)
            .where(links.c.id.in_(list(ids[chunk : chunk + 500])), links.c.lease_owner == owner)
            .values(lease_until=now + timedelta(seconds=lease))
        )


def release(
    conn: Connection, link_ids: Sequence[int], *, owner: str, due: datetime | None = None
) -> None:
    """Give ``owner``'s links back untouched (stopped work); ``due`` postpones them."""
    if not link_ids:
        return
    values: dict[str, Any] = {"lease_until": None, "lease_owner": None}
    if due is not None:
        values["due"] = case((links.c.due.is_(None), None), else_=due)
    mine = links.c.lease_owner == owner
    conn.execute(update(links).where(links.c.id.in_(list(link_ids)), mine).values(**values))


def record(conn: Connection, outcomes: Sequence[Outcome], now: datetime, owner: str) -> None:
    """Store outcomes and release their leases, in the caller's transaction. A link whose
    lease another worker took over (this one stalled past it) keeps that worker's record."""
    kept = [o for o in outcomes if not o.remove]
    gone = [o for o in outcomes if o.remove]
    if kept:
        conn.execute(_RECORD, [_params(o, now, owner) for o in kept])
    for outcome in gone:
        _forget(conn, outcome, now, owner)


def _forget(conn: Connection, outcome: Outcome, now: datetime, owner: str) -> None:
    """Delete the row, unless a mark came in meanwhile: then keep it, empty and due."""
    link = outcome.link
    mine = and_(links.c.id == link.id, links.c.seq == link.seq, links.c.lease_owner == owner)
    deleted = conn.execute(delete(links).where(mine))
    if deleted.rowcount == 0:
        conn.execute(_RECORD, [_params(outcome, now, owner)])


_SAME = links.c.seq == bindparam("b_seq")
_RETRY = bindparam("b_retry", type_=links.c.due.type)
_RECORD = (
    update(links)
    .where(links.c.id == bindparam("b_id"), links.c.lease_owner == bindparam("b_owner"))
    .values(
        remote_id=bindparam("b_remote_id"),
        remote_state=bindparam("b_remote_state"),
        pushed=bindparam("b_pushed", type_=links.c.pushed.type),
        pushed_hash=bindparam("b_pushed_hash"),
        error=bindparam("b_error"),
        error_at=bindparam("b_error_at", type_=links.c.error_at.type),
        attempts=bindparam("b_attempts"),
        username=case(
            (bindparam("b_username") == "", links.c.username), else_=bindparam("b_username")
        ),
        due=case(
            (and_(_RETRY.is_not(None), _SAME), _RETRY),
            (_RETRY.is_not(None), links.c.due),  # a change came in meanwhile: try it now
            (_SAME, None),
            else_=links.c.due,
        ),
        verify=case((_SAME, False), else_=links.c.verify),
        lease_until=None,
        lease_owner=None,
        updated=bindparam("b_now", type_=links.c.updated.type),
    )
)


def _params(o: Outcome, now: datetime, owner: str) -> dict[str, Any]:
    failed = o.retry_at is not None
    return {
        "b_id": o.link.id,
        "b_seq": o.link.seq,
        "b_remote_id": o.remote_id,
        "b_remote_state": o.remote_state,
        "b_pushed": o.pushed,
        "b_pushed_hash": o.pushed_hash,
        "b_error": o.error,
        "b_error_at": now if o.error else None,
        "b_attempts": o.link.attempts + 1 if failed else 0,
        "b_username": o.username,
        "b_retry": o.retry_at,
        "b_now": now,
        "b_owner": owner,
    }
