"""Benchmark of the SCIM provider: throughput, latency and memory against a ceiling.

For each database (SQLite, PostgreSQL) and each size N, a fresh database is seeded with
N realistic users (directly through SQLAlchemy Core, in batches), the provider is started
as one granian worker (asgi, uvloop: as `scimhub provider serve` runs it) pinned to one
CPU, and a load generator pinned to another CPU drives each scenario over keep-alive
connections on loopback:

  get     GET /Users/{id}                       random seeded ids
  filter  GET /Users?filter=userName eq "..."   random seeded userNames
  page    GET /Users?startIndex=R&count=100     random pages of 100
  patch   PATCH /Users/{id} replace "title"     random seeded ids, a new value each time
  post    POST /Users                           unique new userNames

The same load against a minimal ASGI endpoint (a fixed ~600-byte JSON document) served by
uvicorn and by granian gives the ceiling: the faster of the two. Figures are printed; see
``bench/README.md``. This is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from loadgen import HOST, machine_busy_seconds, user_body
from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.exc import SQLAlchemyError

from scimhub.scim.definitions import USER_RESOURCE
from scimhub.scim.resource import validate_resource
from scimhub.storage import migrate, relations
from scimhub.storage.db import make_engine
from scimhub.storage.resources import ResourceStore, index_columns
from scimhub.storage.tables import emails, resources
from scimhub.storage.tenants import TenantStore
from scimhub.storage.transactions import write_tx

BENCH_DIR = Path(__file__).resolve().parent
LOADGEN = BENCH_DIR / "loadgen.py"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
RSS_GROWTH_LIMIT_MB = 20.0


@dataclass(frozen=True)
class Scenario:
    key: str
    label: str
    status: int
    check: str | None = None  # a substring every good response body contains


SCENARIOS = (
    Scenario("get", "GET /Users/{id}", 200),
    Scenario("filter", 'GET /Users?filter=userName eq "..."', 200, '"totalResults":1,'),
    Scenario("page", "GET /Users?startIndex=R&count=100", 200, '"itemsPerPage":100,'),
    Scenario("patch", 'PATCH /Users/{id} replace "title"', 200),
    Scenario("post", "POST /Users", 201),
)

# ---------------------------------------------------------------------------------------
# Processes: pinned servers and load generators, always cleaned up.
# ---------------------------------------------------------------------------------------


def _pinning(cpu: int | None) -> Callable[[], None] | None:
    if cpu is None:
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it (granian runs its worker as a child)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*"):
            with contextlib.suppress(OSError):
                todo.extend(int(c) for c in (task / "children").read_text().split())
    return out


def rss_mb(pid: int) -> float:
    """Resident memory of a server (VmRSS of ``pid`` and its workers), in MB."""
    total = 0
    for p in descendants(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024 if total else float("nan")


class Server:
    """A server process in its own session, pinned to ``cpu``, logging to a file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], cpu: int | None) -> None:
        self.name = name
        self.port = free_port()
        argv = [a.replace("{port}", str(self.port)) for a in argv]
        self.log = tempfile.NamedTemporaryFile(prefix="scimhub-bench-", suffix=".log")  # noqa: SIM115
        full_env = {**os.environ, **env, "PYTHONPATH": _pythonpath()}
        self.proc = subprocess.Popen(
            argv,
            env=full_env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_pinning(cpu),  # noqa: PLW1509 - no threads here yet
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_ready(self, probe: Callable[[int], bool], timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.proc.returncode}):\n{self.tail()}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                if probe(self.port):
                    return
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} not ready after {timeout:.0f} s:\n{self.tail()}")

    def tail(self, chars: int = 3000) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-chars:]

    def log_text(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log.close()


def _pythonpath() -> str:
    rest = os.environ.get("PYTHONPATH")
    return f"{BENCH_DIR}{os.pathsep}{rest}" if rest else str(BENCH_DIR)


def http_probe(path: str, token: str | None = None) -> Callable[[int], bool]:
    def probe(port: int) -> bool:
        conn = http.client.HTTPConnection(HOST, port, timeout=5)
        try:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            conn.request("GET", path, headers=headers)
            return conn.getresponse().status == 200
        finally:
            conn.close()

    return probe


def response_size(port: int, path: str, token: str) -> int:
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        return len(conn.getresponse().read())
    finally:
        conn.close()


_CHILDREN: list[Server] = []


@contextlib.contextmanager
def serving(name: str, argv: list[str], env: dict[str, str], cpu: int | None) -> Iterator[Server]:
    server = Server(name, argv, env, cpu)
    _CHILDREN.append(server)
    try:
        yield server
    finally:
        server.stop()
        _CHILDREN.remove(server)


def uvicorn_argv(target: str, factory: bool = False) -> list[str]:
    argv = [sys.executable, "-m", "uvicorn", target, "--host", HOST, "--port", "{port}"]
    argv += ["--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning"]
    return [*argv, "--factory"] if factory else argv


def granian_argv(target: str, factory: bool = False) -> list[str]:
    argv = [sys.executable, "-m", "granian", "--interface", "asgi", "--loop", "uvloop"]
    argv += ["--workers", "1", "--host", HOST, "--port", "{port}", "--log-level", "warning"]
    return [*argv, "--no-ws", *(["--factory"] if factory else []), target]


def drive(spec: dict[str, Any], cpu: int | None) -> dict[str, Any]:
    """Run one load-generator process pinned to ``cpu`` and return its summary."""
    argv = [sys.executable, str(LOADGEN)]
    budget = float(spec["warmup"]) + float(spec["seconds"]) + 60
    with subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=_pinning(cpu),  # noqa: PLW1509 - no threads here yet
    ) as proc:
        try:
            out, err = proc.communicate(orjson.dumps(spec), timeout=budget)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
    if proc.returncode != 0:
        raise RuntimeError(f"load generator failed ({proc.returncode}):\n{err.decode()[-3000:]}")
    return dict(orjson.loads(out))


