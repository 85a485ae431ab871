"""Version bumps for derived attributes.

A user's ``groups`` and a group's ``members`` are derived from the membership table, so a
membership change is a change of every resource on either side: each gets a new version
(and ETag) and lastModified, without rewriting its document (meta lives in columns).
Rows are touched in id order, and groups before users, so that concurrent writers take
their row locks in one order.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, select, update

from .tables import members, resources

_CHUNK = 500


def touch_ids(conn: Connection, tenant_id: str, ids: Iterable[str], ts: datetime) -> None:
    """New version and lastModified for the resources ``ids`` of ``tenant_id``."""
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), _CHUNK):
        conn.execute(
            update(resources)
            .where(
                resources.c.tenant_id == tenant_id,
                resources.c.id.in_(ordered[start : start + _CHUNK]),
            )
            .values(version=resources.c.version + 1, last_modified=ts)
        )


def touch_groups_of(conn: Connection, tenant_id: str, member_id: str, ts: datetime) -> None:
    """New versions for every group that has ``member_id`` as a member."""
    groups = select(members.c.group_seq).where(
        members.c.tenant_id == tenant_id, members.c.member_id == member_id
    )
    seqs = sorted(r[0] for r in conn.execute(groups))
    if seqs:
        conn.execute(
            update(resources)
            .where(resources.c.seq.in_(seqs))
            .values(version=resources.c.version + 1, last_modified=ts)
        )


def touch_members_of(conn: Connection, tenant_id: str, group_seq: int, ts: datetime) -> None:
    """New versions for every member of group ``group_seq`` (their ``groups`` changed)."""
    rows = conn.execute(select(members.c.member_id).where(members.c.group_seq == group_seq))
    touch_ids(conn, tenant_id, (r[0] for r in rows), ts)
