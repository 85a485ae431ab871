"""The applications the engine may work for now, and what it needs to reach each one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from scimhub.applications.capabilities import Capabilities
from scimhub.applications.catalog import CatalogEntry, Mapping, catalog_entry
from scimhub.applications.mapping_rules import mapping_from_json
from scimhub.applications.secrets import SecretBox
from scimhub.storage.hub_tables import applications
from scimhub.storage.hub_tables import idm_integrations as idm
from scimhub.storage.provisioning_tables import provisioning_apps as apps_state
from scimhub.storage.resources import now_utc

from .control import RUNNING
from .scope import ACTIVE

__all__ = ["Target", "is_current", "load_target", "runnable_app_ids"]


@dataclass(frozen=True, slots=True)
class Target:
    """One active application as the engine sees it (the token decrypted: never log it)."""

    app_id: str
    label: str
    generation: int
    entry: CatalogEntry
    base_url: str
    token: str = field(repr=False)
    mapping: tuple[Mapping, ...]
    patch: bool  #: PATCH (else PUT)
    delete_users: bool  #: leaving scope deletes (else deactivates)

    @property
    def key(self) -> tuple[str, int]:
        return (self.app_id, self.generation)


def runnable_app_ids(conn: Connection, now: datetime) -> list[str]:
    """Active integrations neither quarantined, paused nor held."""
    query = (
        select(idm.c.app_id)
        .outerjoin(apps_state, apps_state.c.app_id == idm.c.app_id)
        .where(
            idm.c.status == ACTIVE,
            or_(apps_state.c.app_id.is_(None), _running(now)),
        )
        .order_by(idm.c.app_id)
    )
    return list(conn.execute(query).scalars())


def _running(now: datetime) -> Any:
    return and_(
        apps_state.c.state == RUNNING,
        or_(apps_state.c.hold_until.is_(None), apps_state.c.hold_until <= now),
    )


def is_current(conn: Connection, app_id: str, generation: int) -> bool:
    """Still active under the same generation, and not quarantined, paused or held."""
    query = (
        select(idm.c.generation, apps_state.c.state, apps_state.c.hold_until)
        .outerjoin(apps_state, apps_state.c.app_id == idm.c.app_id)
        .where(idm.c.app_id == app_id, idm.c.status == ACTIVE)
    )
    row = conn.execute(query).first()
    if row is None or row.generation != generation or row.state not in (None, RUNNING):
        return False
    return row.hold_until is None or row.hold_until <= now_utc()


def load_target(conn: Connection, app_id: str, box: SecretBox) -> Target | None:
    """The active application ``app_id`` with its decrypted token, or None."""
    query = (
        select(idm, applications.c.label, applications.c.catalog_key)
        .join(applications, applications.c.id == idm.c.app_id)
        .where(idm.c.app_id == app_id, idm.c.status == ACTIVE)
    )
    row = conn.execute(query).first()
    if row is None or row.base_url is None or row.token_ciphertext is None:
        return None
    entry = catalog_entry(row.catalog_key)
    return Target(
        app_id=app_id,
        label=row.label,
        generation=row.generation,
        entry=entry,
        base_url=row.base_url,
        token=box.open(row.token_ciphertext),
        mapping=entry.mapping if row.mapping is None else mapping_from_json(row.mapping),
        patch=_patch(entry, row.capabilities),
        delete_users=entry.user_delete and bool((row.options or {}).get("delete_users")),
    )


def _patch(entry: CatalogEntry, capabilities: dict[str, Any] | None) -> bool:
    """The target's own /ServiceProviderConfig wins over the catalog's default."""
    if entry.reads_service_provider_config and capabilities:
        caps = Capabilities.from_dict(capabilities)
        if caps.source == "ServiceProviderConfig":
            return caps.patch
    return entry.patch
