"""The log's reads use its indexes: a page costs about ``limit`` rows whatever the log's size.

Checked on SQLite's plan for the statements ``ProvisioningLog.list`` really executes
(captured from the engine), so a change to the query that loses an index fails here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, event

from scimhub.applications.apps import Applications
from scimhub.provisioning.log import ProvisioningLog
from scimhub.storage import migrate
from scimhub.storage.db import make_engine


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path_factory.mktemp('log') / 'scimhub.db'}")
    migrate.upgrade(eng)
    yield eng
    eng.dispose()


def plan_of(engine: Engine, work: Callable[[], object]) -> str:
    """SQLite's plan for the last statement on the log that ``work`` runs."""
    seen: list[tuple[str, Any]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    statement, parameters = next(s for s in reversed(seen) if "provisioning_log" in s[0])
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
    return " | ".join(str(r[-1]) for r in rows)


@pytest.mark.parametrize(
    ("filters", "index"),
    [
        ({}, "ix_provisioning_log_app"),
        ({"user": "Ann"}, "ix_provisioning_log_user"),
        ({"status": "error"}, "ix_provisioning_log_status"),
        ({"action": "create"}, "ix_provisioning_log_app"),
        ({"after": "WyI0MiJd"}, "ix_provisioning_log_app"),  # after id 42
    ],
)
def test_a_page_is_an_index_search_without_a_sort(engine, filters, index):
    app = Applications(engine).create(catalog_key="profitco", label="Planned")
    plan = plan_of(engine, lambda: ProvisioningLog(engine).list(app.id, **filters))
    assert f"SEARCH provisioning_log USING INDEX {index}" in plan, plan
    assert "TEMP B-TREE" not in plan, plan  # newest first is the index order, read backwards


def test_prune_finds_old_entries_by_their_time(engine):
    old = datetime(2000, 1, 1, tzinfo=UTC)
    plan = plan_of(engine, lambda: ProvisioningLog(engine).prune(old))
    assert "USING COVERING INDEX ix_provisioning_log_at" in plan, plan
