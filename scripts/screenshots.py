"""`make screenshots`: PNG screenshots of the web UI's main screens in docs/screenshots/.

Runs what `make run` runs, on a throw-away data directory and free ports: the provider in
its own process (a Profit.co-like tenant), the hub with its web UI and a provisioning
worker in this one, the demo directory and application; binds Engineering (so the
provisioning log has entries) and puts a few users only in the provider (so the Import tab
has New users). Then Debian's chromium, driven by Playwright, visits each screen.
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from playwright.sync_api import Page, sync_playwright

from scimhub.cli.demo import DemoUrls, seed_demo, start_provider
from scimhub.cli.hubctx import open_hub
from scimhub.cli.server import compose_app
from scimhub.config import Settings
from scimhub.hub import Hub

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ADMIN, PASSWORD = "admin", "screenshots-password-1"


def main() -> int:
    data = Path(tempfile.mkdtemp(prefix="scimhub-shots-"))
    os.environ["SCIMHUB_DATA_DIR"] = str(data)  # the provider's process reads it too
    port, provider_port = _free_port(), _free_port()
    urls = DemoUrls(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{provider_port}", "demo")
    hub = open_hub(Settings(provider_url=urls.provider))  # as `scimhub demo` sets it
    child = start_provider("127.0.0.1", provider_port)
    worker = hub.worker()
    try:
        scim_key, _ = seed_demo(hub, urls)
        hub.admins.create(ADMIN + "-shots", PASSWORD)
        _serve(compose_app(hub), port)
        worker.start()
        app = hub.applications.list().items[0]
        hub.bindings.bind(app.id, ["Engineering"])
        _provider_only_users(urls, scim_key)
        time.sleep(2.0)  # the worker provisions Engineering
        _shoot(f"http://127.0.0.1:{port}", app.id, hub)
    finally:
        worker.stop()
        child.terminate()
        child.wait(timeout=10)
    print(f"screenshots written to {OUT.relative_to(ROOT)}/")
    return 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(app: Any, port: int) -> None:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)


def _provider_only_users(urls: DemoUrls, key: str) -> None:
    base = f"{urls.provider}/app/rest/platform/auth/scim/v2"
    people = [
        ("emma@example.com", "Emma", "Noether"),
        ("rosalind@example.com", "Rosalind", "Franklin"),
        ("hedy@example.com", "Hedy", "Lamarr"),
    ]
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as client:
        for username, given, family in people:
            client.post(
                "/Users",
                json={
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                    "userName": username,
                    "name": {"givenName": given, "familyName": family},
                    "emails": [{"value": username, "type": "work", "primary": True}],
                    "active": True,
                },
            )


def _shoot(base: str, app_id: str, hub: Hub) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    ada = hub.users.get("ada@example.com").id
    engineering = hub.groups.get("Engineering").id
    screens = [
        ("01-sign-in", "/ui/sign-in"),
        ("02-users", "/ui/users"),
        ("03-user", f"/ui/users/{ada}"),
        ("04-groups", "/ui/groups"),
        ("05-group", f"/ui/groups/{engineering}"),
        ("06-applications", "/ui/applications"),
        ("07-add-application", "/ui/applications/new?q=profit"),
        ("08-identity-management", f"/ui/applications/{app_id}/idm"),
        ("09-user-groups", f"/ui/applications/{app_id}/groups"),
        ("10-provisioning-log", f"/ui/applications/{app_id}/log"),
        ("11-import", f"/ui/applications/{app_id}/import"),
        ("12-api-access", "/ui/api-access"),
    ]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(base_url=base, viewport={"width": 1280, "height": 800})
        page.goto("/ui/sign-in")
        page.screenshot(path=OUT / "01-sign-in.png")
        _sign_in(page)
        for name, path in screens[1:]:
            page.goto(path)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=OUT / f"{name}.png", full_page=True)
            print(f"  {name}.png  {path}")
        browser.close()


def _sign_in(page: Page) -> None:
    page.get_by_label("Username").fill(ADMIN + "-shots")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/ui/")


if __name__ == "__main__":
    sys.exit(main())
