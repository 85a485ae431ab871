"""Who is in an application's scope, as SQL: ACTIVATED users in at least one bound group.

Every query here is bounded by the users or the application asked about, never by the size
of the directory: memberships are reached through their (group, user) and user indexes.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, exists, select

from scimhub.applications.models import IdmState
from scimhub.directory.models import UserState
from scimhub.storage.hub_tables import app_group_bindings as bindings
from scimhub.storage.hub_tables import directory_memberships as memberships
from scimhub.storage.hub_tables import directory_users as users
from scimhub.storage.hub_tables import idm_integrations as idm

__all__ = ["ACTIVE", "in_scope_ids", "in_scope_pairs", "is_in_scope"]

ACTIVE = IdmState.ACTIVE.value  #: idm_integrations.status of an integration that provisions


def in_scope_pairs(*where: ColumnElement[bool]) -> Select[Any]:
    """(app_id, user_id, username) of every in-scope pair matching ``where``, active
    integrations only."""
    return (
        select(bindings.c.app_id, users.c.id, users.c.username)
        .distinct()
        .select_from(memberships)
        .join(bindings, bindings.c.group_id == memberships.c.group_id)
        .join(idm, and_(idm.c.app_id == bindings.c.app_id, idm.c.status == ACTIVE))
        .join(users, users.c.id == memberships.c.user_id)
        .where(users.c.state == UserState.ACTIVATED.value, *where)
    )


def is_in_scope(app_id: Any, user_id: Any) -> ColumnElement[bool]:
    """True when the user (a column or value) is ACTIVATED and in a group bound to the app."""
    bound = (
        select(memberships.c.user_id)
        .join(bindings, bindings.c.group_id == memberships.c.group_id)
        .where(bindings.c.app_id == app_id, memberships.c.user_id == user_id)
    )
    active = select(users.c.id).where(
        users.c.id == user_id, users.c.state == UserState.ACTIVATED.value
    )
    return and_(exists(bound), exists(active))


def in_scope_ids(conn: Connection, app_id: str, user_ids: Collection[str]) -> set[str]:
    """Those of ``user_ids`` that are in the application's scope now."""
    if not user_ids:
        return set()
    query = (
        select(memberships.c.user_id)
        .distinct()
        .join(bindings, bindings.c.group_id == memberships.c.group_id)
        .join(users, users.c.id == memberships.c.user_id)
        .where(
            bindings.c.app_id == app_id,
            memberships.c.user_id.in_(list(user_ids)),
            users.c.state == UserState.ACTIVATED.value,
        )
    )
    return set(conn.execute(query).scalars())
