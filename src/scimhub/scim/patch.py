"""PATCH (RFC 7644 §3.5.2): parse a PatchOp request and apply it to a resource document.

Documents are canonical: core and common attributes at the top level, spelled as in
the schema; extension attributes under their schema URN.  Attribute names in paths
and values are matched case-insensitively (RFC 7643 §2.1) and stored canonically.
:func:`apply_patch` works on a deep copy, so a failing operation leaves the caller's
document untouched (RFC 7644 §3.5.2: operations are applied atomically).
Type checking of the result is left to :mod:`scimhub.scim.resource`.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .errors import InvalidPath, InvalidSyntax, InvalidValue, Mutability, NoTarget
from .evaluate import matches, validate_filter
from .filter import And, Compare, Filter, PatchPath, parse_patch_path
from .patch_values import (
    as_dict,
    as_object,
    check_immutable,
    merge_complex,
    required_assigned,
    settle_primary,
    tidy,
    without_values,
    write_attr,
)
from .path import parse_attr_path, resolve
from .schema import Attribute, ResourceType, Schema

__all__ = [
    "PATCH_OP_URN",
    "PatchOperation",
    "apply_patch",
    "parse_patch_request",
    "patch_targets_only",
]

PATCH_OP_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
_OPS = ("add", "remove", "replace")
_CORE_PREFIX = "urn:ietf:params:scim:schemas:core:"
_MISSING: Any = object()
Doc = dict[str, Any]


@dataclass(frozen=True, slots=True)
class PatchOperation:
    """One entry of ``Operations`` (RFC 7644 §3.5.2); ``op`` is lower-cased."""

    op: str
    path: PatchPath | None
    value: Any = None


# --- request parsing (RFC 7644 §3.5.2) -------------------------------------------------


def parse_patch_request(body: Any) -> list[PatchOperation]:
    """Parse a PatchOp request body (RFC 7644 §3.5.2).

    Member names are matched case-insensitively and unknown members are ignored.
    Raises InvalidSyntax for a malformed message, InvalidPath for a bad path, NoTarget
    for ``remove`` without a path (§3.5.2.2) and InvalidValue for a missing value.
    """
    if not isinstance(body, dict):
        raise InvalidSyntax("The PATCH request body must be a JSON object")
    schemas = _member(body, "schemas")
    if not isinstance(schemas, list) or PATCH_OP_URN.lower() not in _lowered(schemas):
        raise InvalidSyntax(f"'schemas' must contain '{PATCH_OP_URN}'")
    ops = _member(body, "Operations")
    if not isinstance(ops, list) or not ops:
        raise InvalidSyntax("'Operations' must be a non-empty array of operations")
    return [_parse_operation(item, f"Operations[{i}]") for i, item in enumerate(ops)]


def _member(obj: Doc, name: str) -> Any:
    lowered = name.lower()
    return next((v for k, v in obj.items() if k.lower() == lowered), _MISSING)


def _lowered(items: list[Any]) -> set[str]:
    return {s.lower() for s in items if isinstance(s, str)}


def _parse_operation(item: Any, where: str) -> PatchOperation:
    if not isinstance(item, dict):
        raise InvalidSyntax(f"{where} must be a JSON object")
    op = _member(item, "op")
    if op is _MISSING:
        raise InvalidSyntax(f"{where} has no 'op': use 'add', 'remove' or 'replace'")
    if not isinstance(op, str) or op.lower() not in _OPS:
        raise InvalidSyntax(f"{where}.op must be 'add', 'remove' or 'replace', not {op!r}")
    op = op.lower()
    path = _parse_path(_member(item, "path"), where)
    value = _member(item, "value")
    if op == "remove" and path is None:
        raise NoTarget(f"{where}: a 'remove' operation requires a 'path' (RFC 7644 §3.5.2.2)")
    if op != "remove" and (value is _MISSING or (op == "add" and value is None)):
        raise InvalidValue(f"{where}: an '{op}' operation requires a 'value'")
    if op != "remove" and path is None and not isinstance(value, dict):
        raise InvalidValue(f"{where}: without a 'path', 'value' must be an object of attributes")
    return PatchOperation(op, path, None if value is _MISSING else value)


def _parse_path(path: Any, where: str) -> PatchPath | None:
    if path is _MISSING or path is None:
        return None
    if not isinstance(path, str) or not path.strip():
        raise InvalidPath(f"{where}.path must be a non-empty string")
    return parse_patch_path(path)


def patch_targets_only(ops: Sequence[PatchOperation], attribute_name: str) -> bool:
    """True when every op's path is the core attribute ``attribute_name`` or a value path on it.

    Lets storage apply e.g. Group ``members`` changes without loading the whole group.
    """
    name = attribute_name.lower()
    return bool(ops) and all(
        op.path is not None
        and op.path.attr.attr.lower() == name
        and (op.path.attr.urn is None or op.path.attr.urn.lower().startswith(_CORE_PREFIX))
        for op in ops
    )


# --- targets ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Target:
    """Where an operation lands: ``attr`` None means the whole extension ``container``."""

    schema: Schema
    container: str | None
    attr: Attribute | None
    sub: Attribute | None = None
    filter: Filter | None = None

    def __str__(self) -> str:
        name = ".".join(a.name for a in (self.attr, self.sub) if a is not None)
        if self.container is None:
            return name
        return f"{self.container}:{name}" if name else self.container


def _target(path: PatchPath, rtype: ResourceType) -> _Target:
    """Resolve a PATCH path (RFC 7644 §3.5.2 ``PATH``) to canonical definitions."""
    ap = path.attr
    ext = rtype.extension(ap.urn) if ap.urn is not None and not ap.attr else None
    if ext is not None:
        base = _Target(ext, ext.id, None)
    else:
        res = resolve(rtype, ap)
        base = _Target(res.schema, res.container, res.attribute, res.sub)
    if path.value_filter is None and path.sub_attr is None:
        return base
    attr = base.attr
    if attr is None or (base.sub is not None and path.sub_attr is not None):
        raise InvalidPath(f"Invalid path '{path.attr}' with a value filter or sub-attribute")
    sub = base.sub
    if path.sub_attr is not None and (sub := attr.sub(path.sub_attr)) is None:
        raise InvalidPath(f"Unknown sub-attribute '{attr.name}.{path.sub_attr}'")
    if path.value_filter is not None:
        if not (attr.multi_valued and attr.is_complex):
            raise InvalidPath(f"'{base}' is not a multi-valued complex attribute: no value filter")
        validate_filter(path.value_filter, attr)
    return _Target(base.schema, base.container, attr, sub, path.value_filter)


def _root_target(key: str, rtype: ResourceType) -> _Target | None:
    """The target of one member of a path-less value; None when it is to be ignored."""
    if key.lower() == "schemas":
        return None
    ext = rtype.extension(key)
    if ext is not None:
        return _Target(ext, ext.id, None)
    res = resolve(rtype, parse_attr_path(key, InvalidSyntax), InvalidSyntax)
    target = _Target(res.schema, res.container, res.attribute, res.sub)
    return None if _read_only(target) else target


def _read_only(t: _Target) -> bool:
    return any(a is not None and a.mutability == "readOnly" for a in (t.attr, t.sub))


# --- applying ---------------------------------------------------------------------------


def apply_patch(resource: Doc, ops: Sequence[PatchOperation], rtype: ResourceType) -> Doc:
    """Apply ``ops`` in order to a deep copy of ``resource`` (RFC 7644 §3.5.2).

    Raises a ScimError on the first failing operation; ``resource`` is never modified.
    Removing a required attribute raises Mutability (RFC 7644 §3.5.2.2, last paragraph).
    """
    doc = copy.deepcopy(resource)
    for op in ops:
        before = required_assigned(doc, rtype)
        _apply(doc, op, rtype)
        lost = before - required_assigned(doc, rtype)
        if lost:
            names = ", ".join(sorted(lost))
            raise Mutability(f"Required attribute '{names}' cannot be removed or unassigned")
    tidy(doc, resource, rtype)
    return doc


def _apply(doc: Doc, op: PatchOperation, rtype: ResourceType) -> None:
    replace = op.op == "replace"
    if op.path is None:
        _merge_resource(doc, op.value, rtype, replace)
        return
    target = _target(op.path, rtype)
    if _read_only(target):
        raise Mutability(f"Attribute '{target}' is readOnly and cannot be modified")
    if op.op == "remove":
        _remove(doc, target, op.value)
    else:
        _assign(doc, target, op.value, replace)


def _merge_resource(doc: Doc, value: Any, rtype: ResourceType, replace: bool) -> None:
    """Path-less add/replace (RFC 7644 §3.5.2.1, §3.5.2.3): the target is the resource.

    Members may be attributes, ``name.sub`` paths, extension URNs holding objects, or
    fully qualified ``urn:...:attr`` names; readOnly ones and ``schemas`` are ignored.
    """
    for key, item in as_object(value, "value").items():
        if key.lower() == rtype.schema.id.lower():
            _merge_resource(doc, item, rtype, replace)
        elif (target := _root_target(key, rtype)) is not None:
            _assign(doc, target, item, replace)


def _merge_schema(doc: Doc, t: _Target, value: Any, replace: bool) -> None:
    """Add/replace a whole extension object, attribute by attribute."""
    for key, item in as_object(value, str(t)).items():
        attr = t.schema.attr(key)
        if attr is None and key == "schemas":
            continue  # some clients serialise extension objects with their own `schemas`
        if attr is None:
            raise InvalidSyntax(f"Unknown attribute '{key}' in '{t.schema.id}'")
        if attr.mutability != "readOnly":
            _assign(doc, _Target(t.schema, t.container, attr), item, replace)


def _assign(doc: Doc, t: _Target, value: Any, replace: bool) -> None:
    """RFC 7643 §2.5: null and [] mean unassigned, so replace with them removes."""
    if value is None or value == []:
        if replace:
            _remove(doc, t, None)
        return
    if t.attr is None:
        _merge_schema(doc, t, value, replace)
    elif t.filter is not None or (t.sub is not None and t.attr.multi_valued):
        _write_matching(doc, t, value, replace)
    elif t.sub is not None:
        box = _open_box(doc, t)
        current = as_dict(box.get(t.attr.name))
        box[t.attr.name] = merge_complex(t.attr, current, {t.sub.name: value}, replace)
    else:
        write_attr(_open_box(doc, t), t.attr, value, replace)


def _write_matching(doc: Doc, t: _Target, value: Any, replace: bool) -> None:
    """Merge ``value`` into (or set ``t.sub`` on) each element the value filter selects.

    RFC 7644 §3.5.2.3: a filter matching nothing is ``noTarget``. An ``add`` whose filter
    is a conjunction of ``eq`` (``emails[type eq "work"].value``) creates the element it
    describes instead (RFC 7644 §3.5.2.1: an add target that does not exist is added).
    ``attr.sub`` without a filter (``emails.type``) selects every element.
    """
    assert t.attr is not None
    items = _items(_box(doc, t), t.attr.name)
    hits = _select(items, t)
    seed = _element_from_filter(t.attr, t.filter) if not hits and not replace else None
    if seed is not None:
        box = _open_box(doc, t)
        items = box.setdefault(t.attr.name, [])
        items.append(seed)
        hits = [seed]
    if not hits:
        raise NoTarget(f"No value of '{t.attr.name}' matches the path '{t}'")
    for element in hits:
        update = {t.sub.name: value} if t.sub else as_object(value, t.attr.name)
        merged = merge_complex(t.attr, element, update, replace)
        element.clear()
        element.update(merged)
    settle_primary(t.attr, items, hits)


def _element_from_filter(attr: Attribute, flt: Filter | None) -> Doc | None:
    """The element a filter of ``eq`` conjuncts describes, or None for any other filter."""
    if isinstance(flt, And):
        left, right = _element_from_filter(attr, flt.left), _element_from_filter(attr, flt.right)
        return None if left is None or right is None else {**left, **right}
    if isinstance(flt, Compare) and flt.op == "eq" and flt.value is not None:
        sub = attr.sub(flt.path.attr)
        return {sub.name: flt.value} if sub is not None else None
    return None


def _remove(doc: Doc, t: _Target, value: Any) -> None:
    """RFC 7644 §3.5.2.2; removing what is not there succeeds (idempotent)."""
    box = _box(doc, t)
    if box is None:
        return
    if t.attr is None:
        doc.pop(t.schema.id, None)
        return
    name, current = t.attr.name, box.get(t.attr.name)
    if t.filter is None and t.sub is None:
        if t.attr.multi_valued and value is not None and isinstance(current, list):
            box[name] = without_values(t.attr, current, value)
        else:
            check_immutable(t.attr, current, None, str(t))
            box.pop(name, None)
    elif t.filter is None and not t.attr.multi_valued:
        _remove_sub(t, as_dict(current))
    elif t.sub is not None:
        for element in _select(_items(box, name), t):
            _remove_sub(t, element)
    else:
        hits = {id(e) for e in _select(_items(box, name), t)}
        box[name] = [e for e in _items(box, name) if id(e) not in hits]


def _remove_sub(t: _Target, element: Doc) -> None:
    assert t.sub is not None
    check_immutable(t.sub, element.get(t.sub.name), None, str(t))
    element.pop(t.sub.name, None)


def _box(doc: Doc, t: _Target) -> Doc | None:
    """The dict holding ``t``: the document itself, or its extension object if present."""
    box = doc if t.container is None else doc.get(t.container)
    return box if isinstance(box, dict) else None


def _open_box(doc: Doc, t: _Target) -> Doc:
    """Like :func:`_box`, creating the extension object when absent."""
    if t.container is None:
        return doc
    box = doc.get(t.container)
    if not isinstance(box, dict):
        box = doc[t.container] = {}
    return box


def _items(box: Doc | None, name: str) -> list[Any]:
    value = box.get(name) if box is not None else None
    return value if isinstance(value, list) else []


def _select(items: list[Any], t: _Target) -> list[Doc]:
    assert t.attr is not None
    attr, f = t.attr, t.filter
    return [e for e in items if isinstance(e, dict) and (f is None or matches(e, f, attr))]
