"""`scimhub sync`: provision one user now, show the plan, or steer the engine by hand."""

from __future__ import annotations

import click

from scimhub.applications.capabilities import printable
from scimhub.hub import Hub
from scimhub.provisioning.links import Link
from scimhub.provisioning.log import LogEntry
from scimhub.provisioning.service import ProvisioningStatus

from .hubctx import pass_hub
from .options import json_option
from .output import echo_json, when

__all__ = ["sync"]


@click.command()
@click.argument("app_ref", metavar="APP")
@click.option("--user", "username", default=None, help="Provision this user now, step by step")
@click.option("--dry-run", is_flag=True, help="Print the plan; write nothing to the target")
@click.option("--resume", is_flag=True, help="End a quarantine or pause by hand")
@click.option("--confirm-deprovision", is_flag=True, help="Let the guarded deprovisionings go")
@click.option("--reconcile", is_flag=True, help="Compare every user with the target now")
@json_option
@pass_hub
def sync(
    hub: Hub,
    app_ref: str,
    username: str | None,
    dry_run: bool,
    resume: bool,
    confirm_deprovision: bool,
    reconcile: bool,
    as_json: bool,
) -> None:
    """Provisioning of one application: without options, its state."""
    engine = hub.provisioning
    if dry_run:
        _dry_run(hub, app_ref, username)
    elif username is not None:
        link = engine.sync_user(app_ref, username, observer=_step)
        _report_link(username, link)
    elif resume:
        _show(engine.resume(app_ref), as_json)
    elif confirm_deprovision:
        _show(engine.confirm_deprovision(app_ref), as_json)
    elif reconcile:
        _show(engine.reconcile(app_ref), as_json)
    else:
        _show(engine.status(app_ref), as_json)


def _dry_run(hub: Hub, app_ref: str, username: str | None) -> None:
    counts: dict[str, int] = {}

    def planned(entry: LogEntry) -> None:
        if username and (entry.username or "").casefold() != username.casefold():
            return
        if entry.action != "lookup":
            counts[entry.action] = counts.get(entry.action, 0) + 1
            _step(entry)

    click.echo("Dry run: nothing is written to the target.")
    hub.provisioning.dry_run(app_ref, planned)
    summary = ", ".join(f"{n} {a}" for a, n in sorted(counts.items())) or "nothing to do"
    click.echo(f"Plan: {summary}")


def _step(entry: LogEntry) -> None:
    took = "" if entry.elapsed_ms is None else f" ({entry.elapsed_ms} ms)"
    http = "" if entry.http_status is None else f" HTTP {entry.http_status}"
    user = printable(entry.username or "-", 64)
    line = f"{user:<24} {entry.action:<10} {entry.status:<8} {printable(entry.summary, 200)}"
    click.echo(f"{line}{http}{took}")
    if entry.message:
        click.echo(f"{'':<24} {printable(entry.message, 400)}")


def _report_link(username: str, link: Link | None) -> None:
    if link is None:
        click.echo(f"{username}: not in scope and never provisioned; nothing to do")
        return
    remote = link.remote_id or "-"
    click.echo(f"{username}: {link.remote_state} (remote id {remote})")
    if link.error:
        click.echo(f"last error: {link.error}")


def _show(status: ProvisioningStatus, as_json: bool) -> None:
    if as_json:
        echo_json(status)
        return
    click.echo(f"integration:   {status.integration}")
    click.echo(
        f"engine:        {status.state}" + (f" since {when(status.since)}" if status.since else "")
    )
    if status.reason:
        click.echo(f"reason:        {status.reason}")
    if status.hold_until:
        click.echo(f"held until:    {when(status.hold_until)} (Retry-After)")
    click.echo(f"provisioned:   {status.provisioned}   deprovisioned: {status.deprovisioned}")
    click.echo(f"pending:       {status.pending}   in error: {status.errors}")
    click.echo(f"reconciled:    {when(status.last_reconcile)} (next {when(status.next_reconcile)})")
