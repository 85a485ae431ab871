"""The hot read path: point reads on a dedicated autocommit DBAPI connection per thread.

SQLAlchemy Core costs ~0.3 ms of Python per statement (statement building, cache key,
pool checkout, BEGIN/COMMIT). The reads that every identity provider repeats — a token,
a resource by id, a lookup by an indexed attribute, an unfiltered page — are instead
fixed SQL strings run on a connection this thread keeps in autocommit mode, with each
user's ``groups`` aggregated by the same statement. Everything else (writes, general
filters, sorting) goes through SQLAlchemy as before, on the same tables.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from psycopg.types.json import set_json_loads
from sqlalchemy import Engine

from scimhub.scim.errors import InvalidValue

_RESOURCE = "r.seq, r.doc, r.version, r.created, r.last_modified, r.resource_type"

_GROUPS = {
    "sqlite": (
        "(SELECT json_group_array(json_object('value', x.id, 'display', x.display, "
        "'type', 'direct')) FROM (SELECT g.id AS id, json_extract(g.doc, '$.displayName') "
        "AS display FROM scim_group_members m JOIN scim_resources g ON g.seq = m.group_seq "
        "WHERE m.tenant_id = r.tenant_id AND m.member_id = r.id ORDER BY g.id) x)"
    ),
    "postgresql": (
        "(SELECT json_agg(json_build_object('value', g.id, 'display', g.doc->>'displayName', "
        "'type', 'direct') ORDER BY g.id) FROM scim_group_members m JOIN scim_resources g "
        "ON g.seq = m.group_seq WHERE m.tenant_id = r.tenant_id AND m.member_id = r.id)"
    ),
}

#: Indexed single-valued columns a point lookup may use (the value is compared as stored).
LOOKUP_COLUMNS = frozenset({"id", "user_name_ci", "external_id", "display_name_ci"})


class FastReader:
    """Fixed-SQL reads for one engine; safe to share between threads."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._mark = "?" if self.dialect == "sqlite" else "%s"
        self._local = threading.local()

    def resource(
        self, tenant_id: str, rtype: str, rid: str, groups: bool
    ) -> tuple[Any, ...] | None:
        """The stored row of one resource: seq, doc, version, created, modified, type, groups."""
        rows = self._resources("r.id = {p}", (rid,), tenant_id, rtype, groups, limit=1)
        return rows[0] if rows else None

    def lookup(
        self, tenant_id: str, rtype: str, column: str, value: str, groups: bool
    ) -> list[tuple[Any, ...]]:
        """Rows whose indexed ``column`` equals ``value`` (``emails`` for the email table)."""
        if column == "emails":
            cond = (
                "r.seq IN (SELECT resource_seq FROM scim_emails "
                "WHERE tenant_id = {p} AND value_ci = {p})"
            )
            return self._resources(cond, (tenant_id, value), tenant_id, rtype, groups)
        if column not in LOOKUP_COLUMNS:
            raise ValueError(f"not an indexed lookup column: {column}")
        return self._resources(f"r.{column} = {{p}}", (value,), tenant_id, rtype, groups)

    def page(
        self,
        tenant_id: str,
        rtype: str,
        offset: int,
        limit: int,
        *,
        after: int | None,
        groups: bool,
    ) -> list[tuple[Any, ...]]:
        """Rows in storage order: ``offset`` rows skipped, or those after sequence ``after``.

        The window is chosen on the index alone, so the documents (and ``groups``) of the
        skipped rows are never read: PostgreSQL computes the select list of rows that
        OFFSET discards.
        """
        later = " AND s.seq > {p}" if after is not None else ""
        window = (
            "r.seq IN (SELECT s.seq FROM scim_resources s WHERE s.tenant_id = {p} "
            f"AND s.resource_type = {{p}}{later} ORDER BY s.seq LIMIT {{p}} OFFSET {{p}})"
        )
        params = (tenant_id, rtype, *(() if after is None else (after,)), limit, offset)
        return self._resources(window, params, tenant_id, rtype, groups)

    def count(self, tenant_id: str, rtype: str) -> int:
        sql = f"SELECT count(*) FROM scim_resources r WHERE {self._scope()}"
        return int(self._fetch(sql, (tenant_id, rtype))[0][0])

    def token(self, token_hash: str) -> tuple[Any, ...] | None:
        """id, token_hash, tenant_id, last_used, profile of a live token."""
        sql = (
            "SELECT t.id, t.token_hash, t.tenant_id, t.last_used, n.profile FROM tokens t "
            f"JOIN tenants n ON n.id = t.tenant_id WHERE t.token_hash = {self._mark} "
            "AND t.revoked IS NULL"
        )
        rows = self._fetch(sql, (token_hash,))
        return rows[0] if rows else None

    def _scope(self) -> str:
        return f"r.tenant_id = {self._mark} AND r.resource_type = {self._mark}"

    def _resources(
        self,
        cond: str,
        params: Sequence[Any],
        tenant_id: str,
        rtype: str,
        groups: bool,
        *,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[tuple[Any, ...]]:
        extra = _GROUPS[self.dialect] if groups else "NULL"
        sql = (
            f"SELECT {_RESOURCE}, {extra} FROM scim_resources r "
            f"WHERE {self._scope()} AND {cond.format(p=self._mark)} ORDER BY r.seq"
        )
        args: list[Any] = [tenant_id, rtype, *params]
        if limit is not None:
            sql += f" LIMIT {self._mark} OFFSET {self._mark}"
            args += [limit, offset]
        return [_decoded(row, self.dialect) for row in self._fetch(sql, args)]

    def _fetch(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        for attempt in (1, 2):
            conn = self._connection()
            try:
                cur = conn.cursor()
                cur.execute(sql, params)
                return list(cur.fetchall())
            except Exception as exc:
                self._drop()
                if _named(exc, _DATA_ERRORS):
                    raise InvalidValue(f"A value cannot be looked up: {exc}") from exc
                if attempt == 2 or not _named(exc, _CONNECTION_ERRORS):
                    raise
        raise AssertionError("unreachable")

    def _connection(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            fairy = self.engine.raw_connection()
            # Never back into the pool: this connection is switched to autocommit, and a
            # pooled write transaction drawing it would commit statement by statement.
            conn = fairy.driver_connection
            fairy.detach()
            if self.dialect == "postgresql":
                _autocommit_postgres(conn)
            self._local.fairy, self._local.conn = fairy, conn
        return conn

    def _drop(self) -> None:
        fairy = getattr(self._local, "fairy", None)
        self._local.fairy = self._local.conn = None
        if fairy is not None:
            fairy.invalidate()

    def close(self) -> None:
        self._drop()


def _autocommit_postgres(conn: Any) -> None:
    conn.rollback()
    conn.autocommit = True
    set_json_loads(orjson.loads, conn)


_DATA_ERRORS = frozenset({"DataError", "StringDataRightTruncation", "InvalidTextRepresentation"})
_CONNECTION_ERRORS = frozenset({"OperationalError", "InterfaceError"})


def _named(exc: Exception, names: frozenset[str]) -> bool:
    """Whether ``exc`` is a DBAPI error of one of these PEP 249 kinds (any driver)."""
    return any(cls.__name__ in names for cls in type(exc).__mro__)


_READERS: weakref.WeakKeyDictionary[Engine, FastReader] = weakref.WeakKeyDictionary()
_READERS_LOCK = threading.Lock()


def reader_for(engine: Engine) -> FastReader:
    """The one :class:`FastReader` of ``engine``."""
    with _READERS_LOCK:
        reader = _READERS.get(engine)
        if reader is None:
            reader = _READERS[engine] = FastReader(engine)
        return reader


def _decoded(row: Sequence[Any], dialect: str) -> tuple[Any, ...]:
    """Documents and group lists decoded from JSON text where the driver returns text."""
    seq, doc, version, created, modified, rtype, groups = row
    if isinstance(doc, str | bytes):
        doc = orjson.loads(doc)
    if isinstance(groups, str | bytes):
        groups = orjson.loads(groups)
    return (seq, doc, version, stamp(created), stamp(modified), rtype, groups or None)


def stamp(value: Any) -> Any:
    """SQLite stores SQLAlchemy DateTimes as 'YYYY-MM-DD HH:MM:SS.ffffff' text (UTC)."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value
