"""Read and write transactions with the locking each database needs."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DataError, DBAPIError

from scimhub.scim.errors import InvalidValue

T = TypeVar("T")
#: PostgreSQL SQLSTATEs after which the whole transaction may simply be run again.
_TRANSIENT = frozenset({"40P01", "40001"})  # deadlock_detected, serialization_failure


@contextmanager
def read_tx(engine: Engine) -> Iterator[Connection]:
    """A short read transaction (a consistent snapshot on both databases)."""
    with _values_refused(), engine.connect() as conn:
        conn.info["write"] = False
        with conn.begin():
            yield conn


@contextmanager
def write_tx(engine: Engine) -> Iterator[Connection]:
    """A write transaction; on SQLite it takes the write lock up front (BEGIN IMMEDIATE).

    SQLite has one writer. Its busy handler waits for the lock by sleeping in growing steps
    (up to 100 ms each), so threads of one process first queue on a lock of their own: the
    next writer starts the moment the previous one commits.
    """
    with _writer_turn(engine), _values_refused(), engine.connect() as conn:
        conn.info["write"] = True
        try:
            with conn.begin():
                yield conn
        finally:
            conn.info["write"] = False


_WRITERS: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()
_WRITERS_GUARD = threading.Lock()


def _writer_turn(engine: Engine) -> AbstractContextManager[object]:
    if engine.dialect.name != "sqlite":
        return nullcontext()
    with _WRITERS_GUARD:
        return _WRITERS.setdefault(engine, threading.RLock())


@contextmanager
def _values_refused() -> Iterator[None]:
    """A value the database cannot hold (e.g. NUL in PostgreSQL text) is the client's error."""
    try:
        yield
    except DataError as exc:
        raise InvalidValue(f"A value cannot be stored: {exc.orig}") from exc


def retrying(work: Callable[[], T], attempts: int = 3) -> T:
    """Run a write transaction, again if the database aborted it as a deadlock victim."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except DBAPIError as exc:
            if attempt == attempts or getattr(exc.orig, "sqlstate", None) not in _TRANSIENT:
                raise
    raise AssertionError("unreachable")


def custom_plans(conn: Connection) -> None:
    """For the rest of this transaction, PostgreSQL plans each statement for its own values.

    A bulk job runs the same ``col IN (100 values)`` statements hundreds of times; psycopg
    prepares them after five runs and PostgreSQL then switches to a generic plan, which on a
    table that grew since it was last analysed is a sequential scan comparing every row with
    every value: the import of 10,000 users slowed page after page (60 → 240 ms). Custom
    plans use the unique indexes (0.2 ms of planning). Nothing to do on SQLite.
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
