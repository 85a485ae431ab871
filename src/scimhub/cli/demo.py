"""`scimhub demo` (what `make run` starts): the hub, a local Profit.co-like provider, and a
demo application configured against it, with a few demo users and groups.

The provider runs as its own process (as a real application would), the hub in this one.
Re-running is safe: what exists is kept; the demo's SCIM key and API key are issued afresh
(the previous ones are revoked) and the integration is re-activated with the documented
procedure: deactivate, update the token, activate.
"""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

import click
import httpx

from scimhub.applications.models import IdmState
from scimhub.hub import Hub
from scimhub.problems import NotFound
from scimhub.storage.tenants import TenantError, TenantStore

__all__ = ["DemoUrls", "describe", "ensure_admin", "ensure_free", "seed_demo", "start_provider"]

APP_LABEL = "Profit.co (demo)"
PROFITCO_PATH = "/app/rest/platform/auth/scim/v2"
DEMO_LABEL = "make run"
DEMO_ADMIN = "admin"
GROUPS = {
    "Engineering": ("ada@example.com", "grace@example.com", "linus@example.com"),
    "Sales": ("mary@example.com", "joan@example.com"),
}
USERS = (
    ("ada@example.com", "Ada", "Lovelace", "Engineering", "Principal Engineer"),
    ("grace@example.com", "Grace", "Hopper", "Engineering", "Engineering Manager"),
    ("linus@example.com", "Linus", "Torvalds", "Engineering", "Kernel Engineer"),
    ("mary@example.com", "Mary", "Kay", "Sales", "Account Executive"),
    ("joan@example.com", "Joan", "Clarke", "Sales", "Sales Engineer"),
    ("alan@example.com", "Alan", "Turing", "Research", "Researcher"),
)


@dataclass(frozen=True, slots=True)
class DemoUrls:
    hub: str
    provider: str
    tenant: str


def ensure_free(host: str, port: int) -> None:
    """Fail clearly if ``port`` is taken (another `make run` still running, say)."""
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise click.ClickException(
                f"{host}:{port} is not free ({exc.strerror}); stop what uses it or choose "
                "other ports with --port/--provider-port"
            ) from None


def start_provider(host: str, port: int) -> subprocess.Popen[bytes]:
    """`scimhub provider serve` in a child process; returns once it answers."""
    ensure_free(host, port)
    code = "from scimhub.cli.main import main; main()"
    args = [sys.executable, "-c", code, "provider", "serve", "--host", host, "--port", str(port)]
    child = subprocess.Popen(args)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise click.ClickException(f"The provider exited with status {child.returncode}")
        try:
            httpx.get(f"http://{host}:{port}/scim/v2/ServiceProviderConfig", timeout=1)
            return child
        except httpx.TransportError:
            time.sleep(0.2)
    child.terminate()
    raise click.ClickException(f"The provider did not start on {host}:{port}")


def seed_demo(hub: Hub, urls: DemoUrls) -> tuple[str, str]:
    """Ensure the demo tenant, directory, application and web UI admin (printing where the
    UI is and, when it was just created, the admin's password); returns (SCIM key, API key)."""
    click.echo(ensure_admin(hub, urls))
    scim_key = _fresh_scim_key(TenantStore(hub.engine), urls.tenant)
    _ensure_directory(hub)
    app_id = _ensure_application(hub)
    if hub.idm.get(app_id).state is IdmState.ACTIVE:
        hub.idm.deactivate(app_id)
    hub.idm.configure(app_id, base_url=urls.provider + PROFITCO_PATH, token=scim_key)
    hub.idm.activate(app_id)
    return scim_key, _fresh_api_key(hub)


def ensure_admin(hub: Hub, urls: DemoUrls) -> str:
    """Create the web UI admin ``admin`` with a random password unless it exists; the line
    that says where the UI is and how to sign in."""
    where = f"Web UI: {urls.hub}/ui/"
    try:
        hub.admins.get(DEMO_ADMIN)
    except NotFound:
        password = secrets.token_urlsafe(12)
        hub.admins.create(DEMO_ADMIN, password)
        return f"{where}  ({DEMO_ADMIN} / {password})"
    return (
        f"{where}  (admin exists; to set its password: .venv/bin/scimhub admin passwd {DEMO_ADMIN})"
    )


def _fresh_scim_key(store: TenantStore, tenant: str) -> str:
    try:
        store.get_tenant(tenant)
    except TenantError:
        store.create_tenant(tenant, "profitco")
    for old in store.list_tokens(tenant):
        if old.label == DEMO_LABEL and old.revoked is None:
            store.revoke_token(old.id)
    value, _ = store.create_token(tenant, label=DEMO_LABEL)
    return value


def _fresh_api_key(hub: Hub) -> str:
    for old in hub.api_keys.list():
        if old.label == DEMO_LABEL and old.revoked is None:
            hub.api_keys.revoke(old.id)
    key, _ = hub.api_keys.create(DEMO_LABEL)
    return key


def _ensure_directory(hub: Hub) -> None:
    for username, first, last, department, title in USERS:
        if hub.users.find_by_username(username) is None:
            hub.users.add(
                username=username,
                email=username,
                firstname=first,
                lastname=last,
                department=department,
                job_title=title,
            )
    for name, members in GROUPS.items():
        try:
            hub.groups.get(name)
        except NotFound:
            hub.groups.add(name=name, description=f"Demo group: {name}")
        hub.groups.add_members(name, list(members))


def _ensure_application(hub: Hub) -> str:
    try:
        return hub.applications.get(APP_LABEL).id
    except NotFound:
        app = hub.applications.create(
            catalog_key="profitco",
            label=APP_LABEL,
            description="Demo: Profit.co served by scimhub's own provider (profitco profile)",
        )
        return app.id


def describe(urls: DemoUrls, scim_key: str, api_key: str) -> str:
    """Where everything is, for the terminal."""
    lines = [
        "",
        "scimhub is running.",
        f"  Hub REST API       : {urls.hub}/api/v1   (OpenAPI: {urls.hub}/openapi.json,"
        f" docs: {urls.hub}/docs)",
        f"  Hub API key        : {api_key}",
        f"  SCIM provider      : {urls.provider}/scim/v2  (tenant '{urls.tenant}',"
        " profitco profile)",
        f"  Profit.co path     : {urls.provider}{PROFITCO_PATH}",
        f"  Provider SCIM key  : {scim_key}",
        f"  Demo application   : '{APP_LABEL}', IdM integration active against the provider",
        "  Demo groups        : Engineering (3 users), Sales (2 users); alan@example.com in none",
        "",
        "Try it: bind a group and watch its users appear in the provider (the hub runs a",
        "provisioning worker; a change reaches the provider within a second or two):",
        f"  .venv/bin/scimhub apps bind '{APP_LABEL}' Engineering",
        f"  curl -H 'Authorization: Bearer {scim_key}' {urls.provider}/scim/v2/Users",
        "  .venv/bin/scimhub users suspend ada@example.com      # active=false in the provider",
        f"  .venv/bin/scimhub log --app '{APP_LABEL}'",
        f"  .venv/bin/scimhub sync '{APP_LABEL}'                 # the engine's state",
        f"  curl -H 'Authorization: Bearer {api_key}' {urls.hub}/api/v1/applications",
        f"  .venv/bin/scimhub apps show '{APP_LABEL}'",
        "",
    ]
    return "\n".join(lines)
