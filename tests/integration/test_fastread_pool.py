"""The fast read path's per-thread connections never leak into SQLAlchemy's pool.

Regression: the per-thread connection is put in autocommit mode on PostgreSQL. When a
thread that used it ended, the connection went back to the pool still in autocommit, and
the next write transaction that drew it committed each statement at once, so a failed
write left half of itself behind (seen as a flaky isolation test on CI).
"""

from __future__ import annotations

import gc
import threading
import uuid

import pytest
from sqlalchemy import text

from conftest import PG_URL, REQUIRE_PG
from scimhub.storage.db import make_engine
from scimhub.storage.fastread import reader_for
from scimhub.storage.transactions import write_tx

PROBE = f"fastread_probe_{uuid.uuid4().hex[:10]}"


@pytest.fixture
def one_connection_pg():
    """A PostgreSQL engine whose pool holds exactly one connection."""
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("SCIMHUB_REQUIRE_POSTGRES=1 but SCIMHUB_TEST_POSTGRES_URL is not set")
        pytest.skip("needs SCIMHUB_TEST_POSTGRES_URL")
    engine = make_engine(PG_URL, pool_size=1, max_overflow=0, pool_timeout=5)
    yield engine
    with engine.begin() as conn:
        conn.execute(text(f"DROP TABLE IF EXISTS {PROBE}"))
    reader_for(engine).close()
    engine.dispose()


def _fast_read_in_a_thread_that_ends(engine) -> None:
    worker = threading.Thread(target=lambda: reader_for(engine)._fetch("SELECT 1", ()))
    worker.start()
    worker.join()
    gc.collect()


@pytest.mark.postgres
def test_a_write_after_a_fast_reader_thread_ended_is_still_one_transaction(one_connection_pg):
    engine = one_connection_pg
    _fast_read_in_a_thread_that_ends(engine)
    with pytest.raises(RuntimeError), write_tx(engine) as conn:
        conn.execute(text(f"CREATE TABLE {PROBE} (v int)"))
        raise RuntimeError("the write fails halfway")
    with engine.connect() as conn:
        found = conn.execute(text(f"SELECT to_regclass('{PROBE}')")).scalar()
        assert conn.connection.driver_connection.autocommit is False
    assert found is None, "the failed write was committed: the connection was in autocommit"


@pytest.mark.postgres
def test_the_fast_reader_does_not_hold_a_pool_slot(one_connection_pg):
    engine = one_connection_pg
    reader_for(engine)._fetch("SELECT 1", ())
    with engine.connect() as conn:  # would time out if the reader held the only slot
        assert conn.execute(text("SELECT 1")).scalar() == 1
