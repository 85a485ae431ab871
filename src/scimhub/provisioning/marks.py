"""Dirty marks: every directory or scope change marks the affected links in its own
transaction (DESIGN.md, level-triggered), so no change can be lost.

``DirtyMarks`` is the directory's ``ChangeSink`` and the applications' ``ScopeSink``. It
creates the link rows users entering scope need and bumps ``seq`` and sets ``due`` on the
links that may have to change. Deciding what to do is the worker's job: a mark is only
"look at this (application, user) again".
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, false, literal, select, update

from scimhub.directory.queries import chunks
from scimhub.storage.db import upsert_insert
from scimhub.storage.hub_tables import directory_memberships as memberships
from scimhub.storage.hub_tables import idm_integrations as idm
from scimhub.storage.provisioning_tables import provisioning_apps as apps_state
from scimhub.storage.provisioning_tables import provisioning_links as links
from scimhub.storage.resources import now_utc

from .scope import ACTIVE, in_scope_pairs

__all__ = ["DirtyMarks", "insert_links", "mark_links"]


class DirtyMarks:
    """Implements ``ChangeSink`` and ``ScopeSink`` on the caller's open transaction."""

    def users_changed(self, conn: Connection, user_ids: Collection[str]) -> None:
        for chunk in chunks(sorted(set(user_ids))):
            insert_links(conn, in_scope_pairs(memberships.c.user_id.in_(chunk)))
            mark_links(conn, links.c.user_id.in_(chunk))

    def bindings_changed(self, conn: Connection, app_id: str, group_ids: Collection[str]) -> None:
        for chunk in chunks(sorted(set(group_ids))):
            members = select(memberships.c.user_id).where(memberships.c.group_id.in_(chunk))
            in_groups = memberships.c.group_id.in_(chunk)
            insert_links(conn, in_scope_pairs(in_groups, idm.c.app_id == app_id))
            mark_links(conn, links.c.app_id == app_id, links.c.user_id.in_(members))

    def integration_changed(
        self, conn: Connection, app_id: str, *, activated: bool = False
    ) -> None:
        """Activated: a fresh start (a quarantine, pause or hold ends) and a full reconcile
        against the target's copies. Reconfigured while active (options, mapping): every
        link is looked at again. Deactivation needs nothing: workers skip inactive apps."""
        status = conn.execute(select(idm.c.status).where(idm.c.app_id == app_id)).scalar()
        if status != ACTIVE:
            return
        if activated:
            reset_engine_state(conn, app_id)
            full_reconcile(conn, app_id)
            return
        insert_links(conn, in_scope_pairs(idm.c.app_id == app_id))
        mark_links(conn, links.c.app_id == app_id)


def full_reconcile(conn: Connection, app_id: str) -> None:
    """Every in-scope user gets a link, and every link is compared with the target."""
    insert_links(conn, in_scope_pairs(idm.c.app_id == app_id))
    mark_links(conn, links.c.app_id == app_id, verify=True)


def reset_engine_state(conn: Connection, app_id: str) -> None:
    """Back to running: a quarantine, pause or hold ends when the integration is fixed."""
    conn.execute(
        update(apps_state)
        .where(apps_state.c.app_id == app_id)
        .values(
            state="running",
            reason=None,
            hold_until=None,
            guard_allowance=0,
            since=now_utc(),
            updated=now_utc(),
        )
    )


def insert_links(conn: Connection, pairs: Select[Any]) -> None:
    """A link row for every (app_id, user_id, username) of ``pairs`` that has none yet."""
    now = now_utc()
    source = pairs.add_columns(*_new_link_values(now))
    columns = ["app_id", "user_id", "username", "remote_state", "attempts", "seq", "due"]
    columns += ["verify", "updated"]
    statement = upsert_insert(conn, links).from_select(columns, source)
    conn.execute(statement.on_conflict_do_nothing(index_elements=["app_id", "user_id"]))


def mark_links(conn: Connection, *where: ColumnElement[bool], verify: bool = False) -> None:
    """Dirty now: ``seq`` bumped so an outcome being recorded keeps the mark.

    ``verify`` (a full reconcile) compares with the target's copy and is claimed after
    changes; a change moves its link back to the changes' lane (its drift check waits for
    the next reconcile), so it is never kept waiting behind a reconcile."""
    values: dict[str, Any] = {"seq": links.c.seq + 1, "due": now_utc(), "updated": now_utc()}
    values["verify"] = verify
    conn.execute(update(links).where(*where).values(**values))


def _new_link_values(now: datetime) -> Sequence[Any]:
    return (
        literal("absent"),
        literal(0),
        literal(0),
        literal(now, links.c.due.type),
        false(),
        literal(now, links.c.updated.type),
    )
