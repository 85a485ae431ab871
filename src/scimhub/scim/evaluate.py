"""In-memory evaluation of value filters (RFC 7644 §3.5.2, §3.4.2.2).

A PATCH path such as ``emails[type eq "work"]`` selects elements of a
multi-valued complex attribute with a *value filter* (RFC 7644 §3.5.2,
``valuePath``).  The operators keep their RFC 7644 §3.4.2.2 meaning:

* strings compare case-insensitively unless the sub-attribute is ``caseExact``;
* booleans compare as booleans (``"true"``/``"false"`` strings are accepted);
* ``integer``/``decimal`` compare as numbers, ``dateTime`` as instants
  (``co``/``sw``/``ew`` on a ``dateTime`` compare its text);
* ``gt``/``ge``/``lt``/``le`` on boolean or binary sub-attributes, and any
  substring operator on booleans or numbers, fail with ``invalidFilter``;
* ``pr`` matches a non-empty value; ``eq null`` matches an unassigned value;
* an unassigned value matches only ``ne`` (``ne`` is the negation of ``eq``).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from .errors import InvalidFilter
from .filter import And, Compare, Filter, Not, Or, Present
from .path import AttrPath
from .schema import Attribute

__all__ = ["matches", "validate_filter", "values_equal"]

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
    "co": lambda a, e: e in a,
    "sw": lambda a, e: a.startswith(e),
    "ew": lambda a, e: a.endswith(e),
}
_ORDERING = frozenset({"gt", "ge", "lt", "le"})
_SUBSTRING = frozenset({"co", "sw", "ew"})
#: Operators each kind of value does not support (RFC 7644 §3.4.2.2).
_UNSUPPORTED = {
    "boolean": _ORDERING | _SUBSTRING,
    "number": _SUBSTRING,
    "datetime": _SUBSTRING,
    "binary": _ORDERING,
}


def matches(element: dict[str, Any], f: Filter, attr: Attribute) -> bool:
    """True when one element of the multi-valued complex ``attr`` satisfies ``f``.

    Implements the value selection filter of RFC 7644 §3.5.2 (``valuePath``) with the
    operator semantics of RFC 7644 §3.4.2.2.  Paths inside ``f`` name sub-attributes
    of ``attr``.  Raises :class:`InvalidFilter` for unknown sub-attributes, unsupported
    operator/type pairs and comparison values of the wrong type.
    """
    if isinstance(f, And):
        return matches(element, f.left, attr) and matches(element, f.right, attr)
    if isinstance(f, Or):
        return matches(element, f.left, attr) or matches(element, f.right, attr)
    if isinstance(f, Not):
        return not matches(element, f.expr, attr)
    if isinstance(f, Present):
        sub = _sub(attr, f.path)
        return _assigned(_get(element, sub.name))
    if isinstance(f, Compare):
        sub = _sub(attr, f.path)
        return _compare(sub, _get(element, sub.name), f.op.lower(), f.value)
    raise InvalidFilter(f"A value filter on '{attr.name}' cannot contain another value filter")


def validate_filter(f: Filter, attr: Attribute) -> None:
    """Check every branch of ``f`` against ``attr`` up front, even ones never evaluated.

    ``matches`` short-circuits, so an error in the right-hand side of ``and``/``or``
    would otherwise only surface for some elements (RFC 7644 §3.4.2.2, ``invalidFilter``).
    """
    if isinstance(f, And | Or):
        validate_filter(f.left, attr)
        validate_filter(f.right, attr)
    elif isinstance(f, Not):
        validate_filter(f.expr, attr)
    elif isinstance(f, Present):
        _sub(attr, f.path)
    elif isinstance(f, Compare):
        _expected(_sub(attr, f.path), f.op.lower(), f.value)
    else:
        raise InvalidFilter(f"A value filter on '{attr.name}' cannot contain another value filter")


def values_equal(attr: Attribute | None, actual: Any, expected: Any) -> bool:
    """Equality as ``eq`` would judge it for ``attr`` (caseExact, types); ``==`` as fallback."""
    if attr is None or actual is None or expected is None:
        return bool(actual == expected)
    try:
        return _compare(attr, actual, "eq", expected)
    except InvalidFilter:
        return bool(actual == expected)


def _sub(attr: Attribute, path: AttrPath) -> Attribute:
    name = path.attr if path.sub_attr is None else None
    sub = attr.sub(name) if name and path.urn is None else None
    if sub is None:
        raise InvalidFilter(f"'{path}' is not a sub-attribute of '{attr.name}'")
    return sub


def _get(element: dict[str, Any], name: str) -> Any:
    """Look ``name`` up in ``element``, ignoring case (RFC 7643 §2.1)."""
    if name in element:
        return element[name]
    lowered = name.lower()
    return next((v for k, v in element.items() if k.lower() == lowered), None)


def _assigned(value: Any) -> bool:
    """RFC 7643 §2.5: null, empty arrays and empty objects are unassigned; so is ''."""
    return value is not None and value not in ("", [], {})


def _compare(sub: Attribute, actual: Any, op: str, expected: Any) -> bool:
    want = _expected(sub, op, expected)
    if expected is None:
        return _assigned(actual) == (op == "ne")
    got = _coerce(_kind(sub, op), actual)
    if got is None:
        return op == "ne"
    return _OPS[op](got, want)


def _expected(sub: Attribute, op: str, expected: Any) -> Any:
    """Validate operator and comparison value for ``sub``; return the coerced value."""
    if op not in _OPS:
        raise InvalidFilter(f"Unknown comparison operator '{op}'")
    if expected is None:
        if op in ("eq", "ne"):
            return None
        raise InvalidFilter(f"'{op}' cannot compare '{sub.name}' with null")
    kind = _kind(sub, op)
    if op in _UNSUPPORTED.get(kind, ()):
        raise InvalidFilter(f"'{op}' is not supported for '{sub.name}' of type {sub.type}")
    coerced = _coerce(kind, expected)
    if coerced is None:
        raise InvalidFilter(f"{expected!r} is not a valid {sub.type} value for '{sub.name}'")
    return coerced


def _kind(sub: Attribute, op: str) -> str:
    if sub.type == "boolean":
        return "boolean"
    if sub.type in ("integer", "decimal"):
        return "number"
    if sub.type == "dateTime" and op not in _SUBSTRING:
        return "datetime"
    if sub.type == "binary":
        return "binary"
    return "exact" if sub.case_exact else "fold"


def _coerce(kind: str, value: Any) -> Any:
    """Bring ``value`` into a comparable form for ``kind``; None when it cannot be."""
    if kind == "boolean":
        return _to_bool(value)
    if kind == "number":
        return _to_number(value)
    if kind == "datetime":
        return _to_datetime(value)
    if not isinstance(value, str):
        return None
    return value.lower() if kind == "fold" else value


def _to_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _to_number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        for kind in (int, float):
            try:
                return kind(value)
            except ValueError:
                pass
    return None


def _to_datetime(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
