"""Import benchmark: importing an application's users as a job, against simply listing them.

The provider runs as its own process (`scimhub provider serve`, its own SQLite file, one
tenant in the ``profitco`` profile) pinned to CPU 0, as in bench/provisioning_bench.py; N
users are POSTed into it first by 6 keep-alive threads (seeding, not measured). The hub
(SQLite, or PostgreSQL with ``--postgres``) runs in this process, pinned to CPU 1, with the
application Profit.co configured and activated against the provider. PostgreSQL's own
processes are not pinned.

  listing   every page of /Users walked with the import's page size through the hub's own
            SCIM connector (``importing.listing.walk``): the floor an import cannot beat.
  import    ``hub.imports.start(app, all_new=True)`` then ``hub.imports.run(job.id)`` in this
            process, on a fresh hub database each time: all N users are New and created.
            Also shown: the time spent inside the listing requests, the rest (the hub's own
            work: matching, creating users and links, checkpoints), and SQL statements.
            And a page's time (read, match, apply, checkpoint) in the first and the last
            tenth of the import: whether the work grows as the directory fills.
  half      the same with every other user already in the directory (N/2 created).

Each measurement runs ``--repeat`` times; the table shows the best and the median.

    .venv/bin/python bench/import_bench.py                     # 10,000 users, SQLite hub
    .venv/bin/python bench/import_bench.py --postgres --repeat 3
    .venv/bin/python bench/import_bench.py --users 2000 --page-size 200 --no-half
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from hub_bench import _analyze, _row
from provisioning_bench import Target, free_port, pin, raw_rate
from sqlalchemy import Engine, event, func, insert, select, text

from scimhub.cli.demo import PROFITCO_PATH, start_provider
from scimhub.config import Settings
from scimhub.hub import Hub, build_hub
from scimhub.provisioning.connector import ListPage
from scimhub.provisioning.importing.listing import walk
from scimhub.provisioning.scim_connector import ScimConnector
from scimhub.storage import migrate
from scimhub.storage.db import make_engine
from scimhub.storage.hub_tables import directory_users
from scimhub.storage.resources import now_utc
from scimhub.storage.tenants import TenantStore

HOST = "127.0.0.1"
PROVIDER_CPU, HUB_CPU = 0, 1
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
APP = "bench"
SEED_THREADS = 6


@dataclass
class Samples:
    """Seconds of each repetition of one measurement, and what it moved."""

    users: int = 0
    seconds: list[float] = field(default_factory=list)
    listing: list[float] = field(default_factory=list)  #: inside the listing requests
    statements: list[int] = field(default_factory=list)
    pages: list[list[float]] = field(default_factory=list)  #: seconds of each page

    @property
    def best(self) -> float:
        return min(self.seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


@contextmanager
def provider(tmp: Path, port: int, pinned: bool) -> Iterator[tuple[str, str]]:
    """The provider in a child process with one profitco tenant: (base URL, token)."""
    data = tmp / "provider"
    data.mkdir()
    engine = make_engine(Settings(data_dir=data).resolved_database_url)
    migrate.upgrade(engine)
    store = TenantStore(engine)
    store.create_tenant("imported", "profitco")
    token = store.create_token("imported")[0]
    engine.dispose()
    os.environ["SCIMHUB_DATA_DIR"] = str(data)  # the child's settings
    child = start_provider(HOST, port)
    if pinned:
        pin(child.pid, PROVIDER_CPU)
    try:
        yield f"http://{HOST}:{port}{PROFITCO_PATH}", token
    finally:
        child.terminate()
        child.wait(10)
        del os.environ["SCIMHUB_DATA_DIR"]


@contextmanager
def fresh_hub(tmp: Path, pg_url: str | None, page_size: int, url: str, token: str) -> Iterator[Hub]:
    """A hub on a new database (a SQLite file, or a new PostgreSQL schema dropped after),
    with the application Profit.co configured and activated against the provider."""
    name = f"import_bench_{uuid.uuid4().hex[:8]}"
    if pg_url is None:
        engine = make_engine(f"sqlite:///{tmp / (name + '.db')}")
    else:
        admin = make_engine(pg_url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
        admin.dispose()
        engine = make_engine(pg_url, connect_args={"options": f"-csearch_path={name}"})
    try:
        migrate.upgrade(engine)
        data = tmp / name
        data.mkdir()
        hub = build_hub(Settings(data_dir=data, import_page_size=page_size), engine)
        hub.applications.create(catalog_key="profitco", label=APP)
        hub.idm.activate(APP, base_url=url, token=token)
        yield hub
    finally:
        engine.dispose()
        if pg_url is not None:
            admin = make_engine(pg_url)
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
            admin.dispose()


def list_all(url: str, token: str, page_size: int) -> tuple[int, float]:
    """(users listed, seconds) walking every page as the import's runner does."""
    listed = 0
    started = time.perf_counter()
    with ScimConnector(url, token, timeout=10.0, max_connections=1) as connector:
        for page in walk(connector, 1, page_size):
            listed += len(page.page.resources)
    return listed, time.perf_counter() - started


@contextmanager
def counting(engine: Engine) -> Iterator[Callable[[], tuple[int, float]]]:
    """(SQL statements run on ``engine``, seconds inside ``ScimConnector.list_page``) so far."""
    statements, listing = [0], [0.0]
    original = ScimConnector.list_page

    def count(*_: object) -> None:
        statements[0] += 1

    def timed_page(self: ScimConnector, start_index: int, count: int) -> ListPage:
        started = time.perf_counter()
        try:
            return original(self, start_index, count)
        finally:
            listing[0] += time.perf_counter() - started

    event.listen(engine, "before_cursor_execute", count)
    ScimConnector.list_page = timed_page  # type: ignore[method-assign]
    try:
        yield lambda: (statements[0], listing[0])
    finally:
        ScimConnector.list_page = original  # type: ignore[method-assign]
        event.remove(engine, "before_cursor_execute", count)


