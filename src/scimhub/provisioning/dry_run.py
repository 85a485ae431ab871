"""Dry run: the plan (creates, updates with their attribute diffs, deprovisionings) made by
the engine's own decision code, with every write to the target replaced by a note.

Lookups still read the target (that is how a create differs from a link); nothing is
written to the target, and nothing to the database either.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, and_, exists, select

from scimhub.storage.hub_tables import directory_memberships as memberships
from scimhub.storage.hub_tables import idm_integrations as idm
from scimhub.storage.provisioning_tables import provisioning_links as links
from scimhub.storage.transactions import read_tx

from .batch import load_items
from .calls import Calls
from .connector import Connector, ListPage, Remote
from .executor import LOOK_UP, Executor, Item
from .links import Link
from .outcomes import RemoteFailure, Stop
from .scope import in_scope_pairs
from .targets import Target

__all__ = ["DryConnector", "plan"]

_CHUNK = 200
NEW = "(new)"


class DryConnector:
    """Reads go to the target; writes are answered here without being sent."""

    def __init__(self, inner: Connector) -> None:
        self.inner = inner

    def create(self, resource: dict[str, Any]) -> Remote:
        return Remote(NEW, resource)

    def get(self, remote_id: str) -> Remote | None:
        return self.inner.get(remote_id)

    def find_by_username(self, username: str) -> Remote | None:
        return self.inner.find_by_username(username)

    def find_by_usernames(self, usernames: Sequence[str]) -> dict[str, Remote]:
        return self.inner.find_by_usernames(usernames)

    def list_page(self, start_index: int, count: int) -> ListPage:
        return self.inner.list_page(start_index, count)

    def patch(self, remote_id: str, operations: list[dict[str, Any]]) -> Remote | None:
        return None

    def replace(self, remote_id: str, resource: dict[str, Any]) -> Remote:
        return Remote(remote_id, resource)

    def delete(self, remote_id: str) -> None:
        return None

    def close(self) -> None:
        return None


def plan(engine: Engine, target: Target, connector: Connector, calls: Calls) -> None:
    """Every planned step of ``target`` goes to ``calls`` (its observer prints them)."""
    executor = Executor(target, DryConnector(connector), calls)
    for items in _chunks_of_items(engine, target.app_id):
        found = _found(connector, items)
        for item in items:
            _plan_one(executor, item, found.get(item.link.user_id, LOOK_UP))


def _plan_one(executor: Executor, item: Item, found: Remote | None) -> None:
    try:
        executor.run(item, found)
    except Stop:
        raise
    except RemoteFailure:
        return  # already in the plan as this user's error


def _found(connector: Connector, items: list[Item]) -> dict[str, Remote | None]:
    wanted = [i for i in items if i.in_scope and i.user and i.link.remote_state == "absent"]
    if len(wanted) < 2:
        return {}
    remotes = connector.find_by_usernames([i.user.username for i in wanted if i.user])
    return {i.link.user_id: remotes.get(i.user.username.casefold()) for i in wanted if i.user}


def _chunks_of_items(engine: Engine, app_id: str) -> Iterator[list[Item]]:
    """The application's links, then in-scope users who have none yet, in chunks."""
    after = -1
    while True:
        with read_tx(engine) as conn:
            rows = _links_after(conn, app_id, after)
            if not rows:
                break
            after = rows[-1].id
            yield load_items(conn, app_id, rows)
    yield from _unlinked(engine, app_id)


def _links_after(conn: Connection, app_id: str, after: int) -> list[Link]:
    columns = [links.c[name] for name in Link.__dataclass_fields__]
    query = (
        select(*columns)
        .where(links.c.app_id == app_id, links.c.id > after)
        .order_by(links.c.id)
        .limit(_CHUNK)
    )
    return [Link.of(row) for row in conn.execute(query)]


def _unlinked(engine: Engine, app_id: str) -> Iterator[list[Item]]:
    linked = exists().where(links.c.app_id == app_id, links.c.user_id == memberships.c.user_id)
    query = in_scope_pairs(and_(idm.c.app_id == app_id, ~linked))
    with read_tx(engine) as conn:
        pairs = conn.execute(query).all()
    for start in range(0, len(pairs), _CHUNK):
        fresh = [_unsaved(app_id, p.id, p.username) for p in pairs[start : start + _CHUNK]]
        with read_tx(engine) as conn:
            yield load_items(conn, app_id, fresh)


def _unsaved(app_id: str, user_id: str, username: str) -> Link:
    return Link(-1, app_id, user_id, username, None, "absent", None, None, 0, False, 0, None)
