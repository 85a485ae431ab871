"""Point lookups: filters that name one indexed value, answered by the fast read path.

``userName eq "x"``, ``externalId eq "x"``, ``id eq "x"``, ``emails.value eq "x"`` and a
group's ``displayName eq "x"`` are what identity providers send before every create; they
resolve to one index probe, so they skip the general filter compiler.
"""

from __future__ import annotations

from scimhub.scim.filter import Compare, Filter
from scimhub.scim.path import AttrPath
from scimhub.scim.schema import ResourceType

#: (resource type, attribute, sub-attribute) -> (lookup column, lower-case the value?)
_POINTS: dict[tuple[str, str, str | None], tuple[str, bool]] = {
    ("User", "username", None): ("user_name_ci", True),
    ("User", "externalid", None): ("external_id", False),
    ("User", "id", None): ("id", False),
    ("User", "emails", "value"): ("emails", True),
    ("User", "emails", None): ("emails", True),
    ("Group", "displayname", None): ("display_name_ci", True),
    ("Group", "externalid", None): ("external_id", False),
    ("Group", "id", None): ("id", False),
}


def point_lookup(flt: Filter | None, rtype: ResourceType) -> tuple[str, str] | None:
    """(column, value) when ``flt`` is one equality on an indexed attribute, else None."""
    if not isinstance(flt, Compare) or flt.op != "eq" or not isinstance(flt.value, str):
        return None
    if not _core(flt.path, rtype):
        return None
    key = (rtype.name, flt.path.attr.lower(), _sub(flt.path))
    found = _POINTS.get(key)
    if found is None:
        return None
    column, lowered = found
    return column, flt.value.lower() if lowered else flt.value


def _core(path: AttrPath, rtype: ResourceType) -> bool:
    return path.urn is None or path.urn.lower() == rtype.schema.id.lower()


def _sub(path: AttrPath) -> str | None:
    return path.sub_attr.lower() if path.sub_attr else None