def seed_directory(hub: Hub, n: int) -> int:
    """Every other provider user (user 0, 2, 4, ...) straight into the directory."""
    now = now_utc()
    rows = [_row(i, now) | {"state": "ACTIVATED"} for i in range(0, n, 2)]
    with hub.engine.begin() as conn:
        for first in range(0, len(rows), 5000):
            conn.execute(insert(directory_users), rows[first : first + 5000])
    _analyze(hub.engine)
    return len(rows)


def import_all(hub: Hub, n: int, in_directory: int, into: Samples) -> None:
    """Time one import of every New user as a job; check that all were created."""
    pages: list[float] = []
    last = [0.0]

    def page_done(_: object) -> None:
        now = time.perf_counter()
        pages.append(now - last[0])
        last[0] = now

    with counting(hub.engine) as so_far:
        started = time.perf_counter()
        begun = hub.imports.start(APP, all_new=True, requested_by="bench")
        assert begun.job is not None, "expected a background job (100 users or more)"
        last[0] = time.perf_counter()
        job = hub.imports.run(begun.job.id, "bench", page_done)
        seconds = time.perf_counter() - started
        statements, listing = so_far()
    assert job is not None and job.state == "completed", job
    expected = n - in_directory
    assert (job.created, job.failed) == (expected, 0), job
    with hub.engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(directory_users)).scalar_one()
    assert count == n, f"{count} directory users after the import, not {n}"
    into.users = expected
    into.seconds.append(seconds)
    into.listing.append(listing)
    into.statements.append(statements)
    into.pages.append(pages)


def run(opts: argparse.Namespace, pinned: bool) -> None:
    n, size = opts.users, opts.page_size
    pg_url = opts.pg_url if opts.postgres else None
    database = "PostgreSQL" if pg_url else "SQLite"
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        with provider(tmp, opts.port or free_port(), pinned) as (url, token):
            started = time.perf_counter()
            rate = raw_rate(Target(url, token, token), n, SEED_THREADS, prefix="user")
            print(
                f"seeded {n:,} users into the provider in {time.perf_counter() - started:.1f} s "
                f"({rate:,.0f} users/s; not measured)"
            )
            listing, full, half = Samples(n), Samples(), Samples()
            for _ in range(opts.repeat):
                listed, seconds = list_all(url, token, size)
                assert listed == n, f"listed {listed} users, not {n}"
                listing.seconds.append(seconds)
                with fresh_hub(tmp, pg_url, size, url, token) as hub:
                    import_all(hub, n, 0, full)
                if not opts.no_half:
                    with fresh_hub(tmp, pg_url, size, url, token) as hub:
                        import_all(hub, n, seed_directory(hub, n), half)
    show(database, opts, pinned, listing, full, half)


def show(
    database: str,
    opts: argparse.Namespace,
    pinned: bool,
    listing: Samples,
    full: Samples,
    half: Samples,
) -> None:
    where = "provider on CPU 0, hub on CPU 1" if pinned else "not pinned"
    print(
        f"\n== hub on {database}; {opts.users:,} users, pages of {opts.page_size}, "
        f"{opts.repeat} run(s) each; {where}"
    )
    print(f"{'':38} {'best':>8} {'median':>8} {'users/s':>9} {'vs listing':>11}")

    def line(label: str, s: Samples, extra: str = "") -> None:
        ratio = f"{s.best / listing.best:10.2f}x" if s is not listing else f"{'1.00x':>11}"
        print(f"{label:38} {s.best:7.2f}s {s.median:7.2f}s {s.users / s.best:9,.0f} {ratio}{extra}")

    line(f"listing {opts.users:,} users", listing)
    for label, s in ((f"import, all {full.users:,} New", full), ("import, half already in", half)):
        if not s.seconds:
            continue
        k = s.seconds.index(s.best)
        inside, hub_work = s.listing[k], s.seconds[k] - s.listing[k]
        line(label, s)
        print(
            f"    of which listing requests {inside:6.2f}s, hub work {hub_work:6.2f}s "
            f"({hub_work / max(s.users, 1) * 1e6:,.0f} us/user created); "
            f"{s.statements[k] / max(s.users, 1):.1f} SQL statements/user"
        )
        pages, tenth = s.pages[k], max(1, len(s.pages[k]) // 10)
        first, final = sum(pages[:tenth]) / tenth, sum(pages[-tenth:]) / tenth
        print(
            f"    a page: {first * 1000:,.0f} ms in the first tenth of the import, "
            f"{final * 1000:,.0f} ms in the last ({len(pages)} pages)"
        )
    print(f"ratio import / listing (best): {full.best / listing.best:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000, help="users in the application")
    parser.add_argument("--page-size", type=int, default=100, help="users per listed page")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each measurement")
    parser.add_argument("--postgres", action="store_true", help="the hub on PostgreSQL")
    parser.add_argument("--pg-url", default=PG_URL, help="a fresh schema is made there")
    parser.add_argument("--no-half", action="store_true", help="skip the half-imported run")
    parser.add_argument("--port", type=int, default=0, help="the provider's (default: free)")
    parser.add_argument("--no-pin", action="store_true", help="let both sides share the CPUs")
    opts = parser.parse_args()
    pinned = (os.cpu_count() or 1) >= 2 and not opts.no_pin
    if pinned:
        os.sched_setaffinity(0, {HUB_CPU})  # threads started from now on inherit it
    run(opts, pinned)


if __name__ == "__main__":
    main()
