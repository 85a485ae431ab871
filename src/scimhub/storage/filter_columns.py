"""Where a SCIM attribute lives in the database, as :class:`Term` s for the filter compiler.

Single-valued attributes come from the resource row: an indexed column where there is
one, else JSON extraction from ``doc``. Multi-valued attributes are *element scopes*: an
``EXISTS`` over one row per value, from the ``emails`` and ``members`` tables or from the
JSON array itself (``json_each`` on SQLite, ``jsonb_array_elements`` on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    FromClause,
    Integer,
    Select,
    String,
    Text,
    and_,
    case,
    cast,
    column,
    func,
    literal,
    literal_column,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement

from scimhub.scim.definitions import GROUP_URN, USER_URN
from scimhub.scim.errors import InvalidFilter
from scimhub.scim.path import Resolved
from scimhub.scim.schema import Attribute

from .filter_terms import Term, kind_of
from .tables import emails, members, resources

__all__ = ["ElementScope", "element_scope", "row_term"]

Condition = ColumnElement[bool]
# Aliases are built once: building one (and its column collection) per query costs ~1 ms.
# Sibling subqueries may share an alias name; value paths cannot nest.
_EMAILS = emails.alias("e")
_MEMBERS = members.alias("m")
_GROUP_MEMBERS = members.alias("gm")
_GROUPS = resources.alias("g")
_EMAIL_SUBS = frozenset({"value", "type", "primary"})

#: (schema id, attribute, sub-attribute) -> (indexed column, kind, column holds lower-cased text)
_INDEXED: dict[tuple[str, str, str | None], tuple[Any, str, bool]] = {
    ("common", "id", None): (resources.c.id, "string", False),
    ("common", "externalId", None): (resources.c.external_id, "string", False),
    ("common", "meta", "created"): (resources.c.created, "datetime", False),
    ("common", "meta", "lastModified"): (resources.c.last_modified, "datetime", False),
    ("common", "meta", "resourceType"): (resources.c.resource_type, "string", False),
    ("common", "meta", "version"): (
        literal('W/"') + cast(resources.c.version, String) + literal('"'),
        "string",
        False,
    ),
    (USER_URN, "userName", None): (resources.c.user_name_ci, "string", True),
    (USER_URN, "active", None): (resources.c.active, "boolean", False),
    (GROUP_URN, "displayName", None): (resources.c.display_name_ci, "string", True),
}


def row_term(r: Resolved, dialect: str) -> Term:
    """The Term of a single-valued simple attribute of the resource row."""
    attr = r.target
    assert r.attribute is not None and attr is not None
    sub = r.sub.name if r.sub else None
    indexed = None if r.extension else _INDEXED.get((r.schema.id, r.attribute.name, sub))
    if indexed is not None:
        col, kind, lowered = indexed
        return Term(col, kind, attr.case_exact, lowered, dialect == "sqlite")
    keys = tuple(k for k in (r.container, r.attribute.name, sub) if k)
    return _json_term(resources.c.doc[keys], attr, dialect)


def _json_term(node: Any, attr: Attribute, dialect: str) -> Term:
    """Extract a scalar from a JSON path expression (``doc[keys]``) by the attribute type."""
    kind = kind_of(attr)
    if kind == "boolean":
        expr = node.as_boolean()
    elif kind == "number":
        expr = node.as_float()
    else:
        expr = node.as_string()
    return Term(expr, kind, attr.case_exact, sqlite=dialect == "sqlite")


class ElementScope:
    """One row per value of a multi-valued attribute, correlated to the resource row."""

    source: FromClause
    correlation: Condition | None = None

    def term(self, sub: Attribute | None, parent: Attribute) -> Term:
        """The Term of ``sub`` of one element (``sub`` None: a simple element itself)."""
        raise NotImplementedError

    def order(self, parent: Attribute) -> list[ColumnElement[Any]]:
        """Order of elements for "the primary, or else the first" value."""
        raise NotImplementedError

    def exists(self, cond: Condition | None) -> Condition:
        """EXISTS an element (satisfying ``cond``)."""
        query: Select[Any] = select(literal_column("1")).select_from(self.source)
        for clause in (self.correlation, cond):
            if clause is not None:
                query = query.where(clause)
        return query.exists()

    def first(self, expr: ColumnElement[Any], parent: Attribute) -> ColumnElement[Any]:
        """``expr`` of the primary (or else the first) element, as a scalar subquery."""
        query = select(expr).select_from(self.source)
        if self.correlation is not None:
            query = query.where(self.correlation)
        return query.order_by(*self.order(parent)).limit(1).scalar_subquery()

    def unsupported(self, parent: Attribute, sub: Attribute | None) -> InvalidFilter:
        name = f"{parent.name}.{sub.name}" if sub else parent.name
        return InvalidFilter(f"Filtering on '{name}' is not supported")


class _TableScope(ElementScope):
    """Values kept in a side table, linked by ``inner`` (table) = ``outer`` (resource row)."""

    def link(self, outer: Any, inner: Any, tenant: Any, dialect: str) -> None:
        self.outer, self.inner, self.tenant = outer, inner, tenant
        self.sqlite = dialect == "sqlite"
        self.correlation = and_(inner == outer, tenant == resources.c.tenant_id)

    def exists(self, cond: Condition | None) -> Condition:
        if not self.sqlite:
            return super().exists(cond)
        # SQLite runs a correlated EXISTS once per resource; ``IN`` drives from the index.
        query: Select[Any] = select(self.inner).select_from(self.source)
        query = query.where(self.tenant == resources.c.tenant_id)
        result: Condition = self.outer.in_(query if cond is None else query.where(cond))
        return result


class EmailScope(_TableScope):
    """User ``emails`` from the indexed ``scim_emails`` table (value, type, primary)."""

    def __init__(self, dialect: str) -> None:
        self.t = _EMAILS
        self.source = self.t
        self.link(resources.c.seq, self.t.c.resource_seq, self.t.c.tenant_id, dialect)

    def term(self, sub: Attribute | None, parent: Attribute) -> Term:
        name = sub.name if sub else None
        if name == "value":
            return Term(self.t.c.value_ci, "string", False, True, self.sqlite)
        if name == "type":
            return Term(self.t.c.type, "string", False, False, self.sqlite)
        if name == "primary":
            return Term(self.t.c.primary, "boolean")
        raise self.unsupported(parent, sub)

    def order(self, parent: Attribute) -> list[ColumnElement[Any]]:
        return [self.t.c.primary.desc(), self.t.c.position]


class MemberScope(_TableScope):
    """Group ``members`` from ``scim_group_members``; ``value`` is a resource id (caseExact)."""

    def __init__(self, dialect: str) -> None:
        self.t = _MEMBERS
        self.source = self.t
        self.link(resources.c.seq, self.t.c.group_seq, self.t.c.tenant_id, dialect)

    def term(self, sub: Attribute | None, parent: Attribute) -> Term:
        name = sub.name if sub else None
        if name == "value":
            return Term(self.t.c.member_id, "string", True, sqlite=self.sqlite)
        if name == "type":
            return Term(self.t.c.member_type, "string", False, sqlite=self.sqlite)
        if name == "display":
            return Term(self.t.c.display, "string", False, sqlite=self.sqlite)
        raise self.unsupported(parent, sub)

    def order(self, parent: Attribute) -> list[ColumnElement[Any]]:
        return [self.t.c.member_id]


class GroupScope(_TableScope):
    """User ``groups``: membership rows naming the user, joined to the group's row."""

    def __init__(self, dialect: str) -> None:
        self.m = _GROUP_MEMBERS
        self.g = _GROUPS
        self.source = self.m.join(self.g, self.g.c.seq == self.m.c.group_seq)
        self.link(resources.c.id, self.m.c.member_id, self.m.c.tenant_id, dialect)

    def term(self, sub: Attribute | None, parent: Attribute) -> Term:
        name = sub.name if sub else None
        if name == "value":
            return Term(self.g.c.id, "string", True, sqlite=self.sqlite)
        if name == "display":
            return Term(self.g.c.display_name_ci, "string", False, True, self.sqlite)
        if name == "type":  # memberships are direct: nested groups are not expanded
            return Term(literal("direct", String), "string", False, True, self.sqlite)
        raise self.unsupported(parent, sub)

    def order(self, parent: Attribute) -> list[ColumnElement[Any]]:
        return [self.g.c.display_name_ci, self.g.c.id]


