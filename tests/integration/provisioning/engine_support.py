"""The engine's end-to-end test bench: a hub on a fresh database, a target tenant of the
live provider (in the profitco or generic profile), an activated application, a worker.

Each test gets its own hub database (SQLite file or PostgreSQL schema, made by
cli_support.fresh_database, so the `scimhub` script finds it with ``bench.database.env()``):
the worker works for every active application it finds, so a shared database would mix
the tests' work.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from conftest import LiveServer, Tenant, make_tenant
from integration.hub.cli_support import CliDatabase, fresh_database
from scimhub.config import Settings
from scimhub.directory.models import DirectoryUser
from scimhub.hub import Hub, build_hub
from scimhub.provisioning.worker import Worker
from scimhub.storage import migrate

#: The SCIM base path of each provider profile, as the real application spells it.
PATHS = {"generic": "/scim/v2", "profitco": "/app/rest/platform/auth/scim/v2"}
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
FAST = {
    "worker_poll_seconds": 0.05,
    "worker_threads": 2,
    "provisioning_timeout_seconds": 5.0,
    "reconcile_interval_seconds": 3600.0,
}


@dataclass
class Bench:
    """One scenario: ``hub`` provisions application ``app`` into ``target``."""

    hub: Hub
    target: Tenant
    profile: str
    app: str
    database: CliDatabase
    workers: list[Worker] = field(default_factory=list)

    # --- the directory ---------------------------------------------------------------
    def user(self, stem: str = "u", **fields: Any) -> DirectoryUser:
        name = f"{stem}{uuid.uuid4().hex[:8]}@example.com"
        values = {"email": name, "firstname": "Ada", "lastname": stem.title()} | fields
        return self.hub.users.add(username=name, **values)

    def group(self, *members: DirectoryUser, bind: bool = True) -> str:
        name = f"g{uuid.uuid4().hex[:8]}"
        self.hub.groups.add(name=name)
        if members:
            self.hub.groups.add_members(name, [u.id for u in members])
        if bind:
            self.hub.bindings.bind(self.app, [name])
        return name

    # --- the engine --------------------------------------------------------------------
    def start(self) -> Worker:
        worker = self.hub.worker()
        worker.start()
        self.workers.append(worker)
        return worker

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.workers.clear()

    def drain(self, rounds: int = 50) -> None:
        """Run the engine in this thread until nothing is left to do (no worker threads)."""
        worker = self.hub.worker()
        try:
            for _ in range(rounds):
                if not worker.run_once():
                    return
        finally:
            worker.pool.close()

    # --- the target --------------------------------------------------------------------
    def remote(self, username: str) -> dict[str, Any] | None:
        escaped = username.replace("\\", "\\\\").replace('"', '\\"')
        answer = self.target.client.get("/Users", params={"filter": f'userName eq "{escaped}"'})
        answer.raise_for_status()
        found = answer.json().get("Resources", [])
        return found[0] if found else None

    def remote_count(self) -> int:
        answer = self.target.client.get("/Users", params={"count": 0})
        return int(answer.json()["totalResults"])

    def log(self, **filters: Any) -> list[Any]:
        return list(self.hub.log.list(self.app, limit=500, **filters).items)


def wait_until(check: Callable[[], Any], timeout: float = 10.0, every: float = 0.05) -> Any:
    """``check()``'s first truthy value; AssertionError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout} s: {check}")
        time.sleep(every)


@contextmanager
def bench(
    backend: str,
    tmp_path: Path,
    engine: Engine,
    provider: LiveServer,
    profile: str,
    options: dict[str, bool] | None = None,
    **settings: Any,
) -> Iterator[Bench]:
    """A hub with an application activated against a fresh ``profile`` tenant."""
    target = make_tenant(engine, provider, profile)
    base_url = provider.url + PATHS[profile]
    try:
        with bench_for(backend, tmp_path, target, base_url, profile, options, **settings) as made:
            yield made
    finally:
        target.client.close()


@contextmanager
def bench_for(
    backend: str,
    tmp_path: Path,
    target: Tenant,
    base_url: str,
    profile: str,
    options: dict[str, bool] | None = None,
    **settings: Any,
) -> Iterator[Bench]:
    """A hub with an application activated against ``base_url`` (``target``'s tenant, maybe
    through a proxy), on a fresh database of ``backend``."""
    with fresh_database(backend, tmp_path) as database:
        hub_engine = database.engine()
        migrate.upgrade(hub_engine)
        config = Settings(data_dir=tmp_path, **(FAST | settings))
        hub = build_hub(config, hub_engine)
        label = f"app-{uuid.uuid4().hex[:6]}"
        catalog = "profitco" if profile == "profitco" else "scim2"
        hub.applications.create(catalog_key=catalog, label=label)
        hub.idm.configure(label, base_url=base_url, token=target.token, options=options)
        hub.idm.activate(label)
        scenario = Bench(hub, target, profile, label, database)
        try:
            yield scenario
        finally:
            scenario.stop()
            hub_engine.dispose()
