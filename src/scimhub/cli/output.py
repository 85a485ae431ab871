"""Small output helpers shared by the hub commands: JSON, timestamps, set changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click
import orjson

__all__ = ["echo_json", "report_change", "when"]


def echo_json(value: Any) -> None:
    """Print ``value`` as indented JSON (dataclasses and datetimes included)."""
    click.echo(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode())


def when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S}" if moment else "-"


def report_change(done: str, already: str, changed: list[str], unchanged: list[str]) -> None:
    """``Added: a, b`` and ``Unchanged (already members): c`` for a change to a set."""
    if changed:
        click.echo(f"{done}: {', '.join(changed)}")
    if unchanged:
        click.echo(f"Unchanged ({already}): {', '.join(unchanged)}")
