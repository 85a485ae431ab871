"""`scimhub import APP`: list an application's users as New or Imported, and import them.

Fewer than 100 users are imported at once with a line per user; more run as a job, which
this command runs itself with a progress bar (a job already run by a worker is followed
instead). Exit status: 0, 1 on an error, 3 when some users could not be imported.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import sys
import time

import click

from scimhub.hub import Hub
from scimhub.provisioning.importing import Candidate, ImportJob, ItemResult

from .hubctx import pass_hub
from .options import json_option
from .output import echo_json

__all__ = ["import_users"]

_STATUS = {"new": "New", "imported": "Imported"}
_POLL_SECONDS = 0.5


@click.command("import")
@click.argument("app_ref", metavar="APP")
@click.option("--list", "listing", is_flag=True, help="List the application's users")
@click.option("--new-only", is_flag=True, help="With --list: only the New users")
@click.option("--users", "usernames", multiple=True, help="userNames to import (repeat or comma)")
@click.option("--all-new", is_flag=True, help="Import every New user")
@click.option("--notify", multiple=True, help="Email the summary of a large import here")
@click.option("--no-wait", is_flag=True, help="Leave a large import to the worker")
@click.option("--job", "job_id", default=None, help="Show (and follow) an import job")
@click.option("--resume", "resume_id", default=None, help="Resume a failed import job")
@click.option("--cancel", "cancel_id", default=None, help="Cancel an import job")
@json_option
@pass_hub
def import_users(
    hub: Hub,
    app_ref: str,
    listing: bool,
    new_only: bool,
    usernames: tuple[str, ...],
    all_new: bool,
    notify: tuple[str, ...],
    no_wait: bool,
    job_id: str | None,
    resume_id: str | None,
    cancel_id: str | None,
    as_json: bool,
) -> None:
    """Import users who exist in application APP into the directory."""
    names = [n.strip() for value in usernames for n in value.split(",") if n.strip()]
    if listing:
        _list(hub, app_ref, new_only, as_json)
    elif cancel_id:
        _show(hub.imports.cancel(app_ref, cancel_id, by=_who()), as_json)
    elif job_id or resume_id:
        job = (
            hub.imports.resume(app_ref, resume_id)
            if resume_id
            else hub.imports.job(app_ref, job_id or "")
        )
        _follow(hub, app_ref, job, wait=bool(resume_id) and not no_wait, as_json=as_json)
    elif names or all_new:
        started = hub.imports.start(
            app_ref, usernames=names, all_new=all_new, requested_by=_who(), notify=notify
        )
        click.echo(started.warning, err=True)
        if started.job is None:
            _results(started.results or [], as_json)
        else:
            _follow(hub, app_ref, started.job, wait=not no_wait, as_json=as_json)
    else:
        raise click.UsageError("Give --list, --users, --all-new, --job, --resume or --cancel")


def _list(hub: Hub, app_ref: str, new_only: bool, as_json: bool) -> None:
    start: int | None = 1
    counts = {"new": 0, "imported": 0}
    rows: list[dict[str, object]] = []
    if not as_json:
        click.echo(f"{'STATUS':9} {'USERNAME':32} {'EMAIL':32} {'NAME':24} REMOTE ID")
    while start is not None:
        page = hub.imports.candidates(app_ref, start=start, count=200, new_only=new_only)
        for c in page.candidates:
            counts[c.status] += 1
            if as_json:
                rows.append(_row(c))
            else:
                click.echo(_line(c))
        start = page.next_start
    if as_json:
        echo_json(rows)
        return
    shown = (
        f"{counts['new']} New"
        if new_only
        else f"{counts['new']} New, {counts['imported']} Imported"
    )
    click.echo(f"{sum(counts.values())} users: {shown}")


def _line(c: Candidate) -> str:
    r = c.remote
    note = f"  ({c.conflict})" if c.conflict else ""
    name = r.printable_name or "(no userName)"
    return f"{_STATUS[c.status]:9} {name:32} {r.email:32} {r.display_name:24} {r.remote_id}{note}"


def _row(c: Candidate) -> dict[str, object]:
    r = c.remote
    return {
        "status": _STATUS[c.status],
        "username": r.printable_name,
        "email": r.email,
        "name": r.display_name,
        "remote_id": r.remote_id,
        "match": c.match,
        "directory_user": c.directory_username,
        "conflict": c.conflict,
    }


def _results(results: list[ItemResult], as_json: bool) -> None:
    if as_json:
        echo_json([dataclasses.asdict(r) for r in results])
    for r in results if not as_json else ():
        reason = f": {r.reason}" if r.reason else ""
        click.echo(f"{r.outcome:8} {r.username or '(no userName)'}{reason}")
    created = sum(1 for r in results if r.outcome == "created")
    failed = sum(1 for r in results if r.outcome == "failed")
    click.echo(
        f"{created} created, {len(results) - created - failed} skipped, {failed} failed", err=True
    )
    if failed:
        sys.exit(3)


def _follow(hub: Hub, app_ref: str, job: ImportJob, *, wait: bool, as_json: bool) -> None:
    """Run the job here with a progress bar (or follow the worker running it)."""
    if wait and not job.finished:
        job = _run_with_bar(hub, app_ref, job)
    _show(job, as_json)
    if job.state in ("failed", "cancelled") or job.failed:
        sys.exit(3 if job.state == "completed" else 1)


def _show(job: ImportJob, as_json: bool) -> None:
    if as_json:
        echo_json(dataclasses.asdict(job))
    else:
        _describe(job)


def _run_with_bar(hub: Hub, app_ref: str, job: ImportJob) -> ImportJob:
    owner = f"cli:{socket.gethostname()[:30]}:{os.getpid()}"
    length = job.total or 0
    label = f"Importing ({job.id[:8]})"
    with click.progressbar(length=length or 1, label=label, file=sys.stderr) as bar:

        def progress(current: ImportJob) -> None:
            if current.total and current.total != bar.length:
                bar.length = current.total
            bar.update(max(0, current.progressed - bar.pos))

        while not job.finished:
            ran = hub.imports.run(job.id, owner, progress)
            job = ran if ran is not None else hub.imports.job(app_ref, job.id)
            if ran is None and not job.finished:  # a worker runs it: follow
                progress(job)
                time.sleep(_POLL_SECONDS)
    return job


def _describe(job: ImportJob) -> None:
    click.echo(f"job {job.id}: {job.state}")
    click.echo(
        f"  created {job.created}, skipped {job.skipped}, failed {job.failed}"
        + (f", listed {job.listed}" if job.kind == "all_new" else "")
    )
    if job.state == "cancelled":
        click.echo(f"  {job.error}")
    elif job.error:
        click.echo(f"  stopped: {job.error}")
        click.echo(f"  resume with: scimhub import APP --resume {job.id}")
    if job.email_state != "pending" or job.finished:
        detail = f" ({job.email_error})" if job.email_error else ""
        click.echo(f"  summary email: {job.email_state}{detail}")


def _who() -> str:
    return f"CLI {os.environ.get('USER', 'admin')}@{socket.gethostname()}"[:200]
