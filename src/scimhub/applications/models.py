"""What the applications services return: plain frozen records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

__all__ = [
    "Application",
    "IdmState",
    "IdmStatus",
    "Image",
]


class IdmState(StrEnum):
    UNCONFIGURED = "unconfigured"  #: base URL or token missing
    INACTIVE = "inactive"  #: configured, not provisioning
    ACTIVE = "active"  #: verified and provisioning


@dataclass(frozen=True, slots=True)
class Application:
    id: str
    catalog_key: str
    label: str
    description: str
    show_in_portal: bool
    bookmark_url: str | None
    image_sha256: str | None
    idm_state: IdmState
    created: datetime
    updated: datetime


@dataclass(frozen=True, slots=True)
class Image:
    content_type: str
    sha256: str
    data: bytes


@dataclass(frozen=True, slots=True)
class IdmStatus:
    """An IdM integration as admins see it: the token only by its last four characters."""

    app_id: str
    state: IdmState
    region: str | None
    base_url: str | None
    token_last4: str | None
    options: dict[str, bool]
    capabilities: dict[str, Any] | None
    last_check: dict[str, Any] | None
    verified_at: datetime | None
    activated_at: datetime | None
    deactivated_at: datetime | None
    generation: int
    updated: datetime

    @property
    def token_hint(self) -> str | None:
        return f"…{self.token_last4}" if self.token_last4 else None
