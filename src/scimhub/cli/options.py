"""Options several hub commands take, spelled once."""

from __future__ import annotations

import click

from scimhub.storage.keyset import MAX_PAGE

__all__ = ["after_option", "json_option", "limit_option", "yes_option"]

limit_option = click.option(
    "--limit", default=50, show_default=True, help=f"Rows per page (max {MAX_PAGE})"
)
after_option = click.option("--after", default=None, help="The cursor printed by the previous page")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON")
yes_option = click.option("--yes", is_flag=True, help="Do not ask for confirmation")
