"""Hub directory benchmark: service latencies at 1k and 100k users, SQLite and PostgreSQL.

It measures the directory's request-path operations in process (no HTTP), so the figures
show what the database work costs and whether it grows with the directory:
a lookup, list pages (first, deep by cursor, by state), searches (common prefix, rare
prefix, no match), a user creation, and group membership changes.

Seeding writes rows straight into ``directory_users`` (5,000 per transaction), checked
against a user created through ``Users.add`` so the shortcut cannot drift.

    .venv/bin/python bench/hub_bench.py                       # 1k and 100k, both databases
    .venv/bin/python bench/hub_bench.py --sizes 1000 --databases sqlite
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, insert, select, text

from scimhub.config import Settings
from scimhub.directory.users import Users
from scimhub.hub import Hub, build_hub
from scimhub.storage import migrate
from scimhub.storage.db import make_engine
from scimhub.storage.hub_tables import directory_users
from scimhub.storage.resources import now_utc

FIRST = ("Ada", "Grace", "Linus", "Mary", "Joan", "Alan", "Barbara", "Ken", "Edsger", "Frances")
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def seed(hub: Hub, n: int) -> None:
    reference = hub.users.add(username="reference@example.com", email="reference@example.com")
    with hub.engine.connect() as conn:
        stored = (
            conn.execute(select(directory_users).where(directory_users.c.id == reference.id))
            .mappings()
            .one()
        )
    assert set(stored) == set(_row(0, now_utc())), "seed rows no longer match the table"
    for start in range(0, n, 5000):
        now = now_utc()
        rows = [_row(i, now) for i in range(start, min(n, start + 5000))]
        with hub.engine.begin() as conn:
            conn.execute(insert(directory_users), rows)
    _analyze(hub.engine)


def _row(i: int, now: object) -> dict[str, object]:
    name = f"user{i:06d}@example.com"
    return {
        "id": str(uuid.uuid4()),
        "username": name,
        "username_ci": name,
        "email": name,
        "email_ci": name,
        "firstname": FIRST[i % len(FIRST)],
        "lastname": f"Last{i:06d}",
        "firstname_ci": FIRST[i % len(FIRST)].lower(),
        "lastname_ci": f"last{i:06d}",
        "department": "Engineering",
        "job_title": "Engineer",
        "state": "SUSPENDED" if i % 100 == 0 else "ACTIVATED",
        "created": now,
        "updated": now,
    }


def _analyze(engine: Engine) -> None:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))
            conn.commit()


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def scenarios(hub: Hub, n: int) -> dict[str, Callable[[], object]]:
    users: Users = hub.users
    middle = users.list(q=f"user{n // 2:06d}", limit=1).next_cursor
    middle = middle or users.list(limit=1).next_cursor
    group = hub.groups.add(name=f"bench-{uuid.uuid4().hex[:6]}")
    members = [f"user{i:06d}@example.com" for i in range(0, min(n, 1000))]
    counter = iter(range(10**9))
    return {
        "get by username": lambda: users.get(f"user{n // 3:06d}@example.com"),
        "list first page (50)": lambda: users.list(limit=50),
        "list page after a cursor": lambda: users.list(limit=50, after=middle),
        "list state=SUSPENDED": lambda: users.list(state="SUSPENDED", limit=50),
        "search common prefix 'user0'": lambda: users.list(q="user0", limit=50),
        "search rare lastname": lambda: users.list(q=f"last{n - 7:06d}", limit=50),
        "search without match": lambda: users.list(q="zzz", limit=50),
        "add a user": lambda: users.add(
            username=f"new{next(counter)}-{uuid.uuid4().hex[:6]}@example.com",
            email=f"n{uuid.uuid4().hex}@example.com",
        ),
        "add+remove 1000 members": lambda: (
            hub.groups.add_members(group.id, members),
            hub.groups.remove_members(group.id, members),
        ),
        "members page (50)": lambda: hub.groups.members(group.id, limit=50),
    }


def run(database: str, n: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine, schema = _engine(database, Path(tmp))
        try:
            migrate.upgrade(engine)
            hub = build_hub(Settings(data_dir=Path(tmp)), engine)
            started = time.perf_counter()
            seed(hub, n)
            print(f"\n{database}, {n:,} users (seeded in {time.perf_counter() - started:.1f} s)")
            print(f"  {'operation':32} {'p50 ms':>9} {'p95 ms':>9}")
            for name, fn in scenarios(hub, n).items():
                p50, p95 = timed(fn, repeat if "1000" not in name else max(3, repeat // 10))
                print(f"  {name:32} {p50:9.2f} {p95:9.2f}")
        finally:
            _drop(engine, schema)


def _engine(database: str, tmp: Path) -> tuple[Engine, str | None]:
    if database == "sqlite":
        return make_engine(f"sqlite:///{tmp / 'hub.db'}"), None
    schema = f"hub_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"}), schema


def _drop(engine: Engine, schema: str | None) -> None:
    engine.dispose()
    if schema:
        admin = make_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    for database in args.databases.split(","):
        for n in (int(s) for s in args.sizes.split(",")):
            run(database, n, args.repeat)


if __name__ == "__main__":
    main()
