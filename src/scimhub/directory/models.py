"""What the directory services return: plain frozen records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from scimhub.storage.keyset import Page

__all__ = ["DirectoryGroup", "DirectoryUser", "MembershipChange", "Page", "UserState"]


class UserState(StrEnum):
    """A directory user's lifecycle state.

    STAGED users exist but have never been activated; ACTIVATED users are provisioned;
    SUSPENDED users keep their accounts but are deactivated in applications.
    """

    STAGED = "STAGED"
    ACTIVATED = "ACTIVATED"
    SUSPENDED = "SUSPENDED"


@dataclass(frozen=True, slots=True)
class DirectoryUser:
    id: str
    username: str
    email: str
    firstname: str
    lastname: str
    department: str
    job_title: str
    state: UserState
    created: datetime
    updated: datetime


@dataclass(frozen=True, slots=True)
class DirectoryGroup:
    id: str
    name: str
    description: str
    created: datetime
    updated: datetime
    member_count: int


@dataclass(frozen=True, slots=True)
class MembershipChange:
    """The outcome of adding or removing members.

    ``changed`` are the users whose membership changed (added or removed); ``unchanged``
    are those already in the wanted state (already members, or not members to begin with).
    """

    group: DirectoryGroup
    changed: list[DirectoryUser]
    unchanged: list[DirectoryUser]
