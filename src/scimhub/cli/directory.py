"""`scimhub users`, `scimhub groups`: the directory's users, user groups and memberships."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path

import click

from scimhub.directory.csv_import import CsvReport, import_csv
from scimhub.directory.models import DirectoryGroup, DirectoryUser, MembershipChange, UserState
from scimhub.hub import Hub

from .hubctx import pass_hub
from .options import after_option, json_option, limit_option, yes_option
from .output import echo_json, report_change, when

__all__ = ["groups", "users"]

#: `users import` exit status when some rows failed and the others were imported.
PARTIAL_IMPORT = 3

_STATE = click.Choice([s.value for s in UserState], case_sensitive=False)


@click.group()
def users() -> None:
    """Directory users and their states (STAGED, ACTIVATED, SUSPENDED)."""


@users.command("add")
@click.argument("username")
@click.option("--email", required=True)
@click.option("--firstname", default="")
@click.option("--lastname", default="")
@click.option("--department", default="")
@click.option("--job-title", default="")
@click.option("--state", type=_STATE, default=UserState.ACTIVATED.value, show_default=True)
@pass_hub
def users_add(hub: Hub, username: str, **fields: str) -> None:
    """Create the user USERNAME."""
    user = hub.users.add(username=username, **fields)
    click.echo(f"Created user '{user.username}' ({user.state}) id={user.id}")


@users.command("list")
@click.option("--search", "q", default=None, help="Prefix of username, email or a name")
@click.option("--state", type=_STATE, default=None)
@limit_option
@after_option
@json_option
@pass_hub
def users_list(
    hub: Hub, q: str | None, state: str | None, limit: int, after: str | None, as_json: bool
) -> None:
    """Users by username, a page at a time (tab-separated)."""
    page = hub.users.list(q=q, state=state, limit=limit, after=after)
    if as_json:
        echo_json(page)
        return
    _user_table(page.items, page.next_cursor)


@users.command("show")
@click.argument("ref")
@json_option
@pass_hub
def users_show(hub: Hub, ref: str, as_json: bool) -> None:
    """A user (by id or username) and the groups they belong to."""
    user = hub.users.get(ref)
    member_of = hub.groups.groups_of(user.id)
    if as_json:
        echo_json(asdict(user) | {"groups": [{"id": g.id, "name": g.name} for g in member_of]})
        return
    _print_user(user)
    click.echo(f"groups     : {', '.join(g.name for g in member_of) or 'none'}")


@users.command("edit")
@click.argument("ref")
@click.option("--username", default=None)
@click.option("--email", default=None)
@click.option("--firstname", default=None)
@click.option("--lastname", default=None)
@click.option("--department", default=None)
@click.option("--job-title", default=None)
@pass_hub
def users_edit(hub: Hub, ref: str, **fields: str | None) -> None:
    """Change a user's attributes (only the options given; '' clears a name)."""
    given = {k: v for k, v in fields.items() if v is not None}
    if not given:
        raise click.UsageError("Give at least one attribute to change, e.g. --department")
    user = hub.users.edit(ref, **given)
    click.echo(f"Updated user '{user.username}'")


@users.command("suspend")
@click.argument("ref")
@pass_hub
def users_suspend(hub: Hub, ref: str) -> None:
    """ACTIVATED -> SUSPENDED (a STAGED user cannot be suspended)."""
    user = hub.users.suspend(ref)
    click.echo(f"User '{user.username}' is {user.state}")


@users.command("activate")
@click.argument("ref")
@pass_hub
def users_activate(hub: Hub, ref: str) -> None:
    """STAGED or SUSPENDED -> ACTIVATED."""
    user = hub.users.activate(ref)
    click.echo(f"User '{user.username}' is {user.state}")


@users.command("delete")
@click.argument("ref")
@yes_option
@pass_hub
def users_delete(hub: Hub, ref: str, yes: bool) -> None:
    """Delete a user and their group memberships."""
    if not yes:
        click.confirm(f"Delete user '{ref}'?", abort=True)
    user = hub.users.delete(ref)
    click.echo(f"Deleted user '{user.username}'")


@users.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--state", type=_STATE, default=UserState.ACTIVATED.value, help="For rows without a state"
)
@pass_hub
def users_import(hub: Hub, file: Path, state: str) -> None:
    """Create users from a UTF-8 CSV FILE with a header row.

    Each row goes in on its own; a bad row is reported and leaves nothing behind. Exit
    status: 0 when every row was imported, 1 when the file was refused as a whole (nothing
    written), 3 when some rows failed and the others were imported.
    """
    with file.open(encoding="utf-8-sig", newline="") as lines:
        report = import_csv(hub.users, lines, default_state=UserState(state.upper()))
    _print_report(report)
    if report.errors:
        sys.exit(PARTIAL_IMPORT)


@click.group()
def groups() -> None:
    """User groups and their members."""


