"""User groups and their memberships.

Membership changes are all-or-nothing: if any named user is unknown, nothing changes and
the error lists every unknown name. The members' ``ChangeSink`` call shares the transaction.
"""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from scimhub.problems import Conflict, Invalid, NotFound
from scimhub.storage.hub_tables import directory_groups as groups
from scimhub.storage.hub_tables import directory_memberships as memberships
from scimhub.storage.hub_tables import directory_users as users
from scimhub.storage.keyset import decode_after, page_limit, paged
from scimhub.storage.prefix import starts_with
from scimhub.storage.resources import now_utc
from scimhub.storage.transactions import read_tx, write_tx

from .changes import NO_CHANGES, ChangeSink
from .models import DirectoryGroup, DirectoryUser, MembershipChange, Page
from .queries import (
    chunks,
    group_of,
    groups_selected,
    resolve_group,
    resolve_user,
    resolve_users,
    user_of,
)
from .validation import checked_description, checked_group_name

__all__ = ["Groups"]


class Groups:
    def __init__(self, engine: Engine, changes: ChangeSink = NO_CHANGES) -> None:
        self.engine = engine
        self.changes = changes

    def add(self, *, name: str, description: str = "") -> DirectoryGroup:
        name = checked_group_name(name)
        now = now_utc()
        row: dict[str, Any] = {"id": str(uuid.uuid4()), "name": name, "name_ci": name.lower()}
        row |= {"description": checked_description(description), "created": now, "updated": now}
        try:
            with write_tx(self.engine) as conn:
                _refuse_taken(conn, name)
                conn.execute(insert(groups), [row])
                return resolve_group(conn, row["id"])
        except IntegrityError:
            raise Conflict(_taken(name)) from None

    def get(self, ref: str) -> DirectoryGroup:
        """The group whose id or name (case-insensitive) is ``ref``; NotFound otherwise."""
        with read_tx(self.engine) as conn:
            return resolve_group(conn, ref)

    def list(
        self, *, q: str | None = None, limit: int = 50, after: str | None = None
    ) -> Page[DirectoryGroup]:
        """Groups by name; ``q`` is a case-insensitive prefix of the name."""
        limit = page_limit(limit)
        query = groups_selected().order_by(groups.c.name_ci).limit(limit + 1)
        if q and q.strip():
            query = query.where(starts_with(groups.c.name_ci, q.strip()))
        if after:
            query = query.where(groups.c.name_ci > decode_after(after, 1)[0])
        with read_tx(self.engine) as conn:
            rows = conn.execute(query).all()
        return paged(rows, limit, group_of, "name_ci")

    def edit(
        self, ref: str, *, name: str | None = None, description: str | None = None
    ) -> DirectoryGroup:
        """Rename the group or change its description; a new name must not be taken."""
        values: dict[str, Any] = {}
        if name is not None:
            values |= {"name": checked_group_name(name)}
            values["name_ci"] = values["name"].lower()
        if description is not None:
            values["description"] = checked_description(description)
        try:
            with write_tx(self.engine) as conn:
                group = resolve_group(conn, ref, lock=True)
                if "name_ci" in values and values["name_ci"] != group.name.lower():
                    _refuse_taken(conn, values["name"])
                if values:
                    update_values = values | {"updated": now_utc()}
                    conn.execute(update(groups).where(groups.c.id == group.id), update_values)
                return resolve_group(conn, group.id)
        except IntegrityError:
            raise Conflict(_taken(str(values.get("name")))) from None

    def delete(self, ref: str) -> DirectoryGroup:
        """Delete the group; its members lose the membership (and are reported changed)."""
        with write_tx(self.engine) as conn:
            group = resolve_group(conn, ref, lock=True)
            _changed(self.changes, conn, _locked_memberships(conn, group.id))
            conn.execute(delete(memberships).where(memberships.c.group_id == group.id))
            conn.execute(delete(groups).where(groups.c.id == group.id))
        return group

    def add_members(self, ref: str, user_refs: Sequence[str]) -> MembershipChange:
        """Add users (ids or usernames); ``unchanged`` lists those already members."""
        with write_tx(self.engine) as conn:
            group, named = _group_and_users(conn, ref, user_refs)
            present = _member_ids(conn, group.id, [u.id for u in named])
            added = [u for u in named if u.id not in present]
            now = now_utc()
            rows = [{"group_id": group.id, "user_id": u.id, "created": now} for u in added]
            if rows:
                conn.execute(insert(memberships), rows)
            return self._finish(conn, group, added, [u for u in named if u.id in present])

    def remove_members(self, ref: str, user_refs: Sequence[str]) -> MembershipChange:
        """Remove users (ids or usernames); ``unchanged`` lists those who were not members."""
        with write_tx(self.engine) as conn:
            group, named = _group_and_users(conn, ref, user_refs)
            present = _member_ids(conn, group.id, [u.id for u in named])
            removed = [u for u in named if u.id in present]
            for chunk in chunks([u.id for u in removed]):
                conn.execute(
                    delete(memberships).where(
                        memberships.c.group_id == group.id, memberships.c.user_id.in_(chunk)
                    )
                )
            return self._finish(conn, group, removed, [u for u in named if u.id not in present])

    def members(
        self, ref: str, *, limit: int = 50, after: str | None = None
    ) -> Page[DirectoryUser]:
        """The group's members by username, a page at a time."""
        limit = page_limit(limit)
        with read_tx(self.engine) as conn:
            group = resolve_group(conn, ref)
            query = (
                select(users)
                .join(memberships, memberships.c.user_id == users.c.id)
                .where(memberships.c.group_id == group.id)
                .order_by(users.c.username_ci)
                .limit(limit + 1)
            )
            if after:
                query = query.where(users.c.username_ci > decode_after(after, 1)[0])
            rows = conn.execute(query).all()
        return paged(rows, limit, user_of, "username_ci")

    def groups_of(self, user_ref: str) -> builtins.list[DirectoryGroup]:
        """Every group the user belongs to, by name."""
        with read_tx(self.engine) as conn:
            user = resolve_user(conn, user_ref)
            query = (
                groups_selected()
                .join(memberships, memberships.c.group_id == groups.c.id)
                .where(memberships.c.user_id == user.id)
                .order_by(groups.c.name_ci)
            )
            return [group_of(row) for row in conn.execute(query)]

    def _finish(
        self,
        conn: Connection,
        group: DirectoryGroup,
        changed: builtins.list[DirectoryUser],
        unchanged: builtins.list[DirectoryUser],
    ) -> MembershipChange:
        if changed:
            _changed(self.changes, conn, [u.id for u in changed])
            conn.execute(update(groups).where(groups.c.id == group.id).values(updated=now_utc()))
        return MembershipChange(resolve_group(conn, group.id), changed, unchanged)