def wait_for_quiet(max_wait: float, threshold: float) -> float:
    """Wait up to ``max_wait`` s for other processes to use < ``threshold`` CPUs; return it."""
    deadline = time.monotonic() + max_wait
    told = False
    while True:
        before = machine_busy_seconds()
        time.sleep(0.5)
        busy = (machine_busy_seconds() - before) / 0.5
        if busy < threshold or time.monotonic() >= deadline:
            if told:
                print(f" {'quiet' if busy < threshold else 'still busy, measuring anyway'}")
            return busy
        if not told:
            print(f"  (other processes use {busy:.1f} CPUs; waiting up to {max_wait:g} s)", end="")
            told = True


def measured(opts: Options, spec: dict[str, Any]) -> dict[str, Any]:
    """One measured load run, started when the machine is quiet (see ``--idle-wait``)."""
    if opts.idle_wait > 0:
        wait_for_quiet(opts.idle_wait, opts.idle_threshold)
    return drive(spec, opts.load_cpu)


# ---------------------------------------------------------------------------------------
# Databases: fresh SQLite data dir or a fresh PostgreSQL schema, seeded in bulk.
# ---------------------------------------------------------------------------------------


@dataclass
class Seeded:
    token: str
    ids: list[str] = field(default_factory=list)
    user_names: list[str] = field(default_factory=list)
    seconds: float = 0.0
    doc_bytes: float = 0.0


def canonical(i: int, rng: random.Random) -> dict[str, Any]:
    """The document the provider would store for ``user_body(i)``, without its cost.

    ``validate_resource`` keeps the body's attribute order and appends ``schemas``; every
    997th document is checked against it, so the shortcut cannot drift from the provider.
    """
    body = user_body(i, rng)
    doc = {k: v for k, v in body.items() if k != "schemas"}
    doc["schemas"] = body["schemas"]
    if i % 997 == 0 and doc != (expected := validate_resource(body, USER_RESOURCE)):
        raise RuntimeError(f"seeded document is not canonical:\n{doc}\n!=\n{expected}")
    return doc


