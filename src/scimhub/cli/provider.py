"""`scimhub provider ...`: serve the SCIM provider, manage tenants and SCIM keys."""

from __future__ import annotations

import sys

import click

from scimhub.config import Settings
from scimhub.provider.profiles import PROFILES
from scimhub.storage.db import make_engine
from scimhub.storage.tenants import TenantError, TenantStore


def _tenants(settings: Settings) -> TenantStore:
    return TenantStore(make_engine(settings.resolved_database_url))


def _fail(exc: Exception) -> None:
    click.echo(f"error: {exc}", err=True)
    sys.exit(1)


@click.group()
def provider() -> None:
    """The SCIM 2.0 service provider."""


@provider.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--access-log/--no-access-log", default=False, show_default=True)
@click.pass_obj
def serve(settings: Settings, host: str, port: int, access_log: bool) -> None:
    """Start the provider (one process; run the schema upgrade first)."""
    serve_provider(settings, host, port, access_log=access_log)


def serve_provider(settings: Settings, host: str, port: int, access_log: bool = False) -> None:
    """Serve with granian (one worker): the fastest ASGI server that installs here.

    The worker builds its Settings from the same ``SCIMHUB_*`` environment as ``settings``.
    """
    from granian.constants import Interfaces, Loops
    from granian.server import Server

    del settings  # read again from the environment by the worker
    Server(
        "scimhub.provider.asgi:app_from_env",
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        loop=Loops.uvloop,
        workers=1,
        factory=True,
        log_access=access_log,
    ).serve()


@provider.group()
def tenant() -> None:
    """Provider tenants: each has its own users, groups and SCIM keys."""


@tenant.command("create")
@click.argument("name")
@click.option(
    "--profile", type=click.Choice(sorted(PROFILES)), default="generic", show_default=True
)
@click.pass_obj
def tenant_create(settings: Settings, name: str, profile: str) -> None:
    try:
        t = _tenants(settings).create_tenant(name, profile)
    except TenantError as exc:
        _fail(exc)
    click.echo(f"Created tenant '{t.name}' ({t.profile}) id={t.id}")


@tenant.command("list")
@click.pass_obj
def tenant_list(settings: Settings) -> None:
    for t in _tenants(settings).list_tenants():
        click.echo(f"{t.name}\t{t.profile}\t{t.id}\t{t.created:%Y-%m-%d %H:%M}")


@provider.group()
def token() -> None:
    """SCIM keys (bearer tokens). A key is shown once, when it is created."""


@token.command("create")
@click.argument("tenant_name", metavar="TENANT")
@click.option("--label", default=None)
@click.pass_obj
def token_create(settings: Settings, tenant_name: str, label: str | None) -> None:
    """Print a new token for TENANT, alone on standard output."""
    try:
        value, info = _tenants(settings).create_token(tenant_name, label)
    except TenantError as exc:
        _fail(exc)
    click.echo(f"Created SCIM key {info.prefix}… for tenant '{info.tenant_name}'", err=True)
    click.echo(value)


@token.command("list")
@click.option("--tenant", "tenant_name", default=None)
@click.pass_obj
def token_list(settings: Settings, tenant_name: str | None) -> None:
    """Tokens by prefix, creation time and last use."""
    click.echo("PREFIX\tTENANT\tCREATED\tLAST USED\tSTATUS")
    for t in _tenants(settings).list_tokens(tenant_name):
        used = f"{t.last_used:%Y-%m-%d %H:%M}" if t.last_used else "never"
        status = "revoked" if t.revoked else "active"
        click.echo(f"{t.prefix}\t{t.tenant_name}\t{t.created:%Y-%m-%d %H:%M}\t{used}\t{status}")


@token.command("revoke")
@click.argument("prefix_or_id")
@click.pass_obj
def token_revoke(settings: Settings, prefix_or_id: str) -> None:
    """Revoke the token whose prefix (as listed) or id is given."""
    try:
        t = _tenants(settings).revoke_token(prefix_or_id)
    except TenantError as exc:
        _fail(exc)
    click.echo(f"Revoked {t.prefix}… of tenant '{t.tenant_name}'")
