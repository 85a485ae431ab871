"""Shared fixtures: real databases (SQLite file, PostgreSQL) and a live provider on loopback."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine, text

from scimhub.config import Settings
from scimhub.provider import create_app
from scimhub.storage import migrate
from scimhub.storage.db import make_engine
from scimhub.storage.tenants import TenantStore

PG_URL = os.environ.get("SCIMHUB_TEST_POSTGRES_URL")
REQUIRE_PG = os.environ.get("SCIMHUB_REQUIRE_POSTGRES") == "1"


def _backends() -> list[object]:
    return ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _pg_engine(schema: str) -> Engine:
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("SCIMHUB_REQUIRE_POSTGRES=1 but SCIMHUB_TEST_POSTGRES_URL is not set")
        pytest.skip("PostgreSQL tests need SCIMHUB_TEST_POSTGRES_URL")
    admin = make_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # unreachable server
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required on CI but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    finally:
        admin.dispose()
    return make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})


def _drop_pg_schema(schema: str) -> None:
    admin = make_engine(PG_URL or "")
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session", params=_backends())
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
def engine(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A migrated database of the given backend, for the whole session."""
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "scimhub.db"
        eng = make_engine(f"sqlite:///{path}")
        migrate.upgrade(eng)
        yield eng
        eng.dispose()
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    eng = _pg_engine(schema)
    migrate.upgrade(eng)
    yield eng
    eng.dispose()
    _drop_pg_schema(schema)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """A uvicorn server on a loopback port, in a background thread."""

    def __init__(self, app: object) -> None:
        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, max_body_bytes=262_144)


@pytest.fixture(scope="session")
def provider(engine: Engine, settings: Settings) -> Iterator[LiveServer]:
    with LiveServer(create_app(settings, engine)) as live:
        yield live


@dataclass
class Tenant:
    name: str
    token: str
    base: str
    client: httpx.Client


def make_tenant(engine: Engine, provider: LiveServer, profile: str = "generic") -> Tenant:
    store = TenantStore(engine)
    name = f"{profile}-{uuid.uuid4().hex[:8]}"
    store.create_tenant(name, profile)
    token, _ = store.create_token(name)
    base = f"{provider.url}/scim/v2"
    client = httpx.Client(
        base_url=base,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"},
        timeout=30,
    )
    return Tenant(name, token, base, client)


@pytest.fixture
def tenant(engine: Engine, provider: LiveServer) -> Iterator[Tenant]:
    """A fresh `generic` tenant and an authenticated client for it."""
    t = make_tenant(engine, provider)
    yield t
    t.client.close()


@pytest.fixture
def profitco(engine: Engine, provider: LiveServer) -> Iterator[Tenant]:
    """A fresh `profitco` tenant and an authenticated client for it."""
    t = make_tenant(engine, provider, "profitco")
    yield t
    t.client.close()
