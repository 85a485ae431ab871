"""Import fixtures: the application's provider tenant seeded with 250 users, 40 of whom are
already in the directory, an application that bends the RFC (OddTarget), and a real SMTP
server in this process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from conftest import LiveServer
from integration.provisioning.engine_support import Bench, bench

from .import_support import (
    MakeOdd,
    OddBenches,
    SmtpServer,
    mail_settings,
    put_in_directory,
    seed,
    smtp_server,
)

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
    mail = mail_settings(smtp) | {"import_page_size": 50}
    with bench(backend, tmp_path, engine, provider, "profitco", **mail) as made:
        remotes = seed(made, SEEDED)
        put_in_directory(made, remotes[:ALREADY])
        yield made, remotes


@pytest.fixture
def odd(backend: str, tmp_path: Path, smtp: SmtpServer) -> Iterator[MakeOdd]:
    """``odd(records, **quirks)``: a generic SCIM application served by an OddTarget."""
    benches = OddBenches(backend, tmp_path, smtp)
    try:
        yield benches.make
    finally:
        benches.close()