@groups.command("add")
@click.argument("name")
@click.option("--description", default="")
@pass_hub
def groups_add(hub: Hub, name: str, description: str) -> None:
    """Create the user group NAME."""
    group = hub.groups.add(name=name, description=description)
    click.echo(f"Created group '{group.name}' id={group.id}")


@groups.command("list")
@click.option("--search", "q", default=None, help="Prefix of the name")
@limit_option
@after_option
@json_option
@pass_hub
def groups_list(hub: Hub, q: str | None, limit: int, after: str | None, as_json: bool) -> None:
    """Groups by name, a page at a time (tab-separated)."""
    page = hub.groups.list(q=q, limit=limit, after=after)
    if as_json:
        echo_json(page)
        return
    click.echo("ID\tNAME\tMEMBERS\tDESCRIPTION")
    for g in page.items:
        click.echo(f"{g.id}\t{g.name}\t{g.member_count}\t{g.description}")
    _next(page.next_cursor)


@groups.command("show")
@click.argument("ref")
@limit_option
@after_option
@json_option
@pass_hub
def groups_show(hub: Hub, ref: str, limit: int, after: str | None, as_json: bool) -> None:
    """A group (by id or name) and a page of its members."""
    group = hub.groups.get(ref)
    page = hub.groups.members(group.id, limit=limit, after=after)
    bound = hub.bindings.applications_of_group(group.id)
    if as_json:
        apps = [{"id": app_id, "label": label} for app_id, label in bound]
        extra = {"applications": apps, "members": page.items, "next_cursor": page.next_cursor}
        echo_json(asdict(group) | extra)
        return
    _print_group(group)
    click.echo("applications: " + (", ".join(label for _, label in bound) or "none bound"))
    _user_table(page.items, page.next_cursor)


@groups.command("edit")
@click.argument("ref")
@click.option("--name", default=None, help="A new name")
@click.option("--description", default=None)
@pass_hub
def groups_edit(hub: Hub, ref: str, name: str | None, description: str | None) -> None:
    """Rename a group or change its description."""
    group = hub.groups.edit(ref, name=name, description=description)
    click.echo(f"Updated group '{group.name}'")


@groups.command("delete")
@click.argument("ref")
@yes_option
@pass_hub
def groups_delete(hub: Hub, ref: str, yes: bool) -> None:
    """Delete a group; its members stay in the directory."""
    if not yes:
        click.confirm(f"Delete group '{ref}'?", abort=True)
    group = hub.groups.delete(ref)
    click.echo(f"Deleted group '{group.name}' ({group.member_count} members removed)")


@groups.group("members")
def members() -> None:
    """Add or remove a group's members (all or nothing)."""


@members.command("add")
@click.argument("group")
@click.argument("user_refs", metavar="USER...", nargs=-1, required=True)
@pass_hub
def members_add(hub: Hub, group: str, user_refs: tuple[str, ...]) -> None:
    """Add users (ids or usernames) to GROUP."""
    _print_change(hub.groups.add_members(group, list(user_refs)), "Added", "already members")


@members.command("remove")
@click.argument("group")
@click.argument("user_refs", metavar="USER...", nargs=-1, required=True)
@pass_hub
def members_remove(hub: Hub, group: str, user_refs: tuple[str, ...]) -> None:
    """Remove users (ids or usernames) from GROUP."""
    _print_change(hub.groups.remove_members(group, list(user_refs)), "Removed", "not members")


def _user_table(items: list[DirectoryUser], cursor: str | None) -> None:
    click.echo("ID\tUSERNAME\tEMAIL\tFIRSTNAME\tLASTNAME\tSTATE")
    for u in items:
        click.echo(f"{u.id}\t{u.username}\t{u.email}\t{u.firstname}\t{u.lastname}\t{u.state}")
    _next(cursor)


def _next(cursor: str | None) -> None:
    if cursor:
        click.echo(f"next page: --after {cursor}")


def _print_user(u: DirectoryUser) -> None:
    click.echo(f"id         : {u.id}\nusername   : {u.username}\nemail      : {u.email}")
    click.echo(f"firstname  : {u.firstname}\nlastname   : {u.lastname}")
    click.echo(f"department : {u.department}\njob title  : {u.job_title}\nstate      : {u.state}")
    click.echo(f"created    : {when(u.created)}\nupdated    : {when(u.updated)}")


def _print_group(g: DirectoryGroup) -> None:
    click.echo(f"id          : {g.id}\nname        : {g.name}\ndescription : {g.description}")
    click.echo(f"members     : {g.member_count}\ncreated     : {when(g.created)}")


def _print_change(change: MembershipChange, done: str, already: str) -> None:
    changed = [u.username for u in change.changed]
    report_change(done, already, changed, [u.username for u in change.unchanged])
    click.echo(f"Group '{change.group.name}' has {change.group.member_count} members")


def _print_report(report: CsvReport) -> None:
    for e in report.errors:
        who = f" ({e.username})" if e.username else ""
        click.echo(f"line {e.line}{who}: {e.detail}", err=True)
    click.echo(f"{len(report.created)} created, {len(report.errors)} failed")
