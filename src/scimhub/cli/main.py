"""`scimhub`: the command line entry point. Settings are built here and passed down."""

from __future__ import annotations

import click

from scimhub.config import Settings
from scimhub.storage import migrate
from scimhub.storage.db import make_engine

from .apps import apps, catalog
from .hub_commands import apikey, serve
from .provider import provider


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
    engine = make_engine(settings.resolved_database_url)
    migrate.upgrade(engine)
    click.echo(f"Database is up to date: {engine.url.render_as_string(hide_password=True)}")


cli.add_command(provider)
cli.add_command(serve)
cli.add_command(apikey)
cli.add_command(catalog)
cli.add_command(apps)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--tenant", default="demo", show_default=True)
@click.option("--profile", default="profitco", show_default=True)
@click.pass_obj
def demo(settings: Settings, host: str, port: int, tenant: str, profile: str) -> None:
    """Upgrade the database, ensure a demo tenant, issue a token and start the provider."""
    from .provider import ensure_demo, serve_provider

    token = ensure_demo(settings, tenant, profile)
    base = f"http://{host}:{port}/scim/v2"
    click.echo(f"\nscimhub SCIM 2.0 provider: tenant '{tenant}' ({profile} profile)")
    click.echo(f"  base URL : {base}")
    click.echo(f"  also at  : http://{host}:{port}/app/rest/platform/auth/scim/v2 (Profit.co)")
    click.echo(f"  token    : {token}")
    click.echo("\nTry it:")
    click.echo(f"  curl -H 'Authorization: Bearer {token}' {base}/Users\n")
    serve_provider(settings, host, port)


def main() -> None:
    cli()
