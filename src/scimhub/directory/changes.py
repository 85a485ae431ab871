"""How the directory tells the rest of the hub that users changed.

Provisioning is level-triggered (DESIGN.md): each directory change marks the affected
links dirty *in the same transaction*. The directory cannot import provisioning, so it
calls a ``ChangeSink`` given to it by the composition root, with the open connection.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from sqlalchemy import Connection

__all__ = ["NO_CHANGES", "ChangeSink"]


class ChangeSink(Protocol):
    def users_changed(self, conn: Connection, user_ids: Collection[str]) -> None:
        """Users' attributes, state or memberships changed, or they are about to be deleted."""


class _NoChanges:
    def users_changed(self, conn: Connection, user_ids: Collection[str]) -> None:
        return None


#: The sink until the provisioning engine plugs its own in.
NO_CHANGES: ChangeSink = _NoChanges()
