"""Browser tests: Debian's chromium driven by Playwright, against the hub composed as
`scimhub serve` composes it (API and web UI) on a loopback port, on a temporary SQLite file.

`make browser` (a prerequisite of `make test`) installs chromium with
scripts/install-browser.sh; Playwright never downloads a browser of its own. Without
/usr/bin/chromium these tests are skipped, unless SCIMHUB_REQUIRE_BROWSER=1 (CI), where
they fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import Engine

from conftest import LiveServer, Tenant, make_tenant
from integration.web.support import Admin, make_admin
from scimhub.cli.server import compose_app
from scimhub.config import Settings
from scimhub.hub import Hub, build_hub
from scimhub.storage import migrate
from scimhub.storage.db import make_engine

#: Where Profit.co's SCIM API is under a base URL (the provider serves it there too).
PROFITCO_PATH = "/app/rest/platform/auth/scim/v2"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REQUIRE_BROWSER = os.environ.get("SCIMHUB_REQUIRE_BROWSER") == "1"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def ui_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    data_dir = tmp_path_factory.mktemp("browser-hub")
    settings = Settings(data_dir=data_dir)
    engine = make_engine(settings.resolved_database_url)
    migrate.upgrade(engine)
    yield build_hub(settings, engine)
    engine.dispose()


@pytest.fixture(scope="session")
def ui_server(ui_hub: Hub) -> Iterator[LiveServer]:
    with LiveServer(compose_app(ui_hub)) as live:
        yield live


@pytest.fixture
def admin(ui_hub: Hub) -> Admin:
    return make_admin(ui_hub)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        if REQUIRE_BROWSER:
            pytest.fail(f"SCIMHUB_REQUIRE_BROWSER=1 but {CHROMIUM} is missing: run make browser")
        pytest.skip(f"{CHROMIUM} is missing (make browser installs it)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def console() -> list[str]:
    """What the test's page reported as errors (a CSP violation, a failing script)."""
    return []


@pytest.fixture
def page(browser: Browser, ui_server: LiveServer, console: list[str]) -> Iterator[Page]:
    """A fresh browser context (no cookies) whose relative URLs go to the server."""
    context = browser.new_context(base_url=ui_server.url)
    opened = context.new_page()
    opened.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    opened.on("pageerror", lambda e: console.append(str(e)))
    yield opened
    context.close()


@pytest.fixture
def target(engine: Engine, provider: LiveServer) -> Iterator[Tenant]:
    """A Profit.co tenant of the real provider (the tests' own database and server)."""
    tenant = make_tenant(engine, provider, "profitco")
    yield tenant
    tenant.client.close()
