"""`scimhub serve` (the hub: API and a provisioning worker), `scimhub worker` (workers
only, to share one PostgreSQL) and `scimhub apikey` (keys for the hub's REST API)."""

from __future__ import annotations

import click

from scimhub.config import Settings
from scimhub.hub import Hub

from .hubctx import open_hub, pass_hub
from .output import when

__all__ = ["apikey", "serve", "serve_hub", "worker"]


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--no-worker", is_flag=True, help="API only (run `scimhub worker` elsewhere)")
@click.pass_obj
def serve(settings: Settings, host: str, port: int, no_worker: bool) -> None:
    """Run the hub: its REST API (OpenAPI at /openapi.json, docs at /docs), the admin web
    UI at /ui/ and a provisioning worker in the same process."""
    serve_hub(open_hub(settings), host, port, worker=not no_worker)


def serve_hub(hub: Hub, host: str, port: int, *, worker: bool = True) -> None:
    """The REST API and the web UI (``compose_app``), with a provisioning worker."""
    import uvicorn

    from .server import compose_app

    app = compose_app(hub)
    running = hub.worker() if worker else None
    if running is not None:
        running.start()
    try:
        uvicorn.run(app, host=host, port=port, log_level="info", access_log=False)
    finally:
        if running is not None:
            running.stop()


@click.command()
@click.pass_obj
def worker(settings: Settings) -> None:
    """Run provisioning workers only. Any number of them, on any number of machines, can
    share one PostgreSQL database: they claim work with row locks, never twice."""
    import logging
    import signal
    import threading

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    running = open_hub(settings).worker()
    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopped.set())
    running.start()
    click.echo(f"worker {running.owner} running; Ctrl-C to stop", err=True)
    stopped.wait()
    running.stop()


@click.group()
def apikey() -> None:
    """Keys for the hub's REST API. A key is shown once, when it is created."""


@apikey.command("create")
@click.option("--label", default=None)
@pass_hub
def apikey_create(hub: Hub, label: str | None) -> None:
    """Print a new API key, alone on standard output."""
    key, info = hub.api_keys.create(label)
    click.echo(f"Created API key {info.prefix}…", err=True)
    click.echo(key)


@apikey.command("list")
@pass_hub
def apikey_list(hub: Hub) -> None:
    click.echo("PREFIX\tLABEL\tCREATED\tLAST USED\tSTATUS")
    for k in hub.api_keys.list():
        status = "revoked" if k.revoked else "active"
        click.echo(
            f"{k.prefix}\t{k.label or '-'}\t{when(k.created)}\t{when(k.last_used)}\t{status}"
        )


@apikey.command("revoke")
@click.argument("prefix_or_id")
@pass_hub
def apikey_revoke(hub: Hub, prefix_or_id: str) -> None:
    k = hub.api_keys.revoke(prefix_or_id)
    click.echo(f"Revoked API key {k.prefix}…")
