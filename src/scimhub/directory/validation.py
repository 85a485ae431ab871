"""The rules of directory data: each checker returns the value to store or raises Invalid.

Messages name the field as admins know it (``jobTitle``, not the column name) and say
what a valid value looks like.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from email_validator import EmailNotValidError, validate_email

from scimhub.fields import checked_line, checked_paragraph
from scimhub.problems import Invalid

from .models import UserState

__all__ = [
    "USER_FIELDS",
    "NewUser",
    "checked_description",
    "checked_group_name",
    "checked_state",
    "checked_user_changes",
    "new_user",
]

#: Editable user fields (service names) and how messages call them.
USER_FIELDS = {
    "username": "username",
    "email": "email",
    "firstname": "firstname",
    "lastname": "lastname",
    "department": "department",
    "job_title": "jobTitle",
}
_USERNAME = re.compile(r"[\w.@+-]{1,128}")
_MAX_USERNAME = 128
_MAX_EMAIL = 320
_MAX_TEXT = 200
_MAX_DESCRIPTION = 2000


@dataclass(frozen=True, slots=True)
class NewUser:
    """A validated user, ready to insert."""

    username: str
    email: str
    firstname: str
    lastname: str
    department: str
    job_title: str
    state: UserState


def new_user(
    *,
    username: object,
    email: object,
    firstname: object = "",
    lastname: object = "",
    department: object = "",
    job_title: object = "",
    state: object = UserState.ACTIVATED,
) -> NewUser:
    """Validate every field of a new user (the first bad field is reported)."""
    return NewUser(
        username=checked_username(username),
        email=checked_email(email),
        firstname=checked_text(firstname, "firstname"),
        lastname=checked_text(lastname, "lastname"),
        department=checked_text(department, "department"),
        job_title=checked_text(job_title, "jobTitle"),
        state=checked_state(state),
    )


def checked_user_changes(fields: Mapping[str, Any]) -> dict[str, str]:
    """Validated values for an edit; unknown fields (and ``state``) are refused."""
    if "state" in fields:
        raise Invalid("The state cannot be edited; suspend or activate the user instead")
    unknown = sorted(set(fields) - set(USER_FIELDS))
    if unknown:
        editable = ", ".join(USER_FIELDS.values())
        raise Invalid(f"Cannot edit {', '.join(unknown)} of a user; editable: {editable}")
    out: dict[str, str] = {}
    for name, value in fields.items():
        if name == "username":
            out[name] = checked_username(value)
        elif name == "email":
            out[name] = checked_email(value)
        else:
            out[name] = checked_text(value, USER_FIELDS[name])
    return out


def checked_username(value: object) -> str:
    text = _string(value, "username").strip()
    if not _USERNAME.fullmatch(text) or len(text.lower()) > _MAX_USERNAME:
        raise Invalid(
            f"Invalid username {text!r}: use 1 to 128 letters, digits and . _ - @ + "
            "(an email address is fine)"
        )
    return text


def checked_email(value: object) -> str:
    text = _string(value, "email").strip()
    if not text:
        raise Invalid("The email is required")
    try:
        normalized = validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise Invalid(f"Invalid email {text!r}: {exc}") from None
    if len(normalized) > _MAX_EMAIL:
        raise Invalid(f"Invalid email {text!r}: at most {_MAX_EMAIL} characters")
    return normalized


def checked_text(value: object, field: str, limit: int = _MAX_TEXT) -> str:
    """A stripped line of free text of at most ``limit`` characters."""
    return checked_line(_string(value, field), field, limit)


def checked_state(value: object) -> UserState:
    if isinstance(value, UserState):
        return value
    text = _string(value, "state").strip().upper()
    try:
        return UserState(text)
    except ValueError:
        allowed = ", ".join(s.value for s in UserState)
        raise Invalid(f"Invalid state {value!r}: use one of {allowed}") from None


def checked_group_name(value: object) -> str:
    name = checked_text(value, "group name")
    if not name:
        raise Invalid("The group name is required")
    return name


def checked_description(value: object) -> str:
    return checked_paragraph(_string(value, "description"), "description", _MAX_DESCRIPTION)


def _string(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise Invalid(f"The {field} must be a string (got {type(value).__name__})")
    if "\x00" in value:
        raise Invalid(f"The {field} must not contain NUL characters")
    return value