class JsonArrayScope(ElementScope):
    """Elements of a JSON array in ``doc``: SQLite ``json_each``, PostgreSQL jsonb functions."""

    def __init__(self, keys: tuple[str, ...], dialect: str, *, simple: bool) -> None:
        self.dialect = dialect
        self.simple = simple
        if dialect == "sqlite":
            path = "$" + "".join(f'."{key}"' for key in keys)
            fn = func.json_each(resources.c.doc, path)
            cols = (column("value", String if simple else JSON), column("key", Integer))
            self.source = fn.table_valued(*cols).alias()
        else:
            name = "jsonb_array_elements_text" if simple else "jsonb_array_elements"
            fn = getattr(func, name)(resources.c.doc[keys])
            value = column("value", Text if simple else JSONB)
            derived = fn.table_valued(value, with_ordinality="key").render_derived()
            self.source = derived.alias()

    def term(self, sub: Attribute | None, parent: Attribute) -> Term:
        element = self.source.c.value
        if sub is None:
            return _simple_term(element, parent, self.dialect)
        return _json_term(element[(sub.name,)], sub, self.dialect)

    def order(self, parent: Attribute) -> list[ColumnElement[Any]]:
        primary = parent.sub("primary")
        key: ColumnElement[Any] = self.source.c.key
        if primary is None or self.simple:
            return [key]
        flag = self.term(primary, parent).expr
        return [case((flag == True, 0), else_=1), key]  # noqa: E712


def _simple_term(element: ColumnElement[Any], attr: Attribute, dialect: str) -> Term:
    kind = kind_of(attr)
    sqlite = dialect == "sqlite"
    if kind == "boolean":
        return Term(type_coerce(element, Boolean) if sqlite else element == "true", kind)
    if kind == "number":
        return Term(type_coerce(element, Float) if sqlite else element.cast(Float), kind)
    return Term(element, kind, attr.case_exact, sqlite=sqlite)


def element_scope(r: Resolved, subs: Iterable[str], dialect: str) -> ElementScope:
    """The element scope of multi-valued ``r.attribute``, for the sub-attributes ``subs``."""
    attr = r.attribute
    assert attr is not None
    owner = None if r.extension else r.schema.id
    if owner == USER_URN and attr.name == "emails" and {s.lower() for s in subs} <= _EMAIL_SUBS:
        return EmailScope(dialect)
    if owner == GROUP_URN and attr.name == "members":
        return MemberScope(dialect)
    if owner == USER_URN and attr.name == "groups":
        return GroupScope(dialect)
    keys = tuple(k for k in (r.container, attr.name) if k)
    return JsonArrayScope(keys, dialect, simple=not attr.is_complex)
