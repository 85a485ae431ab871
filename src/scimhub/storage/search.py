"""Queries over the resource store: filter, sort and paginate in SQL (RFC 7644 §3.4.2).

A query has one *branch* per resource type it covers (one for /Users, all of them for a
search at the root): each branch brings its compiled filter and sort key, and the branches
are combined into a single SQL statement, so sorting and pagination are global.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    and_,
    case,
    func,
    null,
    or_,
    select,
)

from scimhub.scim.errors import ScimError
from scimhub.scim.filter import Filter
from scimhub.scim.path import AttrPath
from scimhub.scim.schema import ResourceType

from . import relations
from .fastread import reader_for
from .filter_sql import compile_filter, sort_key
from .lookup import point_lookup
from .resources import STORED_COLUMNS, Related, fast_doc, stored_doc
from .tables import resources
from .transactions import read_tx

Doc = dict[str, Any]
Condition = ColumnElement[bool]


@dataclass(frozen=True, slots=True)
class Position:
    """A keyset position: after the row with this sort value (if sorted) and sequence."""

    seq: int
    key: Any = None


@dataclass(frozen=True, slots=True)
class SearchSpec:
    """A bound query: ``offset`` for index pagination, ``after`` for keyset cursors."""

    filter: Filter | None = None
    sort_by: AttrPath | None = None
    descending: bool = False
    offset: int = 0
    limit: int = 100
    after: Position | None = None
    want_total: bool = True


@dataclass(frozen=True, slots=True)
class Found:
    rtype: ResourceType
    doc: Doc


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Found]
    total: int | None
    last: Position | None
    has_more: bool


@dataclass(frozen=True, slots=True)
class _Branch:
    rtype: ResourceType
    where: Condition
    key: ColumnElement[Any] | None


def search(
    engine: Engine,
    tenant_id: str,
    rtypes: Sequence[ResourceType],
    spec: SearchSpec,
    related: Related,
    *,
    lenient: bool = False,
) -> Page:
    """Run ``spec`` over ``rtypes``. With ``lenient``, a filter or sortBy naming an attribute
    that a type lacks excludes that type (filter) or sorts its resources last (sortBy)."""
    fast = _fast(engine, tenant_id, rtypes, spec, related)
    if fast is not None:
        return fast
    dialect = engine.dialect.name
    branches = [b for b in (_branch(r, spec, dialect, lenient) for r in rtypes) if b]
    if not branches:
        return Page([], 0, None, False)
    where = or_(*(b.where for b in branches))
    key = _combined_key(branches) if spec.sort_by is not None else None
    with read_tx(engine) as conn:
        total = _count(conn, tenant_id, where) if spec.want_total else None
        if spec.limit == 0:
            return Page([], total, None, False)
        rows = list(conn.execute(_page_query(tenant_id, where, key, spec)))
        more = len(rows) > spec.limit
        rows = rows[: spec.limit]
        items = _attach_many(conn, tenant_id, branches, rows, related)
    last = Position(rows[-1].seq, rows[-1].sort_value) if rows else None
    return Page(items, total, last, more)


def _fast(
    engine: Engine,
    tenant_id: str,
    rtypes: Sequence[ResourceType],
    spec: SearchSpec,
    related: Related,
) -> Page | None:
    """Unsorted listings and point lookups of one type, on the fast read path."""
    if len(rtypes) != 1 or spec.sort_by is not None:
        return None
    rtype = rtypes[0]
    point = point_lookup(spec.filter, rtype) if spec.filter is not None else None
    if (spec.filter is not None and point is None) or (rtype.name == "Group" and related.members):
        return None
    groups = related.groups and rtype.schema.attr("groups") is not None
    reader = reader_for(engine)
    total: int | None
    if point is not None:
        rows, total = _point_rows(reader.lookup(tenant_id, rtype.name, *point, groups), spec)
    else:
        total = reader.count(tenant_id, rtype.name) if spec.want_total else None
        after = spec.after.seq if spec.after else None
        rows = reader.page(
            tenant_id, rtype.name, spec.offset, spec.limit + 1, after=after, groups=groups
        )
        rows = rows if spec.limit else []
    more, rows = len(rows) > spec.limit, rows[: spec.limit]
    last = Position(rows[-1][0]) if rows else None
    return Page([Found(rtype, fast_doc(rtype, r)) for r in rows], total, last, more)


def _point_rows(matched: list[Any], spec: SearchSpec) -> tuple[list[Any], int]:
    """The window of a point lookup's (few) matches, and their total."""
    total = len(matched)
    if spec.after is not None:
        matched = [r for r in matched if r[0] > spec.after.seq]
    window = matched[spec.offset : spec.offset + spec.limit + 1] if spec.limit else []
    return window, total