def _group_and_users(
    conn: Connection, ref: str, user_refs: Sequence[str]
) -> tuple[DirectoryGroup, list[DirectoryUser]]:
    """The locked group and the distinct users named; NotFound lists every unknown ref."""
    if isinstance(user_refs, str) or not user_refs:
        raise Invalid("Name at least one user (a list of ids or usernames)")
    group = resolve_group(conn, ref, lock=True)  # groups before users (docs/decisions.md)
    found, unknown = resolve_users(conn, user_refs, lock=True)
    if unknown:
        names = ", ".join(f"'{r}'" for r in unknown)
        raise NotFound(f"No user with id or username {names}; no membership was changed")
    return group, list({u.id: u for u in found.values()}.values())


def _locked_memberships(conn: Connection, group_id: str) -> list[str]:
    """The group's member ids, their membership rows locked in user id order.

    A user's delete locks only that user's rows, and this only the group's; as one side
    takes its rows in a fixed order, deletes of groups and of their members cannot deadlock.
    """
    query = (
        select(memberships.c.user_id)
        .where(memberships.c.group_id == group_id)
        .order_by(memberships.c.user_id)
        .with_for_update()
    )
    return list(conn.execute(query).scalars())


def _member_ids(conn: Connection, group_id: str, user_ids: list[str]) -> set[str]:
    present: set[str] = set()
    for chunk in chunks(user_ids):
        query = select(memberships.c.user_id).where(
            memberships.c.group_id == group_id, memberships.c.user_id.in_(chunk)
        )
        present.update(conn.execute(query).scalars())
    return present


def _changed(sink: ChangeSink, conn: Connection, user_ids: list[str]) -> None:
    if user_ids:
        sink.users_changed(conn, user_ids)


def _refuse_taken(conn: Connection, name: str) -> None:
    query = select(groups.c.id).where(groups.c.name_ci == name.lower())
    if conn.execute(query).first() is not None:
        raise Conflict(_taken(name))


def _taken(name: str) -> str:
    return f"A group named '{name}' already exists"
