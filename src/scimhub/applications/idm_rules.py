"""The rules of IdM configuration: region or typed URL, options per connector, and what
may not change while an integration is active."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scimhub.problems import Invalid, Refused

from .catalog import CatalogEntry
from .models import IdmState, IdmStatus
from .urls import normalize_base_url

__all__ = [
    "TOKEN_RULE",
    "checked_options",
    "refuse_live_change",
    "state_after",
    "url_change",
]

TOKEN_RULE = (
    "The token cannot be changed while the IdM integration is active: deactivate the IdM "
    "integration, update the token, and then activate it again."
)
_URL_RULE = (
    "The base URL cannot be changed while the IdM integration is active: deactivate the IdM "
    "integration, update the base URL, and then activate it again."
)


def url_change(entry: CatalogEntry, region: str | None, base_url: str | None) -> dict[str, Any]:
    if region and base_url:
        raise Invalid("Choose a region or type a base URL, not both")
    if region:
        chosen = entry.region(region)
        if chosen is None:
            known = ", ".join(r.key for r in entry.regions) or "none"
            raise Invalid(f"{entry.name} has no region '{region}' (regions: {known})")
        return {"region": chosen.key, "base_url": chosen.base_url}
    if base_url is not None:
        return {"region": None, "base_url": normalize_base_url(base_url)}
    return {}


def checked_options(
    entry: CatalogEntry, current: Mapping[str, bool], options: Mapping[str, bool]
) -> dict[str, bool]:
    allowed = {o.key for o in entry.options}
    for key, value in options.items():
        if key not in allowed:
            raise Invalid(f"{entry.name} has no option '{key}'" + _no_option_hint(entry, key))
        if not isinstance(value, bool):
            raise Invalid(f"The option '{key}' must be true or false")
        if key == "push_groups" and value:
            raise Invalid(NO_GROUP_PUSH)
    return {**entry.default_options(), **current, **options}


#: Group push is not built yet: the option exists (default off) but cannot be turned on,
#: so nobody believes groups are being sent.
NO_GROUP_PUSH = (
    "Pushing groups is not available yet: the members of bound groups are provisioned as "
    "users, but the groups themselves are not sent to the application"
)


def _no_option_hint(entry: CatalogEntry, key: str) -> str:
    if key == "delete_users" and not entry.user_delete:
        return f": {entry.name} does not support deletion of a user (users are deactivated)"
    if key == "push_groups" and not entry.groups:
        return f": {entry.name} does not support groups"
    return ""


def refuse_live_change(current: IdmStatus, values: Mapping[str, Any]) -> None:
    if "token_ciphertext" in values:
        raise Refused(TOKEN_RULE)
    if "base_url" in values and values["base_url"] != current.base_url:
        raise Refused(_URL_RULE)


def state_after(current: IdmStatus, values: Mapping[str, Any]) -> dict[str, Any]:
    if current.state is IdmState.ACTIVE:
        return {}
    has_url = values.get("base_url", current.base_url) is not None
    has_token = "token_ciphertext" in values or current.token_last4 is not None
    ready = IdmState.INACTIVE if has_url and has_token else IdmState.UNCONFIGURED
    return {"status": ready.value}
