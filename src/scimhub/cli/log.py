"""`scimhub log`: an application's provisioning log, newest first."""

from __future__ import annotations

import click

from scimhub.applications.capabilities import printable
from scimhub.hub import Hub
from scimhub.provisioning.log import ACTIONS, STATUSES, LogEntry

from .hubctx import pass_hub
from .options import after_option, json_option, limit_option
from .output import echo_json, when

__all__ = ["log"]

_HEADINGS = ("TIME", "USER", "ACTION", "STATUS", "HTTP", "SUMMARY", "MESSAGE")


@click.command()
@click.option("--app", "app_ref", required=True, help="The application (id or label)")
@click.option("--user", default=None, help="A username (any case)")
@click.option("--status", default=None, help=f"One of {', '.join(STATUSES)}")
@click.option("--action", default=None, help=f"One of {', '.join(ACTIONS)}")
@limit_option
@after_option
@json_option
@pass_hub
def log(
    hub: Hub,
    app_ref: str,
    user: str | None,
    status: str | None,
    action: str | None,
    limit: int,
    after: str | None,
    as_json: bool,
) -> None:
    """What provisioning sent to the application, and the outcome, newest first."""
    page = hub.log.list(app_ref, user=user, status=status, action=action, limit=limit, after=after)
    if as_json:
        echo_json({"items": page.items, "next_cursor": page.next_cursor})
        return
    if not page.items:
        click.echo("No log entries match.", err=True)
        return
    _table([_cells(e) for e in page.items])
    if page.next_cursor:
        click.echo(f"next page: --after {page.next_cursor}")


def _cells(e: LogEntry) -> tuple[str, ...]:
    """One row's cells, flattened to one printable line each (a target's message may hold
    newlines or escape sequences)."""
    http = "-" if e.http_status is None else str(e.http_status)
    return (
        when(e.at),
        printable(e.username or "-", 64),
        e.action,
        e.status,
        http,
        printable(e.summary, 120) or "-",
        printable(e.message or "", 200) or "-",
    )


def _table(rows: list[tuple[str, ...]]) -> None:
    """Columns padded to their widest cell; the last column is left ragged."""
    widths = [max(len(cell) for cell in column) for column in zip(_HEADINGS, *rows, strict=True)]
    for row in (_HEADINGS, *rows):
        padded = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=False)]
        click.echo("  ".join([*padded, row[-1]]))
