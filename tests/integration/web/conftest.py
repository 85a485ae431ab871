"""The hub composed as `scimhub serve` composes it (API and web UI), on loopback, on the
session database (SQLite file or PostgreSQL schema); a fresh admin and client per test."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine

from conftest import LiveServer
from scimhub.cli.server import compose_app
from scimhub.config import Settings
from scimhub.hub import Hub, build_hub

from .support import Admin, make_admin


@pytest.fixture(scope="session")
def web_hub(engine: Engine, settings: Settings) -> Hub:
    return build_hub(settings, engine)


@pytest.fixture(scope="session")
def web_server(web_hub: Hub) -> Iterator[LiveServer]:
    with LiveServer(compose_app(web_hub)) as live:
        yield live


@pytest.fixture
def admin(web_hub: Hub) -> Admin:
    return make_admin(web_hub)


@pytest.fixture
def client(web_server: LiveServer) -> Iterator[httpx.Client]:
    """A browser-like client: keeps cookies, does not follow redirects."""
    with httpx.Client(base_url=web_server.url, timeout=30) as c:
        yield c
