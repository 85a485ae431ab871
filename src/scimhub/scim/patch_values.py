"""Value-level PATCH semantics (RFC 7644 §3.5.2.1-3): merging, appending, removing values.

These helpers work on one attribute of a canonical document at a time; path
resolution and operation dispatch live in :mod:`scimhub.scim.patch`.  Names in
values are canonicalised to the schema spelling (RFC 7643 §2.1), read-only
sub-attributes in values are ignored, and null means unassigned (RFC 7643 §2.5).
"""

from __future__ import annotations

from typing import Any

from .errors import InvalidSyntax, InvalidValue, Mutability
from .evaluate import values_equal
from .schema import Attribute, ResourceType

__all__ = [
    "as_dict",
    "as_list",
    "as_object",
    "assigned",
    "check_immutable",
    "merge_complex",
    "required_assigned",
    "settle_primary",
    "tidy",
    "without_values",
    "write_attr",
]

Doc = dict[str, Any]


def write_attr(box: Doc, attr: Attribute, value: Any, replace: bool) -> None:
    """Write a whole attribute into ``box`` (RFC 7644 §3.5.2.1, §3.5.2.3).

    Single-valued simple attributes are set, complex ones merged sub-attribute by
    sub-attribute, multi-valued ones appended to (add) or replaced wholesale (replace).
    """
    current = box.get(attr.name)
    if attr.multi_valued:
        new: Any = _write_multi(attr, current, value, replace)
    elif attr.is_complex:
        new = merge_complex(attr, as_dict(current), as_object(value, attr.name), replace)
    else:
        new = _simple(attr, value, attr.name)
    check_immutable(attr, current, new, attr.name)
    box[attr.name] = new


def _write_multi(attr: Attribute, current: Any, value: Any, replace: bool) -> list[Any]:
    """§3.5.2.1: a value already present is not added again (no change, no error)."""
    items = [] if replace or not isinstance(current, list) else list(current)
    written = []
    for new in [_element(attr, v) for v in as_list(value)]:
        same = next((e for e in items if _same(attr, e, new)), None)
        if same is None:
            items.append(new)
        written.append(new if same is None else same)
    settle_primary(attr, items, written)
    return items


def merge_complex(attr: Attribute, current: Doc, value: Doc, replace: bool) -> Doc:
    """Merge sub-attributes into a complex value; those not given are left unchanged.

    RFC 7644 §3.5.2.3: for a complex attribute "a set of sub-attributes SHALL be
    specified ... which replaces any existing values or adds where an attribute did not
    previously exist".  A null sub-attribute is removed by replace, ignored by add.
    """
    out = dict(current)
    for key, item in value.items():
        sub = attr.sub(key)
        if sub is None:
            raise InvalidSyntax(f"Unknown sub-attribute '{attr.name}.{key}'")
        label = f"{attr.name}.{sub.name}"
        if sub.mutability == "readOnly" or (item is None and not replace):
            continue
        new = None if item is None else _simple(sub, item, label)
        check_immutable(sub, out.get(sub.name), new, label)
        out[sub.name] = new
    return {k: v for k, v in out.items() if v is not None}


def without_values(attr: Attribute, current: list[Any], value: Any) -> list[Any]:
    """``remove`` with a ``value`` on a multi-valued attribute drops just those values.

    RFC 7644 §3.5.2.2 defines no value for remove and would clear the attribute; this is
    the safer reading: an element goes when it equals every sub-attribute given, so
    ``[{"value": id}]`` removes one member rather than all of them.
    """
    gone = [_element(attr, v) for v in as_list(value)]
    return [e for e in current if not any(_contains(attr, e, g) for g in gone)]


def _element(attr: Attribute, value: Any) -> Any:
    if attr.is_complex:
        return merge_complex(attr, {}, as_object(value, attr.name), replace=False)
    return _simple(attr, value, attr.name)


def _simple(attr: Attribute, value: Any, label: str) -> Any:
    if isinstance(value, dict | list):
        raise InvalidValue(f"'{label}' takes a single {attr.type} value, not a JSON structure")
    return value


