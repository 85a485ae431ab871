"""`scimhub apps idm`: the Identity Management (SCIM provisioning) integration of an app."""

from __future__ import annotations

import sys
from dataclasses import asdict

import click

from scimhub.applications.idm import VerificationFailed
from scimhub.applications.models import IdmStatus
from scimhub.hub import Hub

from .hubctx import pass_hub
from .options import json_option, yes_option
from .output import echo_json, when

__all__ = ["idm", "idm_json", "print_idm"]


@click.group()
def idm() -> None:
    """The Identity Management (SCIM provisioning) integration."""


@idm.command("show")
@click.argument("app_ref")
@json_option
@pass_hub
def idm_show(hub: Hub, app_ref: str, as_json: bool) -> None:
    """The integration's state, base URL, token (last four characters) and last check."""
    status = hub.idm.get(app_ref)
    if as_json:
        echo_json(idm_json(status))
        return
    print_idm(status)


def idm_json(status: IdmStatus) -> dict[str, object]:
    """The integration for JSON output: the token only as its hint."""
    fields = asdict(status)
    del fields["token_last4"]
    return fields | {"token_hint": status.token_hint}


@idm.command("configure")
@click.argument("app_ref")
@click.option("--region", default=None, help="A region of the connector, e.g. default or eu")
@click.option("--base-url", default=None, help="A typed base URL instead of a region")
@click.option("--token-stdin", is_flag=True, help="Read the token from standard input")
@click.option("--ask-token", is_flag=True, help="Prompt for the token (hidden)")
@click.option("--option", "options", multiple=True, metavar="KEY=true|false")
@click.option("--activate", "then_activate", is_flag=True, help="Activate after configuring")
@pass_hub
def idm_configure(
    hub: Hub,
    app_ref: str,
    region: str | None,
    base_url: str | None,
    token_stdin: bool,
    ask_token: bool,
    options: tuple[str, ...],
    then_activate: bool,
) -> None:
    """Set the base URL (region or typed) and the token; the token is never printed."""
    token = _read_token(token_stdin, ask_token)
    status = hub.idm.configure(
        app_ref,
        region=region,
        base_url=base_url,
        token=token,
        options=_parse_options(options) if options else None,
    )
    click.echo("Saved the IdM configuration.")
    if then_activate:
        _activate(hub, status.app_id)
    else:
        print_idm(status)


@idm.command("activate")
@click.argument("app_ref")
@pass_hub
def idm_activate(hub: Hub, app_ref: str) -> None:
    """Verify the connection, and activate only if it is verified."""
    _activate(hub, app_ref)


@idm.command("test")
@click.argument("app_ref")
@pass_hub
def idm_test(hub: Hub, app_ref: str) -> None:
    """Check the connection with the saved base URL and token, without activating."""
    verification, _ = hub.idm.test_connection(app_ref)
    if not verification.ok:
        click.echo(f"Not verified ({verification.outcome}): {verification.message}", err=True)
        sys.exit(1)
    click.echo(f"Verified in {verification.elapsed_ms:.0f} ms: {verification.message}")


@idm.command("deactivate")
@click.argument("app_ref")
@yes_option
@pass_hub
def idm_deactivate(hub: Hub, app_ref: str, yes: bool) -> None:
    """Deactivate the IdM connection: provisioning stops, remote users stay as they are."""
    if not yes:
        click.confirm("Deactivate the IdM connection?", abort=True)
    hub.idm.deactivate(app_ref)
    click.echo("The IdM connection is deactivated.")


def _activate(hub: Hub, app_ref: str) -> None:
    try:
        result = hub.idm.activate(app_ref)
    except VerificationFailed as exc:
        click.echo(f"Not activated ({exc.verification.outcome}): {exc.detail}", err=True)
        sys.exit(1)
    click.echo(result.message)
    print_idm(result.status)


def _read_token(token_stdin: bool, ask_token: bool) -> str | None:
    if token_stdin:
        return sys.stdin.readline().strip()
    if ask_token:
        return str(click.prompt("Token", hide_input=True))
    return None


def _parse_options(pairs: tuple[str, ...]) -> dict[str, bool]:
    parsed: dict[str, bool] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or value.lower() not in ("true", "false"):
            raise click.BadParameter(f"'{pair}' is not KEY=true|false", param_hint="--option")
        parsed[key] = value.lower() == "true"
    return parsed


def print_idm(s: IdmStatus) -> None:
    click.echo(
        f"IdM state     : {s.state}\nbase URL      : {s.base_url or '-'}"
        + (f" (region {s.region})" if s.region else "")
    )
    click.echo(f"token         : {s.token_hint or 'not set'}")
    options = ", ".join(f"{k}={'true' if v else 'false'}" for k, v in s.options.items())
    click.echo(f"options       : {options or '-'}\nverified at   : {when(s.verified_at)}")
    if s.last_check:
        click.echo(f"last check    : {s.last_check['outcome']}: {s.last_check['message']}")
