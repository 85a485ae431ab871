"""Editing an application's attribute mapping: which directory property becomes which SCIM
attribute (RFC 7643 §4.1) when its users are provisioned.

An application follows its catalog entry's mapping until an admin sets its own; the edited
mapping is stored with the IdM integration (``idm_integrations.mapping``, NULL for the
default). A change tells provisioning through the ``ScopeSink`` in the same transaction, so
every linked user is sent again under the new mapping; a change that changes nothing
writes nothing and marks nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from scimhub.problems import NotFound
from scimhub.storage.hub_tables import applications, idm_integrations
from scimhub.storage.resources import now_utc
from scimhub.storage.transactions import read_tx, write_tx

from .apps import resolve
from .catalog import Mapping, catalog_entry
from .changes import NO_SCOPE_CHANGES, ScopeSink
from .mapping_rules import checked_mapping, mapping_from_json, mapping_to_json

__all__ = ["MappingView", "Mappings"]


@dataclass(frozen=True, slots=True)
class MappingView:
    """The mapping an application's users are sent with; ``is_default``: the catalog's."""

    app_id: str
    catalog_key: str
    entries: tuple[Mapping, ...]
    is_default: bool


@dataclass(frozen=True, slots=True)
class _Stored:
    app_id: str
    catalog_key: str
    mapping: list[dict[str, Any]] | None  #: the JSON form; None follows the catalog

    def view(self) -> MappingView:
        if self.mapping is None:
            default = catalog_entry(self.catalog_key).mapping
            return MappingView(self.app_id, self.catalog_key, default, True)
        return MappingView(self.app_id, self.catalog_key, mapping_from_json(self.mapping), False)


class Mappings:
    def __init__(self, engine: Engine, scope: ScopeSink = NO_SCOPE_CHANGES) -> None:
        self.engine = engine
        self.scope = scope

    def get(self, app_ref: str) -> MappingView:
        with read_tx(self.engine) as conn:
            return _load(conn, resolve(conn, app_ref)).view()

    def set(self, app_ref: str, entries: Sequence[Mapping]) -> MappingView:
        """Use ``entries`` for the application, if they are a mapping its connector can
        send (``checked_mapping``: Invalid lists every problem otherwise).

        A mapping equal to the catalog's default is stored as the default.
        """
        with write_tx(self.engine) as conn:
            current = _load(conn, resolve(conn, app_ref, lock=True), lock=True)
            entry = catalog_entry(current.catalog_key)
            stored = mapping_to_json(checked_mapping(entries, entry))
            default = stored == mapping_to_json(entry.mapping)
            return self._store(conn, current, None if default else stored)

    def reset(self, app_ref: str) -> MappingView:
        """Go back to the catalog entry's default mapping."""
        with write_tx(self.engine) as conn:
            current = _load(conn, resolve(conn, app_ref, lock=True), lock=True)
            return self._store(conn, current, None)

    def _store(
        self, conn: Connection, current: _Stored, mapping: list[dict[str, Any]] | None
    ) -> MappingView:
        """Write ``mapping`` (None: the default) unless unchanged; tell provisioning if what
        the users are sent with changes."""
        if mapping == current.mapping:
            return current.view()
        conn.execute(
            update(idm_integrations)
            .where(idm_integrations.c.app_id == current.app_id)
            .values(mapping=mapping, updated=now_utc())
        )
        after = _Stored(current.app_id, current.catalog_key, mapping).view()
        if after.entries != current.view().entries:
            self.scope.integration_changed(conn, current.app_id)
        return after


def _load(conn: Connection, app_id: str, *, lock: bool = False) -> _Stored:
    """The application's connector and stored mapping; with ``lock`` the IdM row is locked
    (after the application's row, which the caller holds: the hub's lock order)."""
    query = (
        select(applications.c.catalog_key, idm_integrations.c.mapping)
        .join(idm_integrations, idm_integrations.c.app_id == applications.c.id)
        .where(applications.c.id == app_id)
    )
    if lock:
        query = query.with_for_update(of=idm_integrations)
    row = conn.execute(query).first()
    if row is None:  # deleted by a concurrent transaction
        raise NotFound(f"No application with id '{app_id}'")
    return _Stored(app_id, row.catalog_key, row.mapping)
