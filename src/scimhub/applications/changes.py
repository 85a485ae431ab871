"""How applications tell provisioning that an application's scope changed.

Like the directory's ``ChangeSink``: called inside the same write transaction, so a
binding change and the dirty marks it causes commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from sqlalchemy import Connection

__all__ = ["NO_SCOPE_CHANGES", "ScopeSink"]


class ScopeSink(Protocol):
    def bindings_changed(self, conn: Connection, app_id: str, group_ids: Collection[str]) -> None:
        """Groups were bound to or unbound from the application."""

    def integration_changed(
        self, conn: Connection, app_id: str, *, activated: bool = False
    ) -> None:
        """The IdM integration was reconfigured or deactivated, or (``activated``) has just
        been activated."""


class _NoScopeChanges:
    def bindings_changed(self, conn: Connection, app_id: str, group_ids: Collection[str]) -> None:
        return None

    def integration_changed(
        self, conn: Connection, app_id: str, *, activated: bool = False
    ) -> None:
        return None


#: The sink until the provisioning engine plugs its own in.
NO_SCOPE_CHANGES: ScopeSink = _NoScopeChanges()
