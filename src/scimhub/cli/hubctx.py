"""What every hub command needs: a migrated database, the ``Hub``, and error reporting."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import click

from scimhub.config import Settings
from scimhub.hub import Hub, build_hub
from scimhub.problems import Problem
from scimhub.scim.errors import InvalidValue
from scimhub.storage.db import make_engine

P = ParamSpec("P")
T = TypeVar("T")

__all__ = ["open_hub", "pass_hub", "reports_problems"]


def open_hub(settings: Settings) -> Hub:
    """The hub on the configured database, upgraded to the current schema first."""
    from scimhub.storage import migrate  # alembic costs 0.25 s: only commands that need it

    engine = make_engine(settings.resolved_database_url)
    migrate.upgrade(engine)
    return build_hub(settings, engine)


def reports_problems(command: Callable[P, T]) -> Callable[P, T]:
    """Print a service ``Problem`` as ``error: ...`` on stderr and exit with status 1."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return command(*args, **kwargs)
        except Problem as exc:
            click.echo(f"error: {exc.detail}", err=True)
            for item in exc.errors:
                click.echo(f"  {item}", err=True)
            sys.exit(1)
        except InvalidValue as exc:  # a value the database refused
            click.echo(f"error: {exc.detail}", err=True)
            sys.exit(1)

    return wrapper


def pass_hub(command: Callable[..., T]) -> Callable[..., T]:
    """Give the command the ``Hub`` (built from the context's Settings) as first argument,
    and report its problems."""

    @functools.wraps(command)
    @click.pass_obj
    def wrapper(settings: Settings, /, *args: object, **kwargs: object) -> T:
        def run() -> T:
            return command(open_hub(settings), *args, **kwargs)

        return reports_problems(run)()

    return wrapper
