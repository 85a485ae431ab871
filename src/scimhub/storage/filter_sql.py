"""Compile SCIM filters (RFC 7644 §3.4.2.2) and sortBy (§3.4.2.3) to SQLAlchemy Core.

The caller adds the ``tenant_id`` and ``resource_type`` conditions; :func:`compile_filter`
returns only the filter's boolean expression over ``scim_resources``. Indexed columns are
used where they exist (see :mod:`.filter_columns`), so common filters hit indexes.

Semantics: ``ne`` is ``not eq`` (an absent attribute is "not equal"); ``x eq null`` is
``not (x pr)`` and ``x ne null`` is ``x pr`` (RFC 7643 §2.5); ``not`` uses two-valued logic;
a filter on a multi-valued attribute matches when any value does, and all conditions of a
value path (``emails[type eq "work" and value co "@x"]``) apply to the same value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy.sql.elements import ColumnElement

from scimhub.scim.errors import InvalidFilter
from scimhub.scim.filter import (
    And,
    Compare,
    Filter,
    Not,
    Or,
    Present,
    ValuePath,
    resolve_filter_path,
    resolve_sub_path,
)
from scimhub.scim.path import AttrPath, Resolved
from scimhub.scim.schema import Attribute, ResourceType

from .filter_columns import element_scope, row_term
from .filter_terms import Term, compare, equals_any, negate, present, sort_expr

__all__ = ["compile_filter", "sort_key"]

Condition = ColumnElement[bool]
Wrap = Callable[[Condition], Condition]


def compile_filter(f: Filter, rtype: ResourceType, dialect: str) -> Condition:
    """The SQL condition selecting the resources of type ``rtype`` that match ``f``.

    ``dialect`` is "sqlite" or "postgresql". Raises InvalidFilter for unknown or
    unfilterable attributes and operands that do not fit the attribute's type.
    """
    return _Compiler(rtype, dialect).node(f)


def sort_key(path: AttrPath, rtype: ResourceType, dialect: str) -> ColumnElement[Any]:
    """The ORDER BY expression for ``sortBy=path`` (RFC 7644 §3.4.2.3).

    Multi-valued attributes sort by their primary (or else first) value.
    """
    r = resolve_filter_path(rtype, path)
    attr = r.attribute
    if attr is None:
        raise InvalidFilter(f"Cannot sort by '{path}'")
    sub = r.sub or _default_sub(attr, path)
    if attr.multi_valued:
        scope = element_scope(r, [sub.name] if sub else [], dialect)
        return scope.first(sort_expr(scope.term(sub, attr)), attr)
    return sort_expr(row_term(_with_sub(r, sub), dialect))


def _default_sub(attr: Attribute, path: AttrPath) -> Attribute | None:
    """A complex attribute without sub-attribute stands for its ``value`` (RFC 7644 §3.4.2.2)."""
    if not attr.is_complex:
        return None
    sub = attr.sub("value")
    if sub is None:
        raise InvalidFilter(f"'{path}' is complex: name one of its sub-attributes")
    return sub


def _with_sub(r: Resolved, sub: Attribute | None) -> Resolved:
    return Resolved(r.schema, r.attribute, sub, r.extension)


def _disjuncts(f: Filter) -> Iterator[Filter]:
    """The operands of a chain of ``or`` (left-nested by the parser), in order."""
    stack = [f]
    while stack:
        node = stack.pop()
        if isinstance(node, Or):
            stack += [node.right, node.left]
        else:
            yield node


def _same_eq_path(parts: list[Filter]) -> AttrPath | None:
    """The path when every part is ``path eq "<string>"`` on one and the same path."""
    first = parts[0]
    if not isinstance(first, Compare):
        return None
    for part in parts:
        if not (isinstance(part, Compare) and part.op == "eq" and isinstance(part.value, str)):
            return None
        if str(part.path).lower() != str(first.path).lower():
            return None
    return first.path


def _identity(cond: Condition) -> Condition:
    return cond


def _leaf(f: Compare | Present, term: Term, wrap: Wrap) -> Condition:
    """One attribute expression; ``wrap`` turns an element condition into EXISTS."""
    if isinstance(f, Present):
        return wrap(present(term))
    if f.value is None:
        exists = wrap(present(term))
        return negate(exists) if f.op == "eq" else exists
    if f.op == "ne":
        return negate(wrap(compare(term, "eq", f.value)))
    return wrap(compare(term, f.op, f.value))


class _Compiler:
    def __init__(self, rtype: ResourceType, dialect: str) -> None:
        self.rtype = rtype
        self.dialect = dialect

    def node(self, f: Filter) -> Condition:
        if isinstance(f, And):
            return and_(self.node(f.left), self.node(f.right))
        if isinstance(f, Or):
            return self.disjunction(list(_disjuncts(f)))
        if isinstance(f, Not):
            return negate(self.node(f.expr))
        if isinstance(f, ValuePath):
            return self.value_path(f)
        return self.attr_exp(f)

    def disjunction(self, parts: list[Filter]) -> Condition:
        """``a eq "x" or a eq "y" …`` on one single-valued string attribute becomes one
        ``IN`` (bulk lookups by userName: one index probe per value, one short statement)."""
        path = _same_eq_path(parts)
        if path is not None:
            r = resolve_filter_path(self.rtype, path)
            attr = r.attribute
            if attr is not None and not attr.multi_valued and not attr.is_complex:
                term = row_term(r, self.dialect)
                if term.kind == "string":
                    return equals_any(term, [str(p.value) for p in parts])  # type: ignore[union-attr]
        return or_(*(self.node(part) for part in parts))

    def attr_exp(self, f: Compare | Present) -> Condition:
        r = resolve_filter_path(self.rtype, f.path)
        attr = r.attribute
        if attr is None:
            return self.whole_extension(f, r)
        if attr.is_complex and r.sub is None and isinstance(f, Present):
            return self.complex_present(r, attr)
        sub = r.sub or _default_sub(attr, f.path)
        if not attr.multi_valued:
            return _leaf(f, row_term(_with_sub(r, sub), self.dialect), _identity)
        scope = element_scope(r, [sub.name] if sub else [], self.dialect)
        return _leaf(f, scope.term(sub, attr), scope.exists)

    def complex_present(self, r: Resolved, attr: Attribute) -> Condition:
        """``pr`` on a complex attribute: any value (multi-valued) or any sub-attribute."""
        if attr.multi_valued:
            return element_scope(r, [], self.dialect).exists(None)
        terms = [row_term(_with_sub(r, sub), self.dialect) for sub in attr.sub_attributes]
        return or_(*(present(term) for term in terms))

    def whole_extension(self, f: Compare | Present, r: Resolved) -> Condition:
        """``urn:...:User pr``: the extension has some attribute."""
        if not isinstance(f, Present):
            raise InvalidFilter(f"'{f.path}' is a schema extension: name one of its attributes")
        paths = (AttrPath(r.schema.id, attr.name) for attr in r.schema.attributes)
        return or_(*(self.attr_exp(Present(path)) for path in paths))

    def value_path(self, f: ValuePath) -> Condition:
        """``attr[valFilter]``: every condition applies to the same value of ``attr``."""
        r = resolve_filter_path(self.rtype, f.path)
        parent = r.target
        if r.sub is not None or parent is None or not parent.is_complex:
            raise InvalidFilter(f"Value filter on '{f.path}', which is not a complex attribute")
        if not parent.multi_valued:
            return self.inner(
                f.filter, parent, lambda sub: row_term(_with_sub(r, sub), self.dialect)
            )
        subs = [sub.name for sub in _inner_subs(f.filter, parent)]
        scope = element_scope(r, subs, self.dialect)
        return scope.exists(self.inner(f.filter, parent, lambda sub: scope.term(sub, parent)))

    def inner(self, f: Filter, parent: Attribute, term: Callable[[Attribute], Term]) -> Condition:
        if isinstance(f, And):
            return and_(self.inner(f.left, parent, term), self.inner(f.right, parent, term))
        if isinstance(f, Or):
            return or_(self.inner(f.left, parent, term), self.inner(f.right, parent, term))
        if isinstance(f, Not):
            return negate(self.inner(f.expr, parent, term))
        if isinstance(f, ValuePath):
            raise InvalidFilter("Nested value paths are not allowed")
        return _leaf(f, term(resolve_sub_path(parent, f.path)), _identity)


def _inner_subs(f: Filter, parent: Attribute) -> Iterator[Attribute]:
    """The sub-attributes a value filter refers to."""
    if isinstance(f, And | Or):
        yield from _inner_subs(f.left, parent)
        yield from _inner_subs(f.right, parent)
    elif isinstance(f, Not):
        yield from _inner_subs(f.expr, parent)
    elif isinstance(f, Compare | Present):
        yield resolve_sub_path(parent, f.path)
