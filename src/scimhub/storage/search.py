"""Queries over the resource store: filter, sort and paginate in SQL (RFC 7644 §3.4.2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Select, func, select

from scimhub.scim.filter import Filter
from scimhub.scim.path import AttrPath
from scimhub.scim.schema import ResourceType

from . import relations
from .filter_sql import compile_filter, sort_key
from .resources import Related
from .tables import resources
from .transactions import read_tx

Doc = dict[str, Any]


@dataclass(frozen=True, slots=True)
class SearchSpec:
    """A bound query: ``offset`` for index pagination, ``after`` for keyset cursors."""

    filter: Filter | None = None
    sort_by: AttrPath | None = None
    descending: bool = False
    offset: int = 0
    limit: int = 100
    after: int | None = None
    want_total: bool = True


@dataclass(frozen=True, slots=True)
class Page:
    docs: list[Doc]
    total: int | None
    last_seq: int | None
    has_more: bool


def search(
    engine: Engine, tenant_id: str, rtype: ResourceType, spec: SearchSpec, related: Related
) -> Page:
    conds = _conditions(engine.dialect.name, tenant_id, rtype, spec.filter)
    with read_tx(engine) as conn:
        total = _count(conn, conds) if spec.want_total else None
        if spec.limit == 0:
            return Page([], total, None, False)
        rows = list(conn.execute(_page_query(engine.dialect.name, rtype, conds, spec)))
        more = len(rows) > spec.limit
        rows = rows[: spec.limit]
        docs = _attach_many(conn, tenant_id, rtype, rows, related)
    return Page(docs, total, rows[-1].seq if rows else None, more)


def _conditions(
    dialect: str, tenant_id: str, rtype: ResourceType, flt: Filter | None
) -> list[ColumnElement[bool]]:
    conds = [resources.c.tenant_id == tenant_id, resources.c.resource_type == rtype.name]
    if flt is not None:
        conds.append(compile_filter(flt, rtype, dialect))
    return conds


def _count(conn: Connection, conds: list[ColumnElement[bool]]) -> int:
    return int(conn.execute(select(func.count()).select_from(resources).where(*conds)).scalar_one())


def _page_query(
    dialect: str, rtype: ResourceType, conds: list[ColumnElement[bool]], spec: SearchSpec
) -> Select[Any]:
    query = select(resources.c.seq, resources.c.doc).where(*conds)
    if spec.after is not None:
        query = query.where(resources.c.seq > spec.after)
    if spec.sort_by is not None:
        key = sort_key(spec.sort_by, rtype, dialect)
        key = key.desc() if spec.descending else key.asc()
        query = query.order_by(key.nulls_last(), resources.c.seq)
    else:
        query = query.order_by(resources.c.seq)
    return query.offset(spec.offset).limit(spec.limit + 1)


def _attach_many(
    conn: Connection, tenant_id: str, rtype: ResourceType, rows: list[Any], related: Related
) -> list[Doc]:
    if rtype.name == "Group" and related.members:
        found = relations.load_members_many(conn, [r.seq for r in rows])
        return [{**r.doc, "members": found[r.seq]} if r.seq in found else r.doc for r in rows]
    if rtype.name == "User" and related.groups and rtype.schema.attr("groups"):
        groups = relations.load_groups(conn, tenant_id, [r.doc["id"] for r in rows])
        return [_with(r.doc, "groups", groups.get(r.doc["id"])) for r in rows]
    return [r.doc for r in rows]


def _with(doc: Doc, key: str, value: Any) -> Doc:
    return {**doc, key: value} if value else doc