def seed(engine: Engine, n: int, batch: int = 5000) -> Seeded:
    """Upgrade the schema, create a tenant and token, insert ``n`` canonical user rows.

    Rows carry explicit ``seq`` values (so emails need no RETURNING round trip); the
    PostgreSQL sequence is moved past them afterwards so the provider's inserts continue.
    """
    migrate.upgrade(engine)
    store = TenantStore(engine)
    tenant = store.create_tenant("bench", "generic")
    token, _ = store.create_token("bench", label="bench")
    check_layout(engine, tenant.id)
    out = Seeded(token)
    rng = random.Random(20240101)
    base = datetime.now(UTC) - timedelta(days=365)
    total_bytes = 0
    started = time.perf_counter()
    with engine.connect() as conn:
        first = int(conn.execute(select(func.coalesce(func.max(resources.c.seq), 0))).scalar_one())
    for lo in range(0, n, batch):
        rows, mails = [], []
        for i in range(lo, min(n, lo + batch)):
            rid = str(uuid.uuid4())
            row, row_mails = user_rows(
                i, rng, tenant.id, first + i + 1, base + timedelta(seconds=i), rid
            )
            total_bytes += len(orjson.dumps(row["doc"]))
            rows.append(row)
            mails += row_mails
            out.ids.append(rid)
            out.user_names.append(row["doc"]["userName"])
        with write_tx(engine) as conn:  # executemany: one statement, many parameter sets
            conn.execute(insert(resources), rows)
            conn.execute(insert(emails), mails)
    if engine.dialect.name == "postgresql":
        with write_tx(engine) as conn:
            conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('scim_resources', 'seq'), "
                "(SELECT max(seq) FROM scim_resources))"
            )
    out.seconds = time.perf_counter() - started
    out.doc_bytes = total_bytes / max(n, 1)
    return out


