"""PostgreSQL: two `scimhub worker` processes share one application's backlog, with no
duplicate creates and no lost updates.

The workers are the real console script, run twice on the bench's fresh schema
(``SCIMHUB_DATABASE_URL`` with its search_path) and data directory (the secret key that
opens the stored token). This process is the admin: it binds 300 users and keeps editing
their job titles while the workers run. Who did the work is read from the links' leases
while they are held (``lease_owner`` is ``host:pid:…``), sampled from a thread of this
process.
"""

from __future__ import annotations

import signal
import subprocess
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from conftest import LiveServer, Tenant
from integration.hub.cli_support import CliDatabase
from integration.test_cli import scimhub_script
from scimhub.storage.provisioning_tables import provisioning_links as links
from scimhub.storage.provisioning_tables import provisioning_log as log_table

from .engine_support import Bench, bench, wait_until

USERS = 300
WORKER_ENV = {
    "SCIMHUB_WORKER_THREADS": "2",
    "SCIMHUB_WORKER_BATCH_SIZE": "10",
    "SCIMHUB_WORKER_POLL_SECONDS": "0.05",
    "SCIMHUB_RECONCILE_INTERVAL_SECONDS": "3600",
}


@pytest.fixture
def s(backend: str, tmp_path: Path, engine: Engine, provider: LiveServer) -> Iterator[Bench]:
    """A profitco application on a fresh PostgreSQL schema the worker processes can reach."""
    if backend != "postgresql":
        pytest.skip("several worker processes share one PostgreSQL; SQLite has one writer")
    with bench(backend, tmp_path, engine, provider, "profitco") as made:
        yield made


@contextmanager
def worker_process(database: CliDatabase, name: str) -> Iterator[subprocess.Popen[str]]:
    """`scimhub worker`, its stderr in ``<data_dir>/<name>.log``; killed if still running."""
    path = database.data_dir / f"{name}.log"
    with path.open("w") as stderr:
        proc = subprocess.Popen(
            [str(scimhub_script()), "worker"],
            env=database.env() | WORKER_ENV,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            text=True,
        )
    try:
        wait_until(lambda: "running" in path.read_text() or proc.poll() is not None, 30)
        assert proc.poll() is None, path.read_text()
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


class LeaseSampler:
    """The owners of held leases, sampled every few milliseconds until stopped."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.owners: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> LeaseSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def pids(self) -> set[int]:
        return {int(owner.split(":")[1]) for owner in self.owners}

    def _run(self) -> None:
        query = select(links.c.lease_owner).where(links.c.lease_owner.is_not(None)).distinct()
        while not self._stop.wait(0.005):
            with self.engine.connect() as conn:
                self.owners.update(conn.execute(query).scalars())


def remote_users(tenant: Tenant) -> list[dict[str, Any]]:
    """Every user of the tenant, read directly from the provider a page at a time."""
    found: list[dict[str, Any]] = []
    while True:
        params = {"startIndex": len(found) + 1, "count": 200}
        page = tenant.client.get("/Users", params=params).raise_for_status().json()
        found += page.get("Resources", [])
        if len(found) >= page["totalResults"] or not page.get("Resources"):
            return found


def log_counts(s: Bench, app_id: str) -> tuple[int, int]:
    """(successful creates, answers 409) in the application's provisioning log."""
    mine = log_table.c.app_id == app_id
    created = select(func.count()).where(
        mine, log_table.c.action == "create", log_table.c.status == "ok"
    )
    conflicts = select(func.count()).where(mine, log_table.c.http_status == 409)
    with s.hub.engine.connect() as conn:
        return conn.execute(created).scalar_one(), conn.execute(conflicts).scalar_one()


def stop(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGTERM)
    return proc.wait(20)


def test_two_worker_processes_share_a_backlog_without_duplicates_or_lost_updates(
    s: Bench,
) -> None:
    users = [s.user("w", job_title="v0") for _ in range(USERS)]
    titles = {u.username: "v0" for u in users}
    with (
        worker_process(s.database, "first") as first,
        worker_process(s.database, "second") as second,
        LeaseSampler(s.hub.engine) as sampler,
    ):
        s.group(*users)
        for round_ in (1, 2):  # while the workers create and update
            for n, user in enumerate(users[round_ :: 2 + round_]):
                s.hub.users.edit(user.id, job_title=f"v{round_}-{n}")
                titles[user.username] = f"v{round_}-{n}"
        wait_until(lambda: s.hub.provisioning.status(s.app).pending == 0, timeout=60)
        codes = (stop(first), stop(second))
    assert codes == (0, 0), "SIGTERM stops a worker cleanly"
    for name in ("first", "second"):
        assert "Traceback" not in (s.database.data_dir / f"{name}.log").read_text()
    assert sampler.pids() == {first.pid, second.pid}, sampler.owners

    remote = remote_users(s.target)
    names = Counter(r["userName"].casefold() for r in remote)
    assert len(remote) == USERS and max(names.values()) == 1, "every user exists exactly once"
    assert {r["userName"]: r.get("title") for r in remote} == titles, "no update was lost"
    status = s.hub.provisioning.status(s.app)
    assert (status.provisioned, status.errors) == (USERS, 0)
    assert log_counts(s, status.app_id) == (USERS, 0), "one create each, none met a 409"
