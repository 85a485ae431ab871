"""Name rules: attribute names and schema URNs as clients spell them, resolved canonically.

- ``name.givenName`` as a key means ``{"name": {"givenName": ...}}``;
- ``urn:...:enterprise:2.0:User:department`` as a key is that extension's attribute,
  and ``urn:...:core:2.0:User:displayName`` a core one;
- an extension attribute named without its URN (``department``, ``manager``) belongs
  to the one extension that defines it, when the core schema does not;
- schema URNs this resource type does not know are dropped from ``schemas`` when the
  body holds no data under them.
"""

from __future__ import annotations

from typing import Any

from scimhub.scim.definitions import COMMON_ATTRIBUTES
from scimhub.scim.schema import Attribute, ResourceType, Schema

from .values import carries_data, coerce

Doc = dict[str, Any]


def expand_keys(value: Doc, rtype: ResourceType) -> Doc:
    """Nest dotted and URN-qualified keys; coerce every value to its attribute's shape."""
    out: Doc = {}
    for key, item in value.items():
        urn, name = split_key(key, rtype)
        schema = rtype.schema_for(urn)
        box = out if urn is None else out.setdefault(urn, {})
        if schema is None or not isinstance(box, dict) or _as_sent(name, item):
            out[key] = item  # left for strict validation to judge
        elif not name:
            _merge(box, {k: coerce(schema.attr(k), v) for k, v in item.items()})
        else:
            head = name.split(".", 1)[0]
            _put(box, _lookup(rtype, schema, head), name, item)
    return out


def _as_sent(name: str, item: Any) -> bool:
    """An unknown URN (not split at its dots), or a whole extension that is no object."""
    return name[:4].lower() == "urn:" or not (name or isinstance(item, dict))


def split_key(key: str, rtype: ResourceType) -> tuple[str | None, str]:
    """``(extension URN or None for the core, attribute path)``; ``""`` names a whole extension."""
    if (ext := rtype.extension(key)) is not None:
        return ext.id, ""
    if key[:4].lower() == "urn:":
        urn, _, name = key.rpartition(":")
        schema = rtype.schema_for(urn)
        if schema is None:
            return None, key
        return (None, name) if schema is rtype.schema else (schema.id, name)
    owner = owning_extension(key.split(".", 1)[0], rtype)
    return (owner.id, key) if owner is not None else (None, key)


def owning_extension(name: str, rtype: ResourceType) -> Schema | None:
    """The one extension defining ``name``, if the core schema and common attributes do not."""
    if rtype.schema.attr(name) or COMMON_ATTRIBUTES.attr(name):
        return None
    owners = [e.schema for e in rtype.extensions if e.schema.attr(name)]
    return owners[0] if len(owners) == 1 else None


def qualify_path(path: str, rtype: ResourceType) -> str:
    """``manager`` -> ``urn:...:enterprise:2.0:User:manager`` (any suffix kept)."""
    if path[:4].lower() == "urn:":
        return path
    head = path.split("[", 1)[0].split(".", 1)[0].strip()
    owner = owning_extension(head, rtype)
    return f"{owner.id}:{path}" if owner is not None else path


def declared_schemas(schemas: Any, body: Doc, rtype: ResourceType) -> Any:
    """``schemas`` without URNs unknown here that carry no data in ``body``."""
    if not isinstance(schemas, list):
        return schemas
    return [
        s
        for s in schemas
        if not isinstance(s, str) or rtype.schema_for(s) is not None or carries_data(body.get(s))
    ]


def is_known(key: str, rtype: ResourceType) -> bool:
    """Whether a top-level key of a canonical body names something of ``rtype``."""
    if key == "schemas" or rtype.schema_for(key) is not None:
        return True
    return _lookup(rtype, rtype.schema, key) is not None


def _lookup(rtype: ResourceType, schema: Schema, name: str) -> Attribute | None:
    """An attribute of ``schema``; the common ones (id, meta...) belong to the core's level."""
    found = schema.attr(name)
    return found or (COMMON_ATTRIBUTES.attr(name) if schema is rtype.schema else None)


def _put(box: Doc, attribute: Attribute | None, name: str, item: Any) -> None:
    head, _, sub = name.partition(".")
    if not sub:
        _merge(box, {head: coerce(attribute, item)})
    elif isinstance(parent := box.setdefault(head, {}), dict):
        parent[sub] = coerce(attribute.sub(sub) if attribute else None, item)


def _merge(box: Doc, values: Doc) -> None:
    for key, value in values.items():
        box[key] = _merged(box.get(key), value)


def _merged(current: Any, value: Any) -> Any:
    if isinstance(current, dict) and isinstance(value, dict):
        return {**current, **value}
    return value
