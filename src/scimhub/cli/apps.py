"""`scimhub catalog`, `scimhub apps`: connectors, applications, bindings, IdM integrations."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path

import click

from scimhub.applications.catalog import search_catalog
from scimhub.applications.models import Application
from scimhub.hub import Hub

from .hubctx import pass_hub
from .idm import idm, idm_json, print_idm
from .options import after_option, json_option, limit_option
from .output import echo_json, report_change

__all__ = ["apps", "catalog"]


@click.group()
def catalog() -> None:
    """The connector catalog."""


@catalog.command("search")
@click.argument("text", default="")
@json_option
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
@limit_option
@after_option
@json_option
@pass_hub
def list_apps(hub: Hub, q: str | None, limit: int, after: str | None, as_json: bool) -> None:
    """Applications by label; --search matches labels containing the text."""
    page = hub.applications.list(q=q, limit=limit, after=after)
    if as_json:
        echo_json({"items": page.items, "next_cursor": page.next_cursor})
        return
    click.echo("ID\tLABEL\tCONNECTOR\tIDM\tPORTAL")
    for a in page.items:
        portal = "shown" if a.show_in_portal else "hidden"
        click.echo(f"{a.id}\t{a.label}\t{a.catalog_key}\t{a.idm_state}\t{portal}")
    if page.next_cursor:
        click.echo(f"next page: --after {page.next_cursor}")


@apps.command("show")
@click.argument("app_ref")
@json_option
@pass_hub
def show(hub: Hub, app_ref: str, as_json: bool) -> None:
    """An application, its IdM integration and its bound groups."""
    app = hub.applications.get(app_ref)
    status, groups = hub.idm.get(app.id), hub.bindings.list(app.id)
    if as_json:
        echo_json(asdict(app) | {"idm": idm_json(status), "groups": groups})
        return
    _print_app(app)
    print_idm(status)
    bound = ", ".join(f"{b.group_name} ({b.member_count})" for b in groups)
    click.echo("groups        : " + (bound or "none bound"))


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
    report_change("Bound", "already bound", change.changed, change.unchanged)


@apps.command("unbind")
@click.argument("app_ref")
@click.argument("groups", nargs=-1, required=True)
@pass_hub
def unbind(hub: Hub, app_ref: str, groups: tuple[str, ...]) -> None:
    change = hub.bindings.unbind(app_ref, list(groups))
    report_change("Unbound", "not bound", change.changed, change.unchanged)


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


apps.add_command(idm)