def _branch(rtype: ResourceType, spec: SearchSpec, dialect: str, lenient: bool) -> _Branch | None:
    where: Condition = resources.c.resource_type == rtype.name
    try:
        if spec.filter is not None:
            where = and_(where, compile_filter(spec.filter, rtype, dialect))
    except ScimError:
        if not lenient:
            raise
        return None
    return _Branch(rtype, where, _sort_key(rtype, spec, dialect, lenient))


def _sort_key(
    rtype: ResourceType, spec: SearchSpec, dialect: str, lenient: bool
) -> ColumnElement[Any] | None:
    if spec.sort_by is None:
        return None
    try:
        return sort_key(spec.sort_by, rtype, dialect)
    except ScimError:
        if not lenient:
            raise
        return None


def _combined_key(branches: list[_Branch]) -> ColumnElement[Any]:
    if len(branches) == 1:
        return branches[0].key if branches[0].key is not None else null()
    whens = [
        (resources.c.resource_type == b.rtype.name, b.key) for b in branches if b.key is not None
    ]
    return case(*whens, else_=null()) if whens else null()


def _count(conn: Connection, tenant_id: str, where: Condition) -> int:
    query = select(func.count()).select_from(resources)
    return int(conn.execute(query.where(resources.c.tenant_id == tenant_id, where)).scalar_one())


def _page_query(
    tenant_id: str, where: Condition, key: ColumnElement[Any] | None, spec: SearchSpec
) -> Select[Any]:
    sort_value = (key if key is not None else null()).label("sort_value")
    query = select(*STORED_COLUMNS, resources.c.resource_type, sort_value)
    query = query.where(resources.c.tenant_id == tenant_id, where)
    if spec.after is not None:
        query = query.where(_after(key, spec.after, spec.descending))
    if key is None:
        query = query.order_by(resources.c.seq)
    elif spec.descending:  # missing values sort as the greatest: last up, first down
        query = query.order_by(key.desc().nulls_first(), resources.c.seq)
    else:
        query = query.order_by(key.asc().nulls_last(), resources.c.seq)
    return query.offset(spec.offset).limit(spec.limit + 1)


def _after(key: ColumnElement[Any] | None, pos: Position, descending: bool) -> Condition:
    """Rows strictly after ``pos`` in the query's order (keyset pagination)."""
    later_seq = resources.c.seq > pos.seq
    if key is None:
        return later_seq
    if pos.key is None:
        nulls_then = and_(key.is_(None), later_seq)
        return or_(nulls_then, key.is_not(None)) if descending else nulls_then
    beyond = key < pos.key if descending else key > pos.key
    tie = and_(key == pos.key, later_seq)
    return or_(beyond, tie) if descending else or_(beyond, tie, key.is_(None))


def _attach_many(
    conn: Connection, tenant_id: str, branches: list[_Branch], rows: list[Any], related: Related
) -> list[Found]:
    types = {b.rtype.name: b.rtype for b in branches}
    group_seqs = [r.seq for r in rows if r.resource_type == "Group"]
    user_ids = [r.doc["id"] for r in rows if r.resource_type == "User"]
    members = relations.load_members_many(conn, group_seqs) if related.members else {}
    wants_groups = related.groups and any(t.schema.attr("groups") for t in types.values())
    groups = relations.load_groups(conn, tenant_id, user_ids) if wants_groups else {}
    out = []
    for r in rows:
        rtype = types[r.resource_type]
        extra = members.get(r.seq) if r.resource_type == "Group" else groups.get(r.doc["id"])
        key = "members" if r.resource_type == "Group" else "groups"
        doc = stored_doc(rtype, r)
        out.append(Found(rtype, {**doc, key: extra} if extra else doc))
    return out


__all__ = ["Found", "Page", "Position", "SearchSpec", "search"]
