"""`scimhub apps mapping`: show, set and reset an application's attribute mapping."""

from __future__ import annotations

from dataclasses import asdict
from typing import BinaryIO

import click

from scimhub.applications.capabilities import decode_json
from scimhub.applications.mapping_rules import mapping_from_json
from scimhub.applications.mappings import MappingView
from scimhub.hub import Hub
from scimhub.problems import Invalid

from .hubctx import pass_hub
from .options import json_option
from .output import echo_json

__all__ = ["mapping"]

#: A mapping file is a few kilobytes; this bounds what is read from a wrong file or a pipe.
MAX_FILE_BYTES = 1_048_576


@click.group()
def mapping() -> None:
    """The attribute mapping: which directory property becomes which SCIM attribute."""


@mapping.command("show")
@click.argument("app_ref")
@json_option
@pass_hub
def mapping_show(hub: Hub, app_ref: str, as_json: bool) -> None:
    """The mapping the application's users are sent with."""
    view = hub.mappings.get(app_ref)
    if as_json:
        echo_json(asdict(view))
        return
    _print(view)


@mapping.command("set")
@click.argument("app_ref")
@click.option(
    "--file",
    "source",
    type=click.File("rb"),
    required=True,
    help='JSON: [{"source", "target", "note"?, "primary"?}, ...] or {"entries": [...]} '
    "(what 'show --json' prints); '-' reads standard input",
)
@pass_hub
def mapping_set(hub: Hub, app_ref: str, source: BinaryIO) -> None:
    """Replace the mapping; every problem is listed if it is not valid, and nothing changes."""
    entries = mapping_from_json(_entries_in(source.read(MAX_FILE_BYTES + 1)))
    before = hub.mappings.get(app_ref)
    after = hub.mappings.set(before.app_id, entries)
    click.echo("The mapping is unchanged." if after == before else "Saved the mapping.")
    _print(after)


@mapping.command("reset")
@click.argument("app_ref")
@pass_hub
def mapping_reset(hub: Hub, app_ref: str) -> None:
    """Go back to the catalog's default mapping."""
    view = hub.mappings.reset(app_ref)
    click.echo(f"The application uses the default mapping of '{view.catalog_key}'.")


def _entries_in(data: bytes) -> object:
    if len(data) > MAX_FILE_BYTES:
        raise Invalid(f"The mapping file is larger than {MAX_FILE_BYTES} bytes")
    doc = decode_json(data)
    if doc is None:
        raise Invalid("The mapping file is not JSON")
    return doc["entries"] if isinstance(doc, dict) and "entries" in doc else doc


def _print(view: MappingView) -> None:
    origin = "the catalog's default" if view.is_default else "edited for this application"
    click.echo(f"connector : {view.catalog_key}\nmapping   : {origin}")
    click.echo("SOURCE\tTARGET\tPRIMARY\tNOTE")
    for m in view.entries:
        click.echo(f"{m.source}\t{m.target}\t{'yes' if m.primary else '-'}\t{m.note}")
