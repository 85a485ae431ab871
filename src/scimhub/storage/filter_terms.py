"""Comparisons of one SQL value against a filter operand (RFC 7644 §3.4.2.2, table 3).

A :class:`Term` is a scalar SQL expression plus what the comparison needs to know about
it: its SCIM type, whether it compares case-sensitively (``caseExact``, RFC 7643 §2.2)
and whether the stored column is already lower-cased.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, and_, false, func, literal, not_
from sqlalchemy.sql.elements import ColumnElement

from scimhub.scim.errors import InvalidFilter
from scimhub.scim.filter import Value
from scimhub.scim.schema import Attribute

__all__ = ["Term", "compare", "kind_of", "negate", "present", "sort_expr"]

Condition = ColumnElement[bool]

_ORDERING: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}
_LIKE = {"co": "%{}%", "sw": "{}%", "ew": "%{}"}
_ESCAPE = "\\"


@dataclass(frozen=True, slots=True)
class Term:
    """A scalar SQL value: ``kind`` is "string", "boolean", "number" or "datetime"."""

    expr: ColumnElement[Any]
    kind: str = "string"
    case_exact: bool = False
    lowered: bool = False
    #: SQLite's LIKE ignores ASCII case, so case-exact co/sw/ew need an exact re-check there.
    sqlite: bool = False


def kind_of(attr: Attribute) -> str:
    """The comparison kind of a JSON-stored attribute (dateTime compares as ISO text)."""
    return {"boolean": "boolean", "integer": "number", "decimal": "number"}.get(attr.type, "string")


def negate(cond: Condition) -> Condition:
    """``NOT`` with two-valued logic: a comparison with an absent value is false, not NULL."""
    return not_(func.coalesce(cond, false()))


def present(term: Term) -> Condition:
    """``pr``: not null and, for strings, not empty (RFC 7643 §2.5)."""
    if term.kind == "string":
        return and_(term.expr.is_not(None), term.expr != "")
    return term.expr.is_not(None)


def sort_expr(term: Term) -> ColumnElement[Any]:
    """The ORDER BY expression: case-insensitive strings sort by their lower-cased value."""
    if term.kind == "string" and not term.case_exact and not term.lowered:
        return func.lower(term.expr)
    return term.expr


def compare(term: Term, op: str, value: Value) -> Condition:
    """``term op value`` for op in eq, gt, ge, lt, le, co, sw, ew (``ne`` is ``not eq``)."""
    if term.kind == "boolean":
        return _compare_boolean(term, op, value)
    if term.kind == "number":
        return _ordered(term.expr, op, _number(value), "numeric")
    if term.kind == "datetime":
        return _ordered(term.expr, op, parse_datetime(value), "dateTime")
    return _compare_string(term, op, _text(value))


def _ordered(expr: ColumnElement[Any], op: str, operand: Any, kind: str) -> Condition:
    if op not in _ORDERING:
        raise InvalidFilter(f"Operator '{op}' is not supported for {kind} attributes")
    result: Condition = _ORDERING[op](expr, operand)
    return result


def _compare_boolean(term: Term, op: str, value: Value) -> Condition:
    if op != "eq":
        raise InvalidFilter(f"Operator '{op}' is not supported for boolean attributes")
    if isinstance(value, str) and value.lower() in ("true", "false"):
        value = value.lower() == "true"
    if not isinstance(value, bool):
        raise InvalidFilter(f"Expected true or false, found {value!r}")
    result: Condition = term.expr == value
    return result


def _number(value: Value) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidFilter(f"Expected a number, found {value!r}")
    return value


def _text(value: Value) -> str:
    if isinstance(value, bool) or value is None:
        raise InvalidFilter(f"Expected a string, found {value!r}")
    return str(value)


def parse_datetime(value: Value) -> datetime:
    """Parse an RFC 3339 date-time operand into an aware UTC datetime."""
    if not isinstance(value, str):
        raise InvalidFilter(f"Expected a dateTime string, found {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidFilter(f"Invalid dateTime {value!r}: expected RFC 3339") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def equals_any(term: Term, texts: list[str]) -> Condition:
    """``term eq t1 or term eq t2 …`` on a string term as one ``IN`` (an index probe each)."""
    if term.case_exact:
        return term.expr.in_(texts)
    if term.lowered:
        return term.expr.in_(sorted({t.lower() for t in texts}))
    return func.lower(term.expr).in_(sorted({t.lower() for t in texts}))


def _compare_string(term: Term, op: str, text: str) -> Condition:
    if op in _ORDERING:
        lhs, rhs = _sides(term, text)
        return _ordered(lhs, op, rhs, "string")
    pattern = _LIKE[op].format(escape_like(text))
    lhs, rhs = _sides(term, pattern)
    like: Condition = lhs.like(rhs, escape=_ESCAPE)
    if term.case_exact and term.sqlite and text:
        return and_(like, _exact_affix(term.expr, op, text))
    return like


def _sides(term: Term, text: str) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    if term.case_exact:
        return term.expr, literal(text, String)
    if term.lowered:
        return term.expr, literal(text.lower(), String)
    return func.lower(term.expr), func.lower(literal(text, String))


def _exact_affix(expr: ColumnElement[Any], op: str, text: str) -> Condition:
    """SQLite: the case-sensitive half of co/sw/ew that its LIKE does not check."""
    operand = literal(text, String)
    if op == "co":
        return func.instr(expr, operand) > 0
    start = 1 if op == "sw" else -len(text)
    return func.substr(expr, start, len(text)) == operand


def escape_like(text: str) -> str:
    """Escape LIKE wildcards (``%``, ``_``) and the escape character itself."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