def as_object(value: Any, label: str) -> Doc:
    """A JSON object of (sub-)attributes; a one-element array holding one is accepted."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if not isinstance(value, dict):
        raise InvalidValue(f"'{label}' takes a JSON object of sub-attributes")
    return value


def as_list(value: Any) -> list[Any]:
    """A single value where an array is expected is wrapped."""
    return value if isinstance(value, list) else [value]


def as_dict(value: Any) -> Doc:
    return value if isinstance(value, dict) else {}


def _same(attr: Attribute, existing: Any, new: Any) -> bool:
    """Is ``new`` already present?  Elements whose ``value`` is immutable (Group
    ``members``) are identified by that value; others must be equal throughout."""
    if not attr.is_complex:
        return values_equal(attr, existing, new)
    if not isinstance(existing, dict):
        return False
    value = attr.sub("value")
    if value is not None and value.mutability == "immutable" and "value" in new:
        return values_equal(value, existing.get("value"), new["value"])
    return existing.keys() == new.keys() and _contains(attr, existing, new)


def _contains(attr: Attribute, existing: Any, wanted: Any) -> bool:
    if not attr.is_complex or not isinstance(existing, dict):
        return values_equal(attr, existing, wanted)
    return all(values_equal(attr.sub(k), existing.get(k), v) for k, v in wanted.items())


def settle_primary(attr: Attribute, items: list[Any], written: list[Any]) -> None:
    """RFC 7643 §2.4: ``primary`` is true at most once; a new primary demotes the rest."""
    if attr.sub("primary") is None:
        return
    winners = {id(e) for e in written if isinstance(e, dict) and _true(e.get("primary"))}
    if len(winners) > 1:
        raise InvalidValue(f"At most one value of '{attr.name}' may have primary set to true")
    for element in items:
        if winners and id(element) not in winners and _true(element.get("primary")):
            element["primary"] = False


def _true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def check_immutable(attr: Attribute, current: Any, new: Any, label: str) -> None:
    """RFC 7644 §3.5.2: an immutable attribute may be added when unassigned, never changed."""
    if attr.mutability == "immutable" and assigned(current) and current != new:
        raise Mutability(f"Attribute '{label}' is immutable and cannot be changed")


def assigned(value: Any) -> bool:
    """RFC 7643 §2.5: null, an empty array and an empty object are unassigned."""
    return value is not None and value not in ([], {})


def required_assigned(doc: Doc, rtype: ResourceType) -> set[str]:
    """Labels of the required attributes and extensions that currently hold a value."""
    out = {a.name for a in rtype.schema.attributes if a.required and assigned(doc.get(a.name))}
    for ext in rtype.extensions:
        box = as_dict(doc.get(ext.schema.id))
        if ext.required and box:
            out.add(ext.schema.id)
        out |= {
            f"{ext.schema.id}:{a.name}"
            for a in ext.schema.attributes
            if a.required and assigned(box.get(a.name))
        }
    return out


def tidy(doc: Doc, original: Doc, rtype: ResourceType) -> None:
    """Drop unassigned values (RFC 7643 §2.5) and keep ``schemas`` in step (RFC 7643 §3).

    An extension that gained data is listed; one whose data the patch removed is unlisted.
    """
    extensions = rtype.schema_ids[1:]
    for ext in extensions:
        if isinstance(doc.get(ext), dict):
            _drop_unassigned(doc[ext])
    _drop_unassigned(doc)
    schemas = doc.get("schemas")
    if not isinstance(schemas, list):
        return
    gone = {e.lower() for e in extensions if e in original and e not in doc}
    kept = [s for s in schemas if not (isinstance(s, str) and s.lower() in gone)]
    listed = {s.lower() for s in kept if isinstance(s, str)}
    doc["schemas"] = kept + [e for e in extensions if e in doc and e.lower() not in listed]


def _drop_unassigned(box: Doc) -> None:
    for key in list(box):
        if isinstance(box[key], list):
            box[key] = [v for v in box[key] if assigned(v)]
        if not assigned(box[key]):
            del box[key]
