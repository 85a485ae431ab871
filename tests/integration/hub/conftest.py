"""Hub fixtures: the services on the session database, and the REST API on loopback."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine

from conftest import LiveServer
from scimhub.api import create_api
from scimhub.config import Settings
from scimhub.hub import Hub, build_hub


@pytest.fixture(scope="session")
def hub(engine: Engine, settings: Settings) -> Hub:
    """The hub's services on the session database (SQLite file or PostgreSQL schema)."""
    return build_hub(settings, engine)


@pytest.fixture(scope="session")
def hub_server(hub: Hub) -> Iterator[LiveServer]:
    with LiveServer(create_api(hub.settings, hub.engine, hub)) as live:
        yield live


@pytest.fixture(scope="session")
def api_key(hub: Hub) -> str:
    key, _ = hub.api_keys.create("tests")
    return key


@pytest.fixture
def api(hub_server: LiveServer, api_key: str) -> Iterator[httpx.Client]:
    """An authenticated client for the hub API at ``/api/v1``."""
    with httpx.Client(
        base_url=f"{hub_server.url}/api/v1",
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=30,
    ) as client:
        yield client


def unique(stem: str = "u") -> str:
    """A name no other test uses (the session database is shared)."""
    return f"{stem}{uuid.uuid4().hex[:10]}"
