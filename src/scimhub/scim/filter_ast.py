"""The SCIM filter AST (RFC 7644 §3.4.2.2) and PATCH path (RFC 7644 §3.5.2): immutable values."""

from __future__ import annotations

from dataclasses import dataclass

from .path import AttrPath

__all__ = [
    "COMPARE_OPS",
    "ORDER_OPS",
    "And",
    "Compare",
    "Filter",
    "Not",
    "Or",
    "PatchPath",
    "Present",
    "Value",
    "ValuePath",
]

#: ``compValue = false / null / true / number / string`` (RFC 7644 §3.4.2.2).
Value = str | int | float | bool | None

#: The comparison operators of RFC 7644 §3.4.2.2, table 3 (``pr`` is :class:`Present`).
COMPARE_OPS = frozenset({"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"})
#: Ordering operators: not defined for boolean or null operands (RFC 7644 §3.4.2.2).
ORDER_OPS = frozenset({"gt", "ge", "lt", "le"})


@dataclass(frozen=True, slots=True)
class Compare:
    """``attrPath compareOp compValue``; ``op`` is lower-cased."""

    path: AttrPath
    op: str
    value: Value


@dataclass(frozen=True, slots=True)
class Present:
    """``attrPath pr``: the attribute has a non-empty value."""

    path: AttrPath


@dataclass(frozen=True, slots=True)
class And:
    """``FILTER "and" FILTER``: both match (RFC 7644 §3.4.2.2, table 4)."""

    left: Filter
    right: Filter


@dataclass(frozen=True, slots=True)
class Or:
    """``FILTER "or" FILTER``: either matches (RFC 7644 §3.4.2.2, table 4)."""

    left: Filter
    right: Filter


@dataclass(frozen=True, slots=True)
class Not:
    """``"not" "(" FILTER ")"``: the inner filter does not match (RFC 7644 §3.4.2.2)."""

    expr: Filter


@dataclass(frozen=True, slots=True)
class ValuePath:
    """``attrPath "[" valFilter "]"``; inner paths are ``AttrPath(None, subAttrName)``."""

    path: AttrPath
    filter: Filter


Filter = Compare | Present | And | Or | Not | ValuePath


@dataclass(frozen=True, slots=True)
class PatchPath:
    """A PATCH ``path`` (RFC 7644 §3.5.2): ``attrPath / valuePath [subAttr]``.

    ``emails[type eq "work"].value`` is ``PatchPath(AttrPath(None, "emails"), <filter>, "value")``;
    ``name.familyName`` is ``PatchPath(AttrPath(None, "name", "familyName"), None, None)``.
    """

    attr: AttrPath
    value_filter: Filter | None
    sub_attr: str | None
