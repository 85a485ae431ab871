"""An application's user read back through the reverse of its attribute mapping: pure.

Each mapping row ``source -> target`` is read the other way: the target's value (read as
leniently as the engine reads a target's copy) becomes the directory field ``source``;
``active`` false becomes SUSPENDED, anything else ACTIVATED. A record without an email
whose userName is an email address takes that as its email (Profit.co's userName is the
email). Validation is the directory's own (``directory.validation.new_user``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from email_validator import EmailNotValidError, validate_email

from scimhub.applications.catalog import Mapping
from scimhub.directory.models import UserState
from scimhub.directory.validation import NewUser, new_user
from scimhub.problems import Invalid

from ..attributes import SOURCE_FIELDS, Values, values_of
from ..connector import Remote

__all__ = ["RemoteUser", "new_user_of", "read_remote"]

_MAX_USERNAME = 128
_MAX_SHOWN = 300


@dataclass(frozen=True, slots=True)
class RemoteUser:
    """One user of the application, in directory terms."""

    remote_id: str
    username: str  #: "" when the record has none
    fields: dict[str, Any]  #: directory field -> value read (may be of any JSON type)
    values: Values  #: the mapped values as the application holds them

    @property
    def key(self) -> str:
        """What identifies the user in an import: its userName case-folded (the remote id
        for a record without a usable one)."""
        if 0 < len(self.username) <= _MAX_USERNAME:
            return self.username.casefold()
        return f"#{self.remote_id}"

    @property
    def printable_name(self) -> str:
        """The userName as it can be stored and shown: controls replaced, length bounded."""
        cleaned = "".join(c if c.isprintable() else "\ufffd" for c in self.username)
        return cleaned[:_MAX_SHOWN]

    @property
    def email(self) -> str:
        value = self.fields.get("email")
        return value.strip() if isinstance(value, str) else ""

    @property
    def display_name(self) -> str:
        parts = (self.fields.get("firstname"), self.fields.get("lastname"))
        return " ".join(p for p in parts if isinstance(p, str) and p)


def read_remote(remote: Remote, mapping: Sequence[Mapping]) -> RemoteUser:
    values = values_of(remote.resource, mapping)
    fields: dict[str, Any] = {}
    for m in mapping:
        value = values.get(m.target)
        if m.source == "state":
            fields["state"] = UserState.SUSPENDED if value is False else UserState.ACTIVATED
        elif m.source in SOURCE_FIELDS:
            fields[SOURCE_FIELDS[m.source]] = value
    username = fields.get("username")
    username = username.strip() if isinstance(username, str) else ""
    if not fields.get("email") and _is_email(username):
        fields["email"] = username
    return RemoteUser(remote.id, username, fields, values)


def new_user_of(user: RemoteUser) -> NewUser:
    """The directory user to create, or Invalid saying what the record lacks."""
    if not user.username:
        raise Invalid("The application's record has no userName")
    if not user.fields.get("email"):
        raise Invalid("The application's record has no email (the directory needs one)")
    given = {k: v for k, v in user.fields.items() if v is not None}
    return new_user(**(given | {"username": user.username}))


def _is_email(value: str) -> bool:
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True
