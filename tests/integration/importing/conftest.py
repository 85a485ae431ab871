"""Import fixtures: the application's provider tenant seeded with 250 users, 40 of whom are
already in the directory, and a real SMTP server in this process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from conftest import LiveServer
from integration.provisioning.engine_support import Bench, bench

from .import_support import SmtpServer, put_in_directory, seed, smtp_server

SEEDED = 250
ALREADY = 40


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    yield from smtp_server()


@pytest.fixture
def seeded(
    backend: str, tmp_path: Path, engine: Engine, provider: LiveServer, smtp: SmtpServer
) -> Iterator[tuple[Bench, list[dict[str, Any]]]]:
    """Profit.co against the provider, 250 users there, the first 40 in the directory."""
    mail = {
        "smtp_host": smtp.host,
        "smtp_port": smtp.port,
        "smtp_security": "none",
        "smtp_from": "scimhub@example.com",
        "smtp_to": "it-admins@example.com",
        "import_page_size": 50,
    }
    with bench(backend, tmp_path, engine, provider, "profitco", **mail) as made:
        remotes = seed(made, SEEDED)
        put_in_directory(made, remotes[:ALREADY])
        yield made, remotes
