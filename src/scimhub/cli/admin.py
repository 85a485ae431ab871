"""`scimhub admin`: the web UI's admin accounts (argon2id password hashes)."""

from __future__ import annotations

import sys

import click

from scimhub.hub import Hub
from scimhub.storage.admin_accounts import MIN_PASSWORD_LENGTH, AdminAccount

from .hubctx import pass_hub
from .options import json_option
from .output import echo_json, when

__all__ = ["admin"]

_password_stdin = click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input"
)


@click.group()
def admin() -> None:
    """Admin accounts for the web UI."""


@admin.command("create")
@click.argument("username")
@_password_stdin
@pass_hub
def create(hub: Hub, username: str, password_stdin: bool) -> None:
    """Create an admin; the password is asked twice (never an argument)."""
    account = hub.admins.create(username, _password(password_stdin))
    click.echo(f"Created admin '{account.username}'")


@admin.command("passwd")
@click.argument("username")
@_password_stdin
@pass_hub
def passwd(hub: Hub, username: str, password_stdin: bool) -> None:
    """Set a new password (failed sign-ins are forgotten)."""
    account = hub.admins.set_password(username, _password(password_stdin))
    click.echo(f"New password set for '{account.username}'")


@admin.command("list")
@json_option
@pass_hub
def list_admins(hub: Hub, as_json: bool) -> None:
    """Every admin, with the last sign-in."""
    accounts = hub.admins.list()
    if as_json:
        echo_json(accounts)
        return
    for a in accounts:
        click.echo(f"{a.username:<32} created {when(a.created)}  last sign-in {_seen(a)}")


@admin.command("delete")
@click.argument("username")
@pass_hub
def delete(hub: Hub, username: str) -> None:
    """Delete an admin account."""
    click.echo(f"Deleted admin '{hub.admins.delete(username).username}'")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    hint = f"Password (at least {MIN_PASSWORD_LENGTH} characters)"
    return str(click.prompt(hint, hide_input=True, confirmation_prompt=True))


def _seen(account: AdminAccount) -> str:
    return when(account.last_sign_in) if account.last_sign_in else "never"
