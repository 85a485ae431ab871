"""Small output helpers shared by the hub commands: JSON and timestamps."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click
import orjson

__all__ = ["echo_json", "when"]


def echo_json(value: Any) -> None:
    """Print ``value`` as indented JSON (dataclasses and datetimes included)."""
    click.echo(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode())


def when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S}" if moment else "-"
