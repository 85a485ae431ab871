"""SQL shared by the directory services: loading, resolving references, keyset pages."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, Select, func, or_, select

from scimhub.problems import NotFound
from scimhub.storage.hub_tables import directory_groups as groups
from scimhub.storage.hub_tables import directory_memberships as memberships
from scimhub.storage.hub_tables import directory_users as users

from .models import DirectoryGroup, DirectoryUser, UserState

__all__ = [
    "chunks",
    "group_of",
    "groups_selected",
    "resolve_group",
    "resolve_user",
    "resolve_users",
    "user_of",
]

#: Bound parameters per IN list, well under SQLite's and PostgreSQL's limits.
_CHUNK = 500

T = TypeVar("T")


def user_of(r: Any) -> DirectoryUser:
    return DirectoryUser(
        id=r.id,
        username=r.username,
        email=r.email,
        firstname=r.firstname,
        lastname=r.lastname,
        department=r.department,
        job_title=r.job_title,
        state=UserState(r.state),
        created=r.created,
        updated=r.updated,
    )


def group_of(r: Any) -> DirectoryGroup:
    return DirectoryGroup(r.id, r.name, r.description, r.created, r.updated, int(r.member_count))


def groups_selected() -> Select[Any]:
    """Groups with their member counts (an index range count per group, not a table scan)."""
    counted = memberships.alias("counted")
    count = (
        select(func.count())
        .select_from(counted)
        .where(counted.c.group_id == groups.c.id)
        .scalar_subquery()
    )
    return select(groups, count.label("member_count"))


def resolve_user(conn: Connection, ref: str, *, lock: bool = False) -> DirectoryUser:
    """The user whose id or username (case-insensitive) is ``ref``; the id wins a tie."""
    ref = ref.strip()
    query = select(users).where(or_(users.c.id == ref, users.c.username_ci == ref.lower()))
    if lock:
        query = query.with_for_update()
    rows = conn.execute(query).all()
    if not rows:
        raise NotFound(f"No user with id or username '{ref}'")
    return user_of(next((r for r in rows if r.id == ref), rows[0]))


def resolve_users(
    conn: Connection, refs: Sequence[str], *, lock: bool = False
) -> tuple[dict[str, DirectoryUser], list[str]]:
    """The users named by ``refs`` (ids or usernames), keyed by ref, and the unknown refs.

    With ``lock`` the users found are share-locked in id order (so they cannot be deleted
    before the caller commits); a user deleted meanwhile counts as unknown.
    """
    wanted = list(dict.fromkeys(ref.strip() for ref in refs))
    by_id: dict[str, DirectoryUser] = {}
    by_name: dict[str, DirectoryUser] = {}
    for chunk in chunks(wanted):
        lowered = [ref.lower() for ref in chunk]
        query = select(users).where(or_(users.c.id.in_(chunk), users.c.username_ci.in_(lowered)))
        for row in conn.execute(query):
            user = user_of(row)
            by_id[user.id] = user
            by_name[row.username_ci] = user
    found = {ref: by_id.get(ref) or by_name.get(ref.lower()) for ref in wanted}
    if lock:
        held = _share_locked(conn, sorted({u.id for u in found.values() if u is not None}))
        found = {ref: None if u is None else held.get(u.id) for ref, u in found.items()}
    unknown = [ref for ref, user in found.items() if user is None]
    return {ref: user for ref, user in found.items() if user is not None}, unknown


def _share_locked(conn: Connection, user_ids: Sequence[str]) -> dict[str, DirectoryUser]:
    """The users among ``user_ids`` (sorted) that still exist, share-locked in id order."""
    held: dict[str, DirectoryUser] = {}
    for chunk in chunks(user_ids):
        query = (
            select(users)
            .where(users.c.id.in_(chunk))
            .order_by(users.c.id)
            .with_for_update(read=True)
        )
        held |= {row.id: user_of(row) for row in conn.execute(query)}
    return held


def resolve_group(conn: Connection, ref: str, *, lock: bool = False) -> DirectoryGroup:
    """The group whose id or name (case-insensitive) is ``ref``; the id wins a tie.

    With ``lock`` the group is resolved and row-locked by one statement, so a group deleted
    by a concurrent transaction is NotFound rather than a row that vanishes under the caller.
    """
    ref = ref.strip()
    named = or_(groups.c.id == ref, groups.c.name_ci == ref.lower())
    if lock:
        query = select(groups.c.id).where(named).order_by(groups.c.id).with_for_update()
        ids = list(conn.execute(query).scalars())
        if not ids:
            raise NotFound(f"No group with id or name '{ref}'")
        held = ref if ref in ids else ids[0]
        # Locked: it stays; counted by a fresh statement, after any wait for the lock.
        return group_of(conn.execute(groups_selected().where(groups.c.id == held)).one())
    rows = conn.execute(groups_selected().where(named)).all()
    if not rows:
        raise NotFound(f"No group with id or name '{ref}'")
    return group_of(next((r for r in rows if r.id == ref), rows[0]))


def chunks(items: Sequence[T], size: int = _CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
