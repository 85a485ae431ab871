"""The one small interface through which the engine reaches a target (DESIGN.md).

Like httpx's transport: a Protocol and plain data. :class:`~.scim_connector.ScimConnector`
implements it over SCIM 2.0 (RFC 7644); tests and dry runs may implement it otherwise. Every
method either returns or raises one of :mod:`.outcomes`; implementations are shared by the
worker's threads, so they must be thread-safe.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["Connector", "ListPage", "Remote"]


@dataclass(frozen=True, slots=True)
class Remote:
    """A user as the target holds it: its ``id`` there and its resource as returned."""

    id: str
    resource: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ListPage:
    """One page of the target's users (RFC 7644 §3.4.2.4); ``total_results`` None if unsaid."""

    resources: tuple[Remote, ...]
    total_results: int | None
    start_index: int
    items_per_page: int


class Connector(Protocol):
    """Users of one target. Failures are :mod:`.outcomes` exceptions."""

    def create(self, resource: dict[str, Any]) -> Remote:
        """Create a user (RFC 7644 §3.3); :class:`.AlreadyExists` when the name is taken."""
        ...

    def get(self, remote_id: str) -> Remote | None:
        """The user with this id, or None when the target has none (404)."""
        ...

    def find_by_username(self, username: str) -> Remote | None:
        """The user whose userName equals ``username`` ignoring case, or None."""
        ...

    def find_by_usernames(self, usernames: Sequence[str]) -> dict[str, Remote]:
        """The users found among ``usernames``, keyed by ``userName.casefold()``."""
        ...

    def list_page(self, start_index: int, count: int) -> ListPage:
        """One page of all users, from the 1-based ``start_index`` (RFC 7644 §3.4.2.4)."""
        ...

    def patch(self, remote_id: str, operations: list[dict[str, Any]]) -> Remote | None:
        """Apply PATCH operations (RFC 7644 §3.5.2); None when the target answers 204."""
        ...

    def replace(self, remote_id: str, resource: dict[str, Any]) -> Remote:
        """Replace the user (PUT, RFC 7644 §3.5.1)."""
        ...

    def delete(self, remote_id: str) -> None:
        """Delete the user (RFC 7644 §3.6); a user already gone (404) counts as deleted."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
