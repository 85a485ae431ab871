"""`scimhub`: the command line entry point. Settings are built here and passed down."""

from __future__ import annotations

import signal
import sys

import click

from scimhub.config import Settings
from scimhub.storage.db import make_engine

from .admin import admin
from .apps import apps, catalog
from .directory import groups, users
from .hub_commands import apikey, serve, worker
from .imports import import_users
from .log import log
from .mapping import mapping
from .provider import provider
from .sync import sync


@click.group()
@click.pass_context
def cli(ctx: click.Context) -> None:
    """scimhub: identity lifecycle hub and SCIM 2.0 service provider."""
    ctx.obj = Settings()


@cli.group()
def db() -> None:
    """Database schema management."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(settings: Settings) -> None:
    """Create or upgrade the database schema (Alembic)."""
    from scimhub.storage import migrate

    engine = make_engine(settings.resolved_database_url)
    migrate.upgrade(engine)
    click.echo(f"Database is up to date: {engine.url.render_as_string(hide_password=True)}")


cli.add_command(provider)
cli.add_command(serve)
cli.add_command(apikey)
cli.add_command(admin)
cli.add_command(catalog)
cli.add_command(apps)
cli.add_command(users)
cli.add_command(groups)
cli.add_command(log)
cli.add_command(sync)
cli.add_command(worker)
cli.add_command(import_users)
apps.add_command(mapping)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int, help="The hub's port")
@click.option("--provider-port", default=8001, show_default=True, type=int)
@click.option("--tenant", default="demo", show_default=True, help="The provider tenant")
@click.pass_obj
def demo(settings: Settings, host: str, port: int, provider_port: int, tenant: str) -> None:
    """What `make run` starts: the hub, a local Profit.co-like provider and a demo setup."""
    from .demo import DemoUrls, describe, ensure_free, seed_demo, start_provider
    from .hub_commands import serve_hub
    from .hubctx import open_hub

    urls = DemoUrls(f"http://{host}:{port}", f"http://{host}:{provider_port}", tenant)
    hub = open_hub(settings.model_copy(update={"provider_url": urls.provider}))
    ensure_free(host, port)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the provider is stopped too
    child = start_provider(host, provider_port)
    try:
        scim_key, api_key = seed_demo(hub, urls)
        click.echo(describe(urls, scim_key, api_key))
        serve_hub(hub, host, port)
    finally:
        child.terminate()
        child.wait(timeout=10)


def main() -> None:
    cli()