def user_rows(
    i: int, rng: random.Random, tenant_id: str, seq: int, ts: datetime, rid: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The ``scim_resources`` row and ``scim_emails`` rows that creating user ``i`` stores.

    This mirrors ``ResourceStore.create`` (the document plus its id; meta lives in columns)
    and uses the provider's own helpers for the derived columns; :func:`check_layout`
    compares it with the real thing before every seeding.
    """
    doc = canonical(i, rng) | {"id": rid}
    row = {"seq": seq, "id": rid, "tenant_id": tenant_id, "resource_type": USER_RESOURCE.name}
    row |= {"doc": doc, "version": 1, "created": ts, "last_modified": ts, "password_hash": None}
    row |= index_columns(USER_RESOURCE, doc)
    capture = _Capture()
    relations.sync_emails(capture, seq, tenant_id, doc, fresh=True)  # type: ignore[arg-type]
    return row, capture.rows


class _Capture:
    """Stands in for a connection to collect the rows ``relations.sync_emails`` inserts."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def execute(self, _statement: Any, rows: list[dict[str, Any]] | None = None) -> None:
        self.rows.extend(rows or ())


def check_layout(engine: Engine, tenant_id: str) -> None:
    """Fail loudly if :func:`user_rows` no longer matches what ``ResourceStore.create`` stores."""
    store = ResourceStore(engine)
    i = 999_999
    body = validate_resource(user_body(i, random.Random(i)), USER_RESOURCE)
    created = store.create(tenant_id, USER_RESOURCE, body)
    with engine.connect() as conn:
        real = conn.execute(select(resources).where(resources.c.id == created["id"])).one()
        real_mails = conn.execute(select(emails).where(emails.c.resource_seq == real.seq)).all()
    mine, my_mails = user_rows(i, random.Random(i), tenant_id, real.seq, real.created, real.id)
    real_row = dict(real._mapping)
    diff = {
        k: {"bench": mine.get(k), "provider": v}
        for k, v in real_row.items()
        if k not in ("created", "last_modified") and mine.get(k) != v
    }
    real_mail_rows = [{k: m._mapping[k] for k in (my_mails or [{}])[0]} for m in real_mails]
    if diff or real_mail_rows != my_mails:
        raise RuntimeError(
            "the bench's bulk rows no longer match what ResourceStore.create stores; "
            f"update user_rows() in {Path(__file__).name}: {diff or (my_mails, real_mail_rows)}"
        )
    store.delete(tenant_id, USER_RESOURCE, created["id"], None)


@contextlib.contextmanager
def fresh_database(kind: str, pg_url: str) -> Iterator[tuple[Any, dict[str, str]]]:
    """A fresh, empty database: (engine for seeding, environment for the server)."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="scimhub-bench-") as tmp:
            engine = make_engine(f"sqlite:///{tmp}/scimhub.db")
            try:
                yield engine, {"SCIMHUB_DATA_DIR": tmp, "SCIMHUB_DATABASE_URL": ""}
            finally:
                engine.dispose()
        return
    schema = f"scimhub_bench_{os.getpid()}_{secrets.token_hex(3)}"
    admin = make_engine(pg_url, pool_size=1)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine = make_engine(pg_url, connect_args={"options": f"-csearch_path={schema}"})
    env = {"SCIMHUB_DATABASE_URL": pg_url, "SCIMHUB_BENCH_PG_SCHEMA": schema}
    with tempfile.TemporaryDirectory(prefix="scimhub-bench-") as tmp:
        try:
            yield engine, {**env, "SCIMHUB_DATA_DIR": tmp}
        finally:
            engine.dispose()
            with admin.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            admin.dispose()


def settle(kind: str, engine: Engine) -> None:
    """After bulk loading: what the database would do on its own before real traffic.

    PostgreSQL: VACUUM ANALYZE (autovacuum would, within a minute of 100k inserts).
    SQLite: checkpoint the WAL into the main file; no ANALYZE (the provider never runs it).
    """
    if kind == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ("tenants", "tokens", "scim_resources", "scim_emails"):
                conn.exec_driver_sql(f"VACUUM ANALYZE {table}")
    else:
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


# ---------------------------------------------------------------------------------------
# The benchmark proper.
# ---------------------------------------------------------------------------------------


@dataclass
class Options:
    sizes: list[int]
    databases: list[str]
    pg_url: str
    seconds: float
    warmup: float
    connections: int
    latency_seconds: float
    latency_connections: int
    max_requests: int
    server_cpu: int | None
    load_cpu: int | None
    scenarios: list[str]
    idle_wait: float
    idle_threshold: float


def load_spec(opts: Options, port: int, **extra: Any) -> dict[str, Any]:
    spec = {
        "port": port,
        "seconds": opts.seconds,
        "warmup": opts.warmup,
        "connections": opts.connections,
        "max_requests": opts.max_requests,
    }
    return spec | extra


def measure_ceiling(opts: Options) -> dict[str, Any]:
    candidates = {
        "uvicorn (uvloop+httptools)": uvicorn_argv("bench_apps:ceiling_app"),
        "granian (asgi, uvloop)": granian_argv("bench_apps:ceiling_app"),
    }
    results: dict[str, Any] = {}
    for name, argv in candidates.items():
        try:
            with serving(name, argv, {}, opts.server_cpu) as server:
                server.wait_ready(http_probe("/"))
                spec = load_spec(opts, server.port, kind="static", path="/", status=200)
                spec["server_pids"] = descendants(server.pid)
                results[name] = measured(opts, spec)
        except (RuntimeError, OSError) as exc:
            print(f"  {name}: could not run ({exc})")
    if not results:
        raise SystemExit("no ASGI server could serve the ceiling endpoint")
    best = max(results, key=lambda k: results[k]["rps"])
    return {"servers": results, "best": best, "rps": results[best]["rps"]}


def run_size(opts: Options, kind: str, n: int) -> dict[str, Any]:
    """Seed a fresh database with ``n`` users, serve it, and run every scenario."""
    with fresh_database(kind, opts.pg_url) as (engine, env):
        seeded = seed(engine, n)
        settle(kind, engine)
        engine.dispose()
        # As `scimhub provider serve` runs it: one granian worker (asgi, uvloop).
        argv = granian_argv("bench_apps:provider_app", factory=True)
        with serving(f"provider ({kind})", argv, env, opts.server_cpu) as server:
            probe = http_probe("/scim/v2/ServiceProviderConfig", seeded.token)
            server.wait_ready(probe)
            served = response_size(server.port, f"/scim/v2/Users/{seeded.ids[0]}", seeded.token)
            print(
                f"  seeded {n:,} users in {seeded.seconds:.1f} s "
                f"({n / max(seeded.seconds, 1e-9):,.0f}/s); stored doc {seeded.doc_bytes:.0f} B "
                f"avg, GET /Users/{{id}} answers {served} B"
            )
            db_process = "postgres" if kind == "postgresql" else None
            result = exercise(opts, server, seeded, n, db_process)
            result["seed_seconds"] = seeded.seconds
            result["doc_bytes"] = seeded.doc_bytes
            result["server_tracebacks"] = server.log_text().count("Traceback")
            if result["server_tracebacks"]:
                print(f"  server log has {result['server_tracebacks']} tracebacks; tail:")
                print(server.tail())
    return result


def exercise(
    opts: Options, server: Server, seeded: Seeded, n: int, db_process: str | None
) -> dict[str, Any]:
    sample = min(n, 20_000)
    rng = random.Random(n)
    picks = rng.sample(range(n), sample)
    data = {
        "get": {"ids": [seeded.ids[i] for i in picks]},
        "filter": {"user_names": [seeded.user_names[i] for i in picks]},
        "page": {"n": n},
        "patch": {"ids": [seeded.ids[i] for i in picks]},
        "post": {},
    }
    common = {
        "token": seeded.token,
        "server_pids": descendants(server.pid),
        "db_process": db_process,
    }
    warm = opts.warmup or 1.0
    for key in ("get", "filter", "page"):
        spec = load_spec(opts, server.port, kind=key, status=200, **data[key], **common)
        drive(spec | {"warmup": 0, "seconds": warm}, opts.load_cpu)
    rss_warm = rss_mb(server.pid)
    scenarios: dict[str, Any] = {}
    for sc in SCENARIOS:
        if sc.key not in opts.scenarios:
            continue
        base = {"kind": sc.key, "status": sc.status, "check": sc.check, **data[sc.key], **common}
        spec = load_spec(opts, server.port, **base, tag=secrets.token_hex(4))
        loaded = measured(opts, spec)
        if opts.latency_seconds > 0:
            spec |= {"connections": opts.latency_connections, "seconds": opts.latency_seconds}
            spec["tag"] = secrets.token_hex(4)
            loaded["unloaded"] = measured(opts, spec)
        scenarios[sc.key] = loaded
    return {"rss_after_warmup_mb": rss_warm, "rss_after_run_mb": rss_mb(server.pid)} | {
        "scenarios": scenarios
    }


# ---------------------------------------------------------------------------------------
# Reporting.
# ---------------------------------------------------------------------------------------


def _errors(result: dict[str, Any]) -> int:
    total = sum(result["errors"].values())
    return total + sum(result.get("unloaded", {}).get("errors", {}).values())


def print_ceiling(ceiling: dict[str, Any], opts: Options) -> None:
    print(
        f"  {'server':<30}{'rps':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
        f"{'srv cpu':>9}{'gen cpu':>9}{'other':>7}"
    )
    for name, r in ceiling["servers"].items():
        print(
            f"  {name:<30}{r['rps']:>9,.0f}{_ms(r['p50_ms']):>9}{_ms(r['p99_ms']):>9}"
            f"{_errors(r):>8}{r['server_cpu']:>9.0%}{r['gen_cpu']:>9.0%}{_other(r, opts):>7}"
        )
        _print_error_samples(r)
    print(f"  ceiling: {ceiling['best']} = {ceiling['rps']:,.0f} rps ({opts.connections} conns)")


def _print_error_samples(r: dict[str, Any]) -> None:
    for res in (r, r.get("unloaded") or {}):
        if res.get("errors"):
            print(f"    errors {res['errors']}")
            for s in res["error_samples"]:
                print(f"      {s}")


def print_run(run: dict[str, Any], ceiling_rps: float, opts: Options) -> None:
    lat = f"p50/p99 @{opts.latency_connections}"
    print(
        f"  {'scenario':<36}{'rps':>8}{'% ceil':>8}{'p50 ms':>8}{'p99 ms':>8}"
        f"{lat:>16}{'errors':>7}{'srv cpu':>8}{'db cpu':>7}{'gen cpu':>8}{'other':>6}"
    )
    for sc in SCENARIOS:
        r = run["scenarios"].get(sc.key)
        if r is None:
            continue
        u = r.get("unloaded")
        unloaded = f"{_ms(u['p50_ms'])}/{_ms(u['p99_ms'])}" if u else "-"
        unloaded += "*" if u and _disturbed(u, opts) else ""
        print(
            f"  {sc.label:<36}{r['rps']:>8,.0f}{r['rps'] / ceiling_rps:>8.1%}"
            f"{_ms(r['p50_ms']):>8}{_ms(r['p99_ms']):>8}{unloaded:>16}{_errors(r):>7}"
            f"{r['server_cpu']:>8.0%}{_db_cpu(r):>7}{r['gen_cpu']:>8.0%}{_other(r, opts):>6}"
        )
        _print_error_samples(r)
    print(
        f"  server RSS: {run['rss_after_warmup_mb']:.1f} MB after seeding+warmup, "
        f"{run['rss_after_run_mb']:.1f} MB after the run"
    )


def _disturbed(r: dict[str, Any], opts: Options) -> bool:
    """Whether other processes used the machine during the run (the figures are then low)."""
    return bool(r["other_cpu"] > opts.idle_threshold)


def _other(r: dict[str, Any], opts: Options) -> str:
    return f"{r['other_cpu']:.0%}" + ("*" if _disturbed(r, opts) else "")


def _db_cpu(r: dict[str, Any]) -> str:
    return f"{r['db_cpu']:.0%}" if r.get("db_cpu") else "-"


def _p50(r: dict[str, Any]) -> float:
    """Service latency: the unloaded p50 when measured, else the p50 under load."""
    value = (r.get("unloaded") or r)["p50_ms"]
    return float(value) if value is not None else float("inf")


def _ms(value: float | None) -> str:
    """A latency in ms, or '-' when no request succeeded."""
    return f"{value:.2f}" if value is not None else "-"


def evaluate(runs: list[dict[str, Any]], ceiling_rps: float) -> list[dict[str, Any]]:
    targets: list[dict[str, Any]] = []

    def target(name: str, value: float, limit: float, ok: bool, unit: str) -> None:
        targets.append({"name": name, "value": value, "limit": limit, "pass": ok, "unit": unit})

    ratios = {"sqlite": {"get": 0.40, "filter": 0.40, "post": 0.15}}
    ratios["postgresql"] = {"get": 0.20, "filter": 0.20}
    for run in runs:
        where = f"{run['database']} N={run['n']:,}"
        for key, floor in ratios[run["database"]].items():
            r = run["scenarios"].get(key)
            if r is not None:
                share = r["rps"] / ceiling_rps
                target(f"{where} {key} rps >= {floor:.0%} of ceiling", share, floor,
                       share >= floor, "%")  # fmt: skip
        page = run["scenarios"].get("page")
        if page is not None:
            target(f"{where} page of 100 p50 <= 10 ms", _p50(page), 10.0, _p50(page) <= 10, "ms")
    for db in {r["database"] for r in runs}:
        mine = sorted((r for r in runs if r["database"] == db), key=lambda r: r["n"])
        if len(mine) < 2:
            continue
        small, big = mine[0], mine[-1]
        if "filter" in small["scenarios"] and "filter" in big["scenarios"]:
            ratio = _p50(big["scenarios"]["filter"]) / _p50(small["scenarios"]["filter"])
            name = f"{db} filter p50 N={big['n']:,} / N={small['n']:,} <= 1.5x"
            target(name, ratio, 1.5, ratio <= 1.5, "x")
        growth = big["rss_after_run_mb"] - small["rss_after_run_mb"]
        name = f"{db} RSS after run, N={big['n']:,} minus N={small['n']:,} <= +20 MB"
        target(name, growth, RSS_GROWTH_LIMIT_MB, growth <= RSS_GROWTH_LIMIT_MB, "MB")
    return targets


def print_summary(runs: list[dict[str, Any]], targets: list[dict[str, Any]]) -> None:
    print("\nSummary")
    for db in sorted({r["database"] for r in runs}):
        mine = sorted((r for r in runs if r["database"] == db), key=lambda r: r["n"])
        for r in mine:
            page = r["scenarios"].get("page")
            page_txt = f"page-of-100 p50 {_p50(page):.2f} ms" if page else ""
            print(
                f"  {db:<10} N={r['n']:>9,}  {page_txt}  RSS {r['rss_after_warmup_mb']:.1f} -> "
                f"{r['rss_after_run_mb']:.1f} MB"
            )
        if len(mine) >= 2 and all("filter" in r["scenarios"] for r in (mine[0], mine[-1])):
            a, b = _p50(mine[0]["scenarios"]["filter"]), _p50(mine[-1]["scenarios"]["filter"])
            print(
                f"  {db:<10} filtered GET p50 N={mine[-1]['n']:,} / N={mine[0]['n']:,}: "
                f"{b:.2f} / {a:.2f} ms = {b / a:.2f}x"
            )
    print("\nTargets (latency targets use the unloaded p50 when measured)")
    for t in targets:
        unit = t["unit"]
        if unit == "%":
            value = f"{t['value']:.1%}"
        elif unit == "x":
            value = f"{t['value']:.2f}x"
        else:
            value = f"{t['value']:+.1f} MB" if unit == "MB" else f"{t['value']:.2f} ms"
        print(f"  [{'PASS' if t['pass'] else 'FAIL'}] {t['name']}: {value}")


# ---------------------------------------------------------------------------------------
# Entry point.
# ---------------------------------------------------------------------------------------


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def parse_args(argv: list[str] | None = None) -> tuple[Options, argparse.Namespace]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="1000,100000", help="user counts N, comma-separated")
    p.add_argument("--databases", default="sqlite,postgresql", help="sqlite,postgresql")
    p.add_argument("--pg-url", default=DEFAULT_PG_URL, help="PostgreSQL URL (a schema is made)")
    p.add_argument("--seconds", type=float, default=10.0, help="measured seconds per scenario")
    p.add_argument("--warmup", type=float, default=1.0, help="warmup seconds per scenario")
    p.add_argument("--connections", type=int, default=64, help="keep-alive connections")
    p.add_argument(
        "--latency-seconds",
        type=float,
        default=3.0,
        help="seconds per scenario measuring unloaded latency (0: skip)",
    )
    p.add_argument("--latency-connections", type=int, default=1)
    p.add_argument("--max-requests", type=int, default=2_000_000, help="cap per measured run")
    p.add_argument("--scenarios", default=",".join(s.key for s in SCENARIOS))
    p.add_argument("--server-cpu", type=int, default=0)
    p.add_argument("--load-cpu", type=int, default=1)
    p.add_argument("--no-pin", action="store_true", help="do not pin processes to CPUs")
    p.add_argument(
        "--idle-wait",
        type=float,
        default=10.0,
        help="before each measured run, wait up to this many seconds for other processes "
        "to go quiet (0: do not wait)",
    )
    p.add_argument(
        "--idle-threshold", type=float, default=0.25, help="'quiet' means fewer CPUs busy"
    )
    p.add_argument("--json", dest="json_out", default=None, help="also write results here")
    p.add_argument("--check", action="store_true", help="exit 1 if a target fails or errors")
    args = p.parse_args(argv)
    pin = not args.no_pin and len(os.sched_getaffinity(0)) >= 2
    opts = Options(
        sizes=[int(s.replace("_", "")) for s in _csv(args.sizes)],
        databases=_csv(args.databases),
        pg_url=args.pg_url,
        seconds=args.seconds,
        warmup=args.warmup,
        connections=args.connections,
        latency_seconds=args.latency_seconds,
        latency_connections=args.latency_connections,
        max_requests=args.max_requests,
        server_cpu=args.server_cpu if pin else None,
        load_cpu=args.load_cpu if pin else None,
        scenarios=_csv(args.scenarios),
        idle_wait=args.idle_wait,
        idle_threshold=args.idle_threshold,
    )
    if any(n < 100 for n in opts.sizes):
        p.error("each size must be at least 100 (the page scenario reads pages of 100)")
    unknown = set(opts.databases) - {"sqlite", "postgresql"}
    if unknown:
        p.error(f"unknown database(s): {', '.join(sorted(unknown))}")
    return opts, args


def _pg_reachable(url: str) -> str | None:
    """None if PostgreSQL answers at ``url``, else why not."""
    try:
        engine = make_engine(url, pool_size=1, connect_args={"connect_timeout": 5})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    return None


def _terminate(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    opts, args = parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)
    signal.signal(signal.SIGTERM, _terminate)
    pin = (
        f"server on CPU {opts.server_cpu}, load on CPU {opts.load_cpu}"
        if opts.server_cpu is not None
        else "not pinned"
    )
    print(
        f"scimhub provider benchmark: python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs, {pin}; {opts.connections} keep-alive connections, "
        f"{opts.warmup:g} s warmup + {opts.seconds:g} s per scenario"
        + (
            f", then {opts.latency_seconds:g} s with {opts.latency_connections} connection(s) "
            "for unloaded latency"
            if opts.latency_seconds > 0
            else ""
        )
    )
    print(
        "  cpu columns, in CPUs: srv = the server process, db = postgres processes, "
        "gen = load generator, other = the rest of the machine (should be ~0)"
    )
    try:
        results = run_all(opts)
    finally:
        for server in list(_CHILDREN):
            server.stop()
    targets = evaluate(results["runs"], results["ceiling"]["rps"])
    print_summary(results["runs"], targets)
    results["targets"] = targets
    if args.json_out:
        Path(args.json_out).write_text(orjson.dumps(results, option=orjson.OPT_INDENT_2).decode())
        print(f"\nwrote {args.json_out}")
    measurements = [*results["ceiling"]["servers"].values()]
    for run in results["runs"]:
        for r in run["scenarios"].values():
            measurements += [r, r["unloaded"]] if r.get("unloaded") else [r]
    disturbed = sum(_disturbed(r, opts) for r in measurements)
    if disturbed:
        print(
            f"\n{disturbed} of {len(measurements)} measurements ran while other processes used "
            f"more than {opts.idle_threshold:g} CPU (marked *): their figures are disturbed."
        )
    errors = sum(_errors(r) for run in results["runs"] for r in run["scenarios"].values())
    if errors:
        print(f"\n{errors} unexpected responses (see the errors columns above)")
    return 1 if args.check and (errors or not all(t["pass"] for t in targets)) else 0


def run_all(opts: Options) -> dict[str, Any]:
    print("\nCeiling: minimal ASGI endpoint, ~600-byte JSON, one worker")
    ceiling = measure_ceiling(opts)
    print_ceiling(ceiling, opts)
    runs: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    for kind in opts.databases:
        if kind == "postgresql":
            why = _pg_reachable(opts.pg_url)
            if why:
                print(f"\npostgresql: skipped, not reachable at {opts.pg_url} ({why})")
                skipped[kind] = why
                continue
        for n in opts.sizes:
            print(f"\n{kind}, N={n:,}")
            try:
                run = run_size(opts, kind, n)
            except (RuntimeError, OSError, SQLAlchemyError) as exc:
                print(f"  failed: {type(exc).__name__}: {exc}")
                skipped[f"{kind} N={n}"] = f"{type(exc).__name__}: {exc}"
                continue
            run |= {"database": kind, "n": n}
            print_run(run, ceiling["rps"], opts)
            runs.append(run)
    options = {k: v for k, v in vars(opts).items() if k != "pg_url"}
    return {"options": options, "ceiling": ceiling, "runs": runs, "skipped": skipped}


if __name__ == "__main__":
    sys.exit(main())
