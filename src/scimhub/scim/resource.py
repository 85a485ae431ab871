"""Resource validation and canonicalisation (RFC 7643 §2, §7; RFC 7644 §3.3, §3.5.1).

A request body becomes a *canonical document*: attribute names spelled as in the
schema, nulls and empty values dropped (RFC 7643 §2.5), read-only attributes
ignored, types checked, required attributes present, and immutable ones unchanged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .definitions import COMMON_ATTRIBUTES
from .errors import InvalidSyntax, InvalidValue, Mutability
from .schema import Attribute, ResourceType, Schema

Doc = dict[str, Any]

_SIMPLE_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "reference": (str,),
    "binary": (str,),
    "dateTime": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "decimal": (int, float),
}


def validate_resource(body: Any, rtype: ResourceType, existing: Doc | None = None) -> Doc:
    """Return the canonical document for a POST or PUT body (RFC 7644 §3.3, §3.5.1).

    ``existing`` is the stored document on replace; immutable attributes must match it.
    The password, if any, stays in the document; the store hashes and removes it.
    """
    if not isinstance(body, dict):
        raise InvalidSyntax("The request body must be a JSON object")
    extensions = _check_schemas(body.get("schemas"), rtype)
    doc: Doc = {}
    for key, value in body.items():
        if key == "schemas" or value is None:
            continue
        ext = rtype.extension(key)
        if ext is not None:
            _put(doc, ext.id, _complex_object(value, ext, key))
            extensions.add(ext.id)
            continue
        attribute = _top_level(rtype.schema, key)
        if attribute.mutability == "readOnly":
            continue
        _put(doc, attribute.name, check_value(attribute, value, key))
    doc["schemas"] = [rtype.schema.id, *(s for s in rtype.schema_ids[1:] if s in extensions)]
    _check_required(doc, rtype)
    if existing is not None:
        _check_immutable(doc, existing, rtype)
    return doc


def _put(doc: Doc, key: str, value: Any) -> None:
    if value is not None and value not in ([], {}):
        doc[key] = value


def _check_schemas(schemas: Any, rtype: ResourceType) -> set[str]:
    if not isinstance(schemas, list) or not all(isinstance(s, str) for s in schemas):
        raise InvalidSyntax("'schemas' must be a list of schema URNs")
    known = {s.lower(): s for s in rtype.schema_ids}
    unknown = [s for s in schemas if s.lower() not in known]
    if unknown:
        raise InvalidValue(f"Unknown schema(s) for {rtype.name}: {', '.join(unknown)}")
    if rtype.schema.id.lower() not in {s.lower() for s in schemas}:
        raise InvalidValue(f"'schemas' must contain '{rtype.schema.id}'")
    return {known[s.lower()] for s in schemas if s.lower() != rtype.schema.id.lower()}


def _top_level(schema: Schema, key: str) -> Attribute:
    attribute = schema.attr(key) or COMMON_ATTRIBUTES.attr(key)
    if attribute is None:
        raise InvalidSyntax(f"Unknown attribute '{key}' for schema '{schema.id}'")
    return attribute


def _complex_object(value: Any, schema: Schema, where: str) -> Doc:
    if not isinstance(value, dict):
        raise InvalidSyntax(f"'{where}' must be a JSON object")
    out: Doc = {}
    for key, item in value.items():
        if item is None or key == "schemas":
            continue
        attribute = schema.attr(key)
        if attribute is None:
            raise InvalidSyntax(f"Unknown attribute '{key}' in '{where}'")
        if attribute.mutability != "readOnly":
            _put(out, attribute.name, check_value(attribute, item, f"{where}:{key}"))
    return out


def check_value(attribute: Attribute, value: Any, where: str) -> Any:
    """Type-check ``value`` for ``attribute`` and return its canonical form."""
    if attribute.multi_valued:
        if not isinstance(value, list):
            raise InvalidValue(f"'{where}' is multi-valued and must be a JSON array")
        items = [_single(attribute, v, where) for v in value if v is not None]
        items = [v for v in items if v not in ({}, None)]
        _check_single_primary(items, where)
        return items
    return _single(attribute, value, where)


def _single(attribute: Attribute, value: Any, where: str) -> Any:
    if attribute.is_complex:
        return _sub_object(attribute, value, where)
    expected = _SIMPLE_TYPES.get(attribute.type, (str,))
    if not isinstance(value, expected) or (bool not in expected and isinstance(value, bool)):
        raise InvalidValue(f"'{where}' must be of type {attribute.type}")
    if attribute.type == "dateTime" and isinstance(value, str):
        _check_datetime(value, where)
    return value


def _sub_object(attribute: Attribute, value: Any, where: str) -> Doc | None:
    if not isinstance(value, dict):
        raise InvalidValue(f"'{where}' must be a JSON object")
    out: Doc = {}
    for key, item in value.items():
        sub = attribute.sub(key)
        if sub is None:
            raise InvalidSyntax(f"Unknown sub-attribute '{key}' in '{where}'")
        if item is not None and sub.mutability != "readOnly":
            out[sub.name] = _single(sub, item, f"{where}.{sub.name}")
    missing = [s.name for s in attribute.sub_attributes if s.required and s.name not in out]
    if missing:
        raise InvalidValue(f"'{where}' requires '{missing[0]}'")
    return out


def _check_datetime(value: str, where: str) -> None:
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidValue(f"'{where}' must be an RFC 3339 date-time") from None


def _check_single_primary(items: list[Any], where: str) -> None:
    primaries = sum(1 for v in items if isinstance(v, dict) and v.get("primary") is True)
    if primaries > 1:
        raise InvalidValue(f"At most one value of '{where}' may have primary set to true")


def _check_required(doc: Doc, rtype: ResourceType) -> None:
    for attribute in rtype.schema.attributes:
        if attribute.required and attribute.name not in doc:
            raise InvalidValue(f"Attribute '{attribute.name}' is required")
    for ext in rtype.extensions:
        for attribute in ext.schema.attributes:
            if attribute.required and attribute.name not in doc.get(ext.schema.id, {}):
                raise InvalidValue(f"Attribute '{ext.schema.id}:{attribute.name}' is required")


def _check_immutable(doc: Doc, existing: Doc, rtype: ResourceType) -> None:
    for attribute in rtype.schema.attributes:
        if attribute.mutability != "immutable" or attribute.name not in existing:
            continue
        if doc.get(attribute.name) != existing[attribute.name]:
            raise Mutability(f"Attribute '{attribute.name}' is immutable")
