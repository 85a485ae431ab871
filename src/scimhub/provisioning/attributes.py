"""An application's mapping turned into SCIM documents and minimal changes: pure, no I/O.

:data:`Values` holds one value per mapping target (its path as written in the mapping): a
string, a bool (``active``) or None for "absent" (an empty string is absent too). The engine
computes the desired values of a directory user, reads the target's copy into the same
shape, and sends only the differences: PATCH operations (RFC 7644 §3.5.2) or a PUT body
(RFC 7644 §3.5.1) that keeps what the mapping does not own. Targets are parsed by
:func:`~scimhub.applications.mapping_rules.parse_target`; a mapping reaching this module has
passed :func:`~scimhub.applications.mapping_rules.checked_mapping`.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping as ReadOnly
from collections.abc import Sequence
from typing import Any

import orjson

from scimhub.applications.catalog import Mapping
from scimhub.applications.mapping_rules import Target, parse_target
from scimhub.directory.models import DirectoryUser
from scimhub.scim.definitions import USER_URN

__all__ = [
    "SOURCE_FIELDS",
    "Values",
    "desired_values",
    "differences",
    "fingerprint",
    "patch_operations",
    "replaced_resource",
    "resource_of",
    "values_of",
]

Values = dict[str, Any]
#: Mapping sources (as the catalog names them) -> directory user fields.
SOURCE_FIELDS = {
    "username": "username",
    "email": "email",
    "firstname": "firstname",
    "lastname": "lastname",
    "department": "department",
    "jobTitle": "job_title",
}


def desired_values(user: DirectoryUser, mapping: Sequence[Mapping], *, active: bool) -> Values:
    """What the target should hold for ``user``; ``state`` is sent as ``active``."""
    return {m.target: _source_value(user, m.source, active) for m in mapping}


def _source_value(user: DirectoryUser, source: str, active: bool) -> Any:
    if source == "state":
        return active
    if source not in SOURCE_FIELDS:
        raise ValueError(f"Unknown mapping source {source!r}")
    return getattr(user, SOURCE_FIELDS[source]) or None


def resource_of(values: Values, mapping: Sequence[Mapping]) -> dict[str, Any]:
    """The body of a create (RFC 7644 §3.3): core User, extensions under their URN."""
    doc: dict[str, Any] = {"schemas": [USER_URN]}
    for m in mapping:
        value = _present(values.get(m.target))
        if value is not None:
            _put(doc, parse_target(m.target), value, m.primary)
    return doc


def values_of(resource: ReadOnly[str, Any], mapping: Sequence[Mapping]) -> Values:
    """The mapped values of a target's copy, read leniently.

    Attribute names and URNs match in any case (RFC 7643 §2.1), as do type values; among
    several elements of the wanted type the primary one wins; ``"true"``/``"false"`` strings
    are read as booleans for ``active``.
    """
    return {m.target: _read(resource, parse_target(m.target), m.source) for m in mapping}


def _read(resource: ReadOnly[str, Any], t: Target, source: str) -> Any:
    container = resource if t.schema is None else _member(resource, t.schema)
    node = _member(container, t.attr)
    if t.type_value is not None:
        node = _typed_element(node, t.type_value)
    if t.sub is not None:
        node = _member(node, t.sub)
    if source == "state" and isinstance(node, str) and node.lower() in ("true", "false"):
        return node.lower() == "true"
    return _present(node)


def differences(old: Values, new: Values) -> dict[str, tuple[Any, Any]]:
    """``target -> (old, new)`` for the targets whose values differ (absent = None = "")."""
    keys = dict.fromkeys([*old, *new])
    pairs = ((k, _present(old.get(k)), _present(new.get(k))) for k in keys)
    return {k: (o, n) for k, o, n in pairs if o != n or type(o) is not type(n)}


def patch_operations(old: Values, new: Values, mapping: Sequence[Mapping]) -> list[dict[str, Any]]:
    """The fewest PATCH operations (RFC 7644 §3.5.2) that turn ``old`` into ``new``.

    ``replace`` sets a simple, sub- or extension attribute (and adds it when missing,
    §3.5.2.3), ``remove`` clears one. An element of a typed multi-valued attribute is
    changed in place when it exists (``emails[type eq "work"].value``), otherwise ``add``
    appends it whole (§3.5.2.1); when none of its mapped values remain it is removed.
    """
    changed = differences(old, new)
    ops: list[dict[str, Any]] = []
    elements_done: set[tuple[str, ...]] = set()
    for m in mapping:
        if m.target not in changed:
            continue
        t = parse_target(m.target)
        if t.type_value is None:
            ops.append(_simple_op(str(t), changed[m.target][1]))
        elif (key := _element_key(t)) not in elements_done:
            elements_done.add(key)
            siblings = [s for s in mapping if _element_key(parse_target(s.target)) == key]
            ops += _element_ops(t, siblings, old, new, changed)
    return ops


def _simple_op(path: str, value: Any) -> dict[str, Any]:
    if value is None:
        return {"op": "remove", "path": path}
    return {"op": "replace", "path": path, "value": value}


def _element_ops(
    t: Target,
    siblings: list[Mapping],
    old: Values,
    new: Values,
    changed: dict[str, tuple[Any, Any]],
) -> list[dict[str, Any]]:
    """The operations on the element ``t`` selects, whose mapped sub-attributes are ``siblings``."""
    had = any(_present(old.get(s.target)) is not None for s in siblings)
    after = [(s, parse_target(s.target), _present(new.get(s.target))) for s in siblings]
    if all(value is None for _, _, value in after):
        return [{"op": "remove", "path": t.element_path}] if had else []
    if had:
        return [_simple_op(str(p), v) for s, p, v in after if s.target in changed]
    element: dict[str, Any] = {"type": t.type_value}
    element.update({p.sub or "value": v for _, p, v in after if v is not None})
    if any(s.primary for s in siblings):
        element["primary"] = True
    return [{"op": "add", "path": t.attr, "value": [element]}]


def replaced_resource(
    remote: ReadOnly[str, Any], new: Values, mapping: Sequence[Mapping]
) -> dict[str, Any]:
    """The PUT body (RFC 7644 §3.5.1): the target's copy, without ``meta``, with the mapped
    values set or cleared; attributes the mapping does not own are kept as they were."""
    doc = copy.deepcopy({k: v for k, v in remote.items() if k.casefold() != "meta"})
    for m in mapping:
        t, value = parse_target(m.target), _present(new.get(m.target))
        if value is None:
            _drop(doc, t)
        else:
            _put(doc, t, value, m.primary)
    return doc


def fingerprint(values: Values) -> str:
    """SHA-256 (hex) of the present values as canonical JSON (sorted keys)."""
    present = {k: v for k, v in values.items() if _present(v) is not None}
    return hashlib.sha256(orjson.dumps(present, option=orjson.OPT_SORT_KEYS)).hexdigest()


# --- documents, read and written case-insensitively (RFC 7643 §2.1) ----------------------


def _present(value: Any) -> Any:
    return None if value is None or value == "" else value


def _member(obj: Any, name: str) -> Any:
    if not isinstance(obj, ReadOnly):
        return None
    if name in obj:
        return obj[name]
    folded = name.casefold()
    return next((v for k, v in obj.items() if isinstance(k, str) and k.casefold() == folded), None)


def _key(obj: dict[str, Any], name: str) -> str:
    """The key under which ``obj`` holds ``name`` (in whatever case), else ``name``."""
    folded = name.casefold()
    return next((k for k in obj if k.casefold() == folded), name)


def _typed_element(node: Any, type_value: str) -> Any:
    matching = _elements_of_type(node, type_value)
    primary = [e for e in matching if _member(e, "primary") is True]
    return next(iter(primary or matching), None)


def _elements_of_type(node: Any, type_value: str) -> list[dict[str, Any]]:
    if not isinstance(node, list):
        return []
    folded = type_value.casefold()
    return [
        e
        for e in node
        if isinstance(e, dict)
        and isinstance(kind := _member(e, "type"), str)
        and kind.casefold() == folded
    ]


def _element_key(t: Target) -> tuple[str, ...]:
    return t.attr.casefold(), (t.type_value or "").casefold()


def _container(doc: dict[str, Any], t: Target) -> dict[str, Any]:
    """Where ``t``'s attribute lives: the document, or its extension (listed in ``schemas``)."""
    if t.schema is None:
        return doc
    schemas = doc.setdefault(_key(doc, "schemas"), [])
    if isinstance(schemas, list) and t.schema.casefold() not in map(_folded, schemas):
        schemas.append(t.schema)
    key = _key(doc, t.schema)
    if not isinstance(doc.get(key), dict):
        doc[key] = {}
    extension: dict[str, Any] = doc[key]
    return extension


