"""Provisioning engine benchmark: throughput against the provider's raw POST rate, and the
propagation latency of one change as the directory grows.

The provider runs as its own process (`scimhub provider serve`, its own SQLite file), as a
real application would, pinned to CPU 0; the hub (its database SQLite or PostgreSQL) and
the raw client run in this process, pinned to CPU 1 (as bench/provider_bench.py pins its
server and load generator), so that neither side takes the other's CPU and the figures
compare the engine's client with a plain client, not their CPU appetite (`--no-pin` to
share the CPUs; PostgreSQL's own processes are never pinned).

  raw         N users POSTed straight to the provider by T keep-alive client threads
              (the same body the engine sends): the provider's raw create rate.
  throughput  N directory users in a group; binding the group to the activated
              application marks them; a Worker with T threads provisions them. Time from
              the bind to every link provisioned (and the provider holding N users).
  incremental one in-scope user's job title changed through the directory service while
              the worker runs; time until the provider answers the new title (p50/p95),
              first with N users in the directory, then with D. And the engine's work for
              one change, measured on a synchronous pass: SQL statements, target requests,
              and on PostgreSQL the rows read and sequential scans (pg_stat_user_tables).

    .venv/bin/python bench/provisioning_bench.py                 # 10k / 100k, both databases
    .venv/bin/python bench/provisioning_bench.py --users 2000 --directory 20000 --databases sqlite
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import socket
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from hub_bench import _analyze, _drop, _engine, _row
from provider_bench import descendants
from sqlalchemy import Engine, event, func, insert, select, text

from scimhub.applications.catalog import PROFITCO
from scimhub.cli.demo import PROFITCO_PATH, start_provider
from scimhub.config import Settings
from scimhub.directory.models import DirectoryUser, UserState
from scimhub.hub import Hub, build_hub
from scimhub.provisioning.attributes import desired_values, resource_of
from scimhub.storage import migrate
from scimhub.storage.db import make_engine
from scimhub.storage.hub_tables import directory_memberships, directory_users
from scimhub.storage.provisioning_tables import provisioning_links, provisioning_log
from scimhub.storage.resources import now_utc
from scimhub.storage.tenants import TenantStore

HOST = "127.0.0.1"
PROVIDER_CPU, HUB_CPU = 0, 1
PINNED = (os.cpu_count() or 1) >= 2


def pin(pid: int, cpu: int) -> None:
    """Every thread of ``pid`` and of its child processes onto ``cpu``."""
    for process in descendants(pid):
        for task in Path(f"/proc/{process}/task").glob("*"):
            with contextlib.suppress(OSError):
                os.sched_setaffinity(int(task.name), {cpu})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Target:
    url: str
    raw_token: str
    engine_token: str


@contextmanager
def provider(tmp: Path, port: int) -> Iterator[Target]:
    """The provider in a child process with two profitco tenants: raw and engine."""
    data = tmp / "provider"
    data.mkdir()
    settings = Settings(data_dir=data)
    engine = make_engine(settings.resolved_database_url)
    migrate.upgrade(engine)
    store = TenantStore(engine)
    tokens = []
    for name in ("raw", "engine"):
        store.create_tenant(name, "profitco")
        tokens.append(store.create_token(name)[0])
    engine.dispose()
    os.environ["SCIMHUB_DATA_DIR"] = str(data)  # the child's settings
    child = start_provider(HOST, port)
    if PINNED:
        pin(child.pid, PROVIDER_CPU)
    try:
        yield Target(f"http://{HOST}:{port}{PROFITCO_PATH}", *tokens)
    finally:
        child.terminate()
        child.wait(10)
        del os.environ["SCIMHUB_DATA_DIR"]


def bodies(n: int, prefix: str) -> list[dict[str, Any]]:
    """What the engine would POST for users 0..n-1 (the seeded rows, other userNames)."""
    now = now_utc()
    fields = DirectoryUser.__dataclass_fields__
    out = []
    for i in range(n):
        row = _row(i, now) | {
            "username": f"{prefix}{i:06d}@example.com",
            "state": UserState.ACTIVATED,
        }
        user = DirectoryUser(**{k: v for k, v in row.items() if k in fields})
        values = desired_values(user, PROFITCO.mapping, active=True)
        out.append(resource_of(values, PROFITCO.mapping))
    return out


def raw_rate(target: Target, n: int, threads: int, prefix: str = "raw") -> float:
    """Users per second the provider creates for T plain keep-alive clients."""
    work = iter(bodies(n, prefix))
    lock = threading.Lock()
    headers = {
        "Authorization": f"Bearer {target.raw_token}",
        "Content-Type": "application/scim+json",
    }

    def post_all() -> None:
        with httpx.Client(base_url=target.url, headers=headers, timeout=30) as client:
            while True:
                with lock:
                    body = next(work, None)
                if body is None:
                    return
                answer = client.post("/Users", json=body)
                assert answer.status_code == 201, answer.text

    started = time.perf_counter()
    pool = [threading.Thread(target=post_all) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return n / (time.perf_counter() - started)


def seed_directory(hub: Hub, start: int, stop: int, group_id: str | None) -> None:
    """Rows straight into the directory (as bench/hub_bench.py), members of ``group_id``."""
    for first in range(start, stop, 5000):
        now = now_utc()
        rows = [
            _row(i, now) | {"state": "ACTIVATED"} for i in range(first, min(stop, first + 5000))
        ]
        with hub.engine.begin() as conn:
            conn.execute(insert(directory_users), rows)
            if group_id is not None:
                links = [{"group_id": group_id, "user_id": r["id"], "created": now} for r in rows]
                conn.execute(insert(directory_memberships), links)
    _analyze(hub.engine)


def provisioned(hub: Hub) -> int:
    query = select(func.count()).where(provisioning_links.c.remote_state == "active")
    with hub.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def throughput(hub: Hub, app: str, group: str, n: int) -> tuple[float, float]:
    """(seconds to mark N links by binding, users provisioned per second)."""
    started = time.perf_counter()
    hub.bindings.bind(app, [group])
    marked = time.perf_counter() - started
    worker = hub.worker()
    worker.start()
    try:
        while provisioned(hub) < n:
            time.sleep(0.05)
    finally:
        worker.stop()
    return marked, n / (time.perf_counter() - started)


def propagation(hub: Hub, target: Target, changes: int, n: int) -> list[float]:
    """Seconds from each edit to the provider answering the new title."""
    client = httpx.Client(
        base_url=target.url, headers={"Authorization": f"Bearer {target.engine_token}"}
    )
    remote_ids = _remote_ids(hub)
    worker = hub.worker()
    worker.start()
    samples = []
    try:
        for _k in range(changes):
            i = random.randrange(n)
            title = f"Title {uuid.uuid4().hex[:8]}"
            started = time.perf_counter()
            hub.users.edit(f"user{i:06d}@example.com", job_title=title)
            while client.get(f"/Users/{remote_ids[i]}").json().get("title") != title:
                time.sleep(0.005)
            samples.append(time.perf_counter() - started)
    finally:
        worker.stop()
        client.close()
    return samples


def _remote_ids(hub: Hub) -> dict[int, str]:
    query = select(provisioning_links.c.username, provisioning_links.c.remote_id)
    with hub.engine.connect() as conn:
        return {int(u[4:10]): r for u, r in conn.execute(query)}


def work_of_one_change(hub: Hub, n: int) -> dict[str, int]:
    """One edit (with its dirty mark) and one synchronous engine pass: SQL statements,
    requests to the target, and on PostgreSQL the rows read and sequential scans."""
    statements = [0]

    def count(*_: Any) -> None:
        statements[0] += 1

    worker = hub.worker()
    before_log = _log_count(hub)
    before = _pg_reads(hub.engine)
    event.listen(hub.engine, "before_cursor_execute", count)
    try:
        hub.users.edit(f"user{random.randrange(n):06d}@example.com", job_title=uuid.uuid4().hex)
        worker.run_once()
    finally:
        event.remove(hub.engine, "before_cursor_execute", count)
        worker.pool.close()
    after = _pg_reads(hub.engine)
    work = {"sql statements": statements[0], "target requests": _log_count(hub) - before_log}
    if before is not None and after is not None:
        work["rows read (PG)"] = after[0] - before[0]
        scanned = {t: n - before[1].get(t, 0) for t, n in after[1].items()}
        work["sequential scans (PG)"] = sum(scanned.values())
        print("  sequential scans by table:", {t: n for t, n in scanned.items() if n})
    return work


def _log_count(hub: Hub) -> int:
    with hub.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(provisioning_log)).scalar_one())


def _pg_reads(engine: Engine) -> tuple[int, dict[str, int]] | None:
    """Rows read and sequential scans so far in this schema (PostgreSQL's statistics).

    Backends flush their counters when they end, so the pool is closed first."""
    if engine.dialect.name != "postgresql":
        return None
    engine.dispose()
    time.sleep(0.5)
    query = text(
        "SELECT relname, seq_tup_read + coalesce(idx_tup_fetch, 0), seq_scan "
        "FROM pg_stat_user_tables WHERE schemaname = current_schema()"
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    engine.dispose()
    time.sleep(0.5)
    return sum(int(r[1]) for r in rows), {r[0]: int(r[2]) for r in rows}


def run(database: str, opts: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        engine, schema = _engine(database, tmp)
        try:
            with provider(tmp, opts.port or free_port()) as target:
                _measure(database, engine, target, tmp, opts)
        finally:
            _drop(engine, schema)


def _measure(
    database: str, engine: Engine, target: Target, tmp: Path, opts: argparse.Namespace
) -> None:
    n, d, threads = opts.users, opts.directory, opts.threads
    migrate.upgrade(engine)
    settings = Settings(data_dir=tmp, worker_threads=threads, worker_poll_seconds=0.05)
    hub = build_hub(settings, engine)
    print(f"\n== hub on {database}; provider: own process, SQLite; {threads} threads each side")
    raw = raw_rate(target, n, threads)
    print(f"raw POST /Users, before   {n:>7,} users  {raw:8.0f} users/s")
    group = hub.groups.add(name="bench")
    seed_directory(hub, 0, n, group.id)
    hub.applications.create(catalog_key="profitco", label="bench")
    hub.idm.activate("bench", base_url=target.url, token=target.engine_token)
    marked, rate = throughput(hub, "bench", "bench", n)
    again = raw_rate(target, n, threads, "again")
    print(f"raw POST /Users, after    {n:>7,} users  {again:8.0f} users/s")
    raw = (raw + again) / 2
    share = f"{rate / raw:.0%} of raw (mean)"
    print(f"engine (bind -> provider) {n:>7,} users  {rate:8.0f} users/s  = {share}")
    print(f"  (binding the group marked {n:,} links in {marked * 1000:.0f} ms)")
    for size in (n, d):
        if size > n:
            seed_directory(hub, n, size, None)
        samples = sorted(propagation(hub, target, opts.changes, n))
        p50 = statistics.median(samples) * 1000
        p95 = samples[max(0, int(len(samples) * 0.95) - 1)] * 1000
        work = work_of_one_change(hub, n)
        shown = ", ".join(f"{k} {v}" for k, v in work.items())
        print(
            f"one change, {size:>7,} directory users: p50 {p50:6.0f} ms  p95 {p95:6.0f} ms"
            f"  max {samples[-1] * 1000:6.0f} ms;  work: {shown}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000, help="users bound and provisioned")
    parser.add_argument("--directory", type=int, default=100_000, help="directory size at the end")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--threads", type=int, default=6, help="worker threads = raw client threads"
    )
    parser.add_argument("--changes", type=int, default=40, help="changes timed per directory size")
    parser.add_argument("--port", type=int, default=0, help="the provider's (default: free)")
    parser.add_argument("--no-pin", action="store_true", help="let both sides share the CPUs")
    opts = parser.parse_args()
    global PINNED  # noqa: PLW0603  (one switch for the whole run)
    PINNED = PINNED and not opts.no_pin
    if PINNED:
        os.sched_setaffinity(0, {HUB_CPU})  # threads started from now on inherit it
    print(f"CPU pinning: {'provider on 0, hub and raw client on 1' if PINNED else 'off'}")
    for database in opts.databases.split(","):
        run(database, opts)


if __name__ == "__main__":
    main()
