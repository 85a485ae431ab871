"""`scimhub catalog`, `scimhub apps`: connectors, applications, bindings, IdM integrations."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from scimhub.applications.catalog import search_catalog
from scimhub.applications.idm import VerificationFailed
from scimhub.applications.models import Application, IdmStatus
from scimhub.hub import Hub

from .hubctx import pass_hub
from .output import echo_json, when

__all__ = ["apps", "catalog"]


@click.group()
def catalog() -> None:
    """The connector catalog."""


@catalog.command("search")
@click.argument("text", default="")
@click.option("--json", "as_json", is_flag=True, help="Print JSON")
def catalog_search(text: str, as_json: bool) -> None:
    """Find connectors whose name contains TEXT (all when TEXT is empty)."""
    found = search_catalog(text)
    if as_json:
        echo_json([{"key": e.key, "name": e.name, "protocol": e.protocol} for e in found])
        return
    if not found:
        click.echo(f"No connector matches '{text}'", err=True)
        sys.exit(1)
    for e in found:
        regions = ", ".join(f"{r.key}={r.base_url}" for r in e.regions) or "any base URL"
        click.echo(f"{e.key}\t{e.name}\t{e.protocol}\t{regions}")


@click.group()
def apps() -> None:
    """Applications (SSO Applications in the admin portal)."""


@apps.command("add")
@click.argument("catalog_key")
@click.option("--label", required=True, help="Display label")
@click.option("--description", default="")
@click.option("--show/--hide", "show_in_portal", default=True, help="Show in the user portal")
@click.option("--bookmark-url", default=None)
@click.option("--image", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_hub
def add(
    hub: Hub,
    catalog_key: str,
    label: str,
    description: str,
    show_in_portal: bool,
    bookmark_url: str | None,
    image: Path | None,
) -> None:
    """Create an application from the catalog entry CATALOG_KEY."""
    app = hub.applications.create(
        catalog_key=catalog_key,
        label=label,
        description=description,
        show_in_portal=show_in_portal,
        bookmark_url=bookmark_url,
        image=None if image is None else image.read_bytes(),  # refused: nothing is created
    )
    click.echo(f"Created application '{app.label}' id={app.id}")
    click.echo(f"Configure it: scimhub apps idm configure {app.id} --region ... --token-stdin")


@apps.command("list")
@click.option("--search", "q", default=None)
@click.option("--limit", default=50, show_default=True)
@click.option("--after", default=None, help="Cursor from the previous page")
@pass_hub
def list_apps(hub: Hub, q: str | None, limit: int, after: str | None) -> None:
    page = hub.applications.list(q=q, limit=limit, after=after)
    click.echo("ID\tLABEL\tCONNECTOR\tIDM\tPORTAL")
    for a in page.items:
        portal = "shown" if a.show_in_portal else "hidden"
        click.echo(f"{a.id}\t{a.label}\t{a.catalog_key}\t{a.idm_state}\t{portal}")
    if page.next_cursor:
        click.echo(f"next page: --after {page.next_cursor}")


@apps.command("show")
@click.argument("app_ref")
@pass_hub
def show(hub: Hub, app_ref: str) -> None:
    """An application, its IdM integration and its bound groups."""
    app = hub.applications.get(app_ref)
    _print_app(app)
    _print_idm(hub.idm.get(app.id))
    groups = hub.bindings.list(app.id)
    click.echo(
        "groups        : "
        + (", ".join(f"{b.group_name} ({b.member_count})" for b in groups) or "none bound")
    )


@apps.command("edit")
@click.argument("app_ref")
@click.option("--label", default=None)
@click.option("--description", default=None)
@click.option("--show/--hide", "show_in_portal", default=None)
@click.option("--bookmark-url", default=None, help="Empty to remove")
@click.option("--image", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_hub
def edit(
    hub: Hub,
    app_ref: str,
    label: str | None,
    description: str | None,
    show_in_portal: bool | None,
    bookmark_url: str | None,
    image: Path | None,
) -> None:
    given = {
        "label": label,
        "description": description,
        "show_in_portal": show_in_portal,
        "bookmark_url": bookmark_url,
    }
    app = hub.applications.edit(
        app_ref,
        image=None if image is None else image.read_bytes(),  # refused: nothing is changed
        **{k: v for k, v in given.items() if v is not None},
    )
    click.echo(f"Updated application '{app.label}'")


@apps.command("delete")
@click.argument("app_refs", nargs=-1, required=True)
@click.option(
    "--count",
    "confirm_count",
    type=int,
    default=None,
    help="The number of applications being deleted (asked for if not given)",
)
@pass_hub
def delete(hub: Hub, app_refs: tuple[str, ...], confirm_count: int | None) -> None:
    """Delete applications; type their number to confirm."""
    if confirm_count is None:
        confirm_count = click.prompt("Enter the number of applications you are deleting", type=int)
    gone = hub.applications.delete(list(app_refs), confirm_count=confirm_count)
    for a in gone:
        click.echo(f"Deleted application '{a.label}' ({a.id})")


@apps.command("bind")
@click.argument("app_ref")
@click.argument("groups", nargs=-1, required=True)
@pass_hub
def bind(hub: Hub, app_ref: str, groups: tuple[str, ...]) -> None:
    """Bind user GROUPS to the application: their members become its users."""
    change = hub.bindings.bind(app_ref, list(groups))
    _report_change("Bound", "already bound", change.changed, change.unchanged)


@apps.command("unbind")
@click.argument("app_ref")
@click.argument("groups", nargs=-1, required=True)
@pass_hub
def unbind(hub: Hub, app_ref: str, groups: tuple[str, ...]) -> None:
    change = hub.bindings.unbind(app_ref, list(groups))
    _report_change("Unbound", "not bound", change.changed, change.unchanged)


@apps.group("idm")
def idm() -> None:
    """The Identity Management (SCIM provisioning) integration."""


@idm.command("show")
@click.argument("app_ref")
@pass_hub
def idm_show(hub: Hub, app_ref: str) -> None:
    _print_idm(hub.idm.get(app_ref))


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
        _print_idm(status)


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
@click.option("--yes", is_flag=True, help="Do not ask for confirmation")
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
    _print_idm(result.status)


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


def _report_change(done: str, already: str, changed: list[str], unchanged: list[str]) -> None:
    if changed:
        click.echo(f"{done}: {', '.join(changed)}")
    if unchanged:
        click.echo(f"Unchanged ({already}): {', '.join(unchanged)}")


def _print_app(a: Application) -> None:
    click.echo(
        f"id            : {a.id}\nlabel         : {a.label}\nconnector     : {a.catalog_key}"
    )
    click.echo(
        f"description   : {a.description}\nuser portal   : "
        f"{'shown' if a.show_in_portal else 'hidden'}"
    )
    click.echo(
        f"bookmark URL  : {a.bookmark_url or '-'}\nimage         : "
        f"{a.image_sha256[:12] if a.image_sha256 else 'none'}"
    )


def _print_idm(s: IdmStatus) -> None:
    click.echo(
        f"IdM state     : {s.state}\nbase URL      : {s.base_url or '-'}"
        + (f" (region {s.region})" if s.region else "")
    )
    click.echo(f"token         : {s.token_hint or 'not set'}")
    options = ", ".join(f"{k}={'true' if v else 'false'}" for k, v in s.options.items())
    click.echo(f"options       : {options or '-'}\nverified at   : {when(s.verified_at)}")
    if s.last_check:
        click.echo(f"last check    : {s.last_check['outcome']}: {s.last_check['message']}")
