"""Provider profiles: what a tenant's SCIM API offers, as data.

``generic`` offers everything the provider implements. ``profitco`` behaves
like Profit.co's SCIM API: users only, no deletion, userName is an email.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scimhub.scim.definitions import GROUP_RESOURCE, USER_RESOURCE, USER_SCHEMA
from scimhub.scim.errors import InvalidValue, NotFound
from scimhub.scim.schema import ResourceType, Schema

#: The provider answers on the standard path and on Profit.co's.
PREFIXES = ("/scim/v2", "/app/rest/platform/auth/scim/v2")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    resource_types: tuple[ResourceType, ...]
    can_delete_users: bool = True
    username_is_email: bool = False
    delete_refusal: str = ""

    def resource_type(self, endpoint: str) -> ResourceType:
        for rtype in self.resource_types:
            if rtype.endpoint.lower() == "/" + endpoint.lower():
                return rtype
        raise NotFound(f"The endpoint '/{endpoint}' is not served here")

    def by_name(self, name: str) -> ResourceType | None:
        return next((r for r in self.resource_types if r.name.lower() == name.lower()), None)

    @property
    def schemas(self) -> tuple[Schema, ...]:
        seen: dict[str, Schema] = {}
        for rtype in self.resource_types:
            seen.setdefault(rtype.schema.id, rtype.schema)
            for ext in rtype.extensions:
                seen.setdefault(ext.schema.id, ext.schema)
        return tuple(seen.values())

    def check_user(self, doc: dict[str, object]) -> None:
        """Profile rules on a user document about to be stored."""
        user_name = doc.get("userName")
        if self.username_is_email and not (isinstance(user_name, str) and _EMAIL.match(user_name)):
            raise InvalidValue("userName must be an email address")


def _without_groups(schema: Schema) -> Schema:
    attrs = tuple(a for a in schema.attributes if a.name != "groups")
    return Schema(schema.id, schema.name, schema.description, attrs)


PROFITCO_USER = ResourceType(
    name="User",
    endpoint="/Users",
    description="Profit.co user",
    schema=_without_groups(USER_SCHEMA),
    extensions=USER_RESOURCE.extensions,
)

GENERIC = Profile("generic", (USER_RESOURCE, GROUP_RESOURCE))
PROFITCO = Profile(
    "profitco",
    (PROFITCO_USER,),
    can_delete_users=False,
    username_is_email=True,
    delete_refusal="Deleting users is not supported; set 'active' to false to deactivate the user",
)

PROFILES = {p.name: p for p in (GENERIC, PROFITCO)}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"Unknown profile '{name}' (choose from {', '.join(PROFILES)})") from None
