"""`make run` (scimhub demo) creates the web UI's admin once and says how to sign in."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from conftest import LiveServer
from scimhub.cli.demo import DemoUrls, ensure_admin
from scimhub.cli.server import compose_app
from scimhub.config import Settings
from scimhub.hub import build_hub
from scimhub.storage import migrate
from scimhub.storage.db import make_engine

from .support import Admin, sign_in


def test_the_demo_creates_admin_once_and_prints_a_password_that_signs_in(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    engine = make_engine(settings.resolved_database_url)
    migrate.upgrade(engine)
    hub = build_hub(settings, engine)
    with LiveServer(compose_app(hub)) as live:
        urls = DemoUrls(live.url, "http://127.0.0.1:1", "demo")
        first = ensure_admin(hub, urls)
        found = re.fullmatch(rf"Web UI: {live.url}/ui/  \(admin / (\S+)\)", first)
        assert found, first
        again = ensure_admin(hub, urls)
        assert again.startswith(f"Web UI: {live.url}/ui/")
        assert "scimhub admin passwd admin" in again
        assert found.group(1) not in again
        with httpx.Client(base_url=live.url, timeout=30) as client:
            admin = Admin(hub.admins.get("admin").id, "admin", found.group(1))
            assert sign_in(client, admin).headers["location"] == "/ui/"
    engine.dispose()
