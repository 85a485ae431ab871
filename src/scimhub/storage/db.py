"""Engine creation: SQLite (WAL, foreign keys) by default, PostgreSQL via psycopg 3."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` with the pragmas and JSON codecs we rely on."""
    parsed = make_url(url)
    options: dict[str, Any] = {
        "json_serializer": _json_dumps,
        "json_deserializer": orjson.loads,
        **kwargs,
    }
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        options.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **options)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    options.setdefault("pool_size", 10)
    options.setdefault("pool_pre_ping", True)
    return create_engine(url, **options)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Python's sqlite3 opens transactions itself; we issue BEGIN explicitly instead.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()
    # SQLite's lower() folds ASCII only; SCIM's case-insensitive compare is Unicode-wide.
    dbapi_conn.create_function("lower", 1, _lower, deterministic=True)


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _sqlite_begin_immediate(conn: Any) -> None:
    # Take the write lock at BEGIN so concurrent writers queue instead of failing to upgrade.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("write") else "BEGIN")


def upsert_insert(conn: Connection, table: Table) -> Any:
    """The INSERT of ``conn``'s dialect, the one with ``on_conflict_do_*`` (both databases
    spell ``ON CONFLICT`` alike; SQLAlchemy keeps the constructs per dialect)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)
