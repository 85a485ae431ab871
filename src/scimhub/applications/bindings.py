"""User groups bound to an application: their members are the application's users."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, delete, func, insert, select

from scimhub.problems import Invalid, NotFound
from scimhub.storage.hub_tables import (
    app_group_bindings,
    applications,
    directory_groups,
    directory_memberships,
)
from scimhub.storage.resources import now_utc
from scimhub.storage.transactions import read_tx, write_tx

from .apps import resolve
from .changes import NO_SCOPE_CHANGES, ScopeSink

__all__ = ["Binding", "BindingChange", "Bindings"]


@dataclass(frozen=True, slots=True)
class Binding:
    app_id: str
    group_id: str
    group_name: str
    member_count: int
    created: datetime


@dataclass(frozen=True, slots=True)
class BindingChange:
    changed: list[str]  #: group names bound (or unbound) by this call
    unchanged: list[str]  #: group names that already were (or were not) bound


class Bindings:
    def __init__(self, engine: Engine, scope: ScopeSink = NO_SCOPE_CHANGES) -> None:
        self.engine = engine
        self.scope = scope

    def bind(self, app_ref: str, group_refs: Sequence[str]) -> BindingChange:
        """Bind groups to the application; all named groups must exist (else nothing changes)."""
        with write_tx(self.engine) as conn:
            app_id = resolve(conn, app_ref, lock=True)  # (un)binds of one app queue
            groups = _groups(conn, group_refs)
            bound = _bound_ids(conn, app_id)
            new = [g for g in groups if g[0] not in bound]
            now = now_utc()
            if new:
                rows = [{"app_id": app_id, "group_id": g[0], "created": now} for g in new]
                conn.execute(insert(app_group_bindings), rows)
                self.scope.bindings_changed(conn, app_id, [g[0] for g in new])
        return BindingChange([g[1] for g in new], [g[1] for g in groups if g[0] in bound])

    def unbind(self, app_ref: str, group_refs: Sequence[str]) -> BindingChange:
        with write_tx(self.engine) as conn:
            app_id = resolve(conn, app_ref, lock=True)  # (un)binds of one app queue
            groups = _groups(conn, group_refs)
            bound = _bound_ids(conn, app_id)
            gone = [g for g in groups if g[0] in bound]
            if gone:
                ids = [g[0] for g in gone]
                conn.execute(
                    delete(app_group_bindings).where(
                        app_group_bindings.c.app_id == app_id,
                        app_group_bindings.c.group_id.in_(ids),
                    )
                )
                self.scope.bindings_changed(conn, app_id, ids)
        return BindingChange([g[1] for g in gone], [g[1] for g in groups if g[0] not in bound])

    def list(self, app_ref: str) -> list[Binding]:
        """The groups bound to the application, by name, with their member counts."""
        members = (
            select(func.count())
            .where(directory_memberships.c.group_id == directory_groups.c.id)
            .scalar_subquery()
        )
        query = (
            select(app_group_bindings, directory_groups.c.name, members.label("n"))
            .join(directory_groups, directory_groups.c.id == app_group_bindings.c.group_id)
            .order_by(directory_groups.c.name_ci)
        )
        with read_tx(self.engine) as conn:
            app_id = resolve(conn, app_ref)
            rows = conn.execute(query.where(app_group_bindings.c.app_id == app_id)).all()
        return [Binding(r.app_id, r.group_id, r.name, int(r.n), r.created) for r in rows]

    def applications_of_group(self, group_id: str) -> builtins.list[tuple[str, str]]:
        """(id, label) of the applications a group is bound to."""
        query = (
            select(applications.c.id, applications.c.label)
            .join(app_group_bindings, app_group_bindings.c.app_id == applications.c.id)
            .where(app_group_bindings.c.group_id == group_id)
            .order_by(applications.c.label_ci)
        )
        with read_tx(self.engine) as conn:
            return [(r.id, r.label) for r in conn.execute(query)]


def _groups(conn: Connection, refs: Sequence[str]) -> builtins.list[tuple[str, str]]:
    """(id, name) of each named group (by id or name, case-insensitive), in order.

    The groups are share-locked in id order by the statement that finds them (after the
    application: the hub locks applications, then groups, then users), so a group deleted
    meanwhile is NotFound here, and one found cannot be deleted before this transaction ends.
    """
    wanted = list(dict.fromkeys(r.strip() for r in refs if r.strip()))
    if not wanted:
        raise Invalid("Name at least one user group")
    lowered = [r.lower() for r in wanted]
    rows = conn.execute(
        select(directory_groups.c.id, directory_groups.c.name, directory_groups.c.name_ci)
        .where(directory_groups.c.id.in_(wanted) | directory_groups.c.name_ci.in_(lowered))
        .order_by(directory_groups.c.id)
        .with_for_update(read=True)
    ).all()
    found: dict[str, tuple[str, str]] = {}
    for r in rows:
        found[r.id] = found[r.name_ci] = (r.id, r.name)
    missing = [r for r in wanted if r not in found and r.lower() not in found]
    if missing:
        raise NotFound(
            f"No user group named {', '.join(repr(m) for m in missing)}; nothing was changed"
        )
    return list(dict.fromkeys(found.get(r) or found[r.lower()] for r in wanted))


def _bound_ids(conn: Connection, app_id: str) -> set[str]:
    rows = conn.execute(
        select(app_group_bindings.c.group_id).where(app_group_bindings.c.app_id == app_id)
    )
    return {r.group_id for r in rows}