def _put(doc: dict[str, Any], t: Target, value: Any, primary: bool) -> None:
    container = _container(doc, t)
    key = _key(container, t.attr)
    if t.type_value is not None:
        _put_element(container, key, t, value, primary)
    elif t.sub is not None:
        if not isinstance(container.get(key), dict):
            container[key] = {}
        container[key][_key(container[key], t.sub)] = value
    else:
        container[key] = value


def _put_element(container: dict[str, Any], key: str, t: Target, value: Any, primary: bool) -> None:
    if not isinstance(container.get(key), list):
        container[key] = []
    found = _elements_of_type(container[key], t.type_value or "")
    if not found:
        found = [{"type": t.type_value, **({"primary": True} if primary else {})}]
        container[key].append(found[0])
    for element in found:
        element[_key(element, t.sub or "value")] = value


def _drop(doc: dict[str, Any], t: Target) -> None:
    container = doc if t.schema is None else _member(doc, t.schema)
    if not isinstance(container, dict) or (key := _key(container, t.attr)) not in container:
        return
    if t.type_value is not None:
        _drop_element(container, key, t)
    elif t.sub is None:
        del container[key]
    elif isinstance(parent := container[key], dict):
        parent.pop(_key(parent, t.sub), None)


def _drop_element(container: dict[str, Any], key: str, t: Target) -> None:
    """Clear ``t``'s sub-attribute; an element left with only its type (and primary) goes."""
    elements = container[key]
    for element in _elements_of_type(elements, t.type_value or ""):
        element.pop(_key(element, t.sub or "value"), None)
        if not {k.casefold() for k in element} - {"type", "primary"}:
            elements.remove(element)
    if not elements:
        del container[key]


def _folded(value: Any) -> str:
    return value.casefold() if isinstance(value, str) else ""
