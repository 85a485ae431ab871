"""The hub CLI tests' database and runner: the real `scimhub` console script as a subprocess.

Each test gets a fresh database of the session's ``backend``: on SQLite the default file in a
fresh data directory, on PostgreSQL a fresh schema, given to the script as
``SCIMHUB_DATABASE_URL`` with the ``search_path`` in the URL (psycopg passes
``?options=-csearch_path=<schema>`` to the server). ``SCIMHUB_DATA_DIR`` is the test's
``tmp_path`` either way: the application secret key file lives there.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from conftest import PG_URL, _drop_pg_schema, _pg_engine
from integration.test_cli import cli_env, scimhub_script
from scimhub.config import Settings
from scimhub.storage.db import make_engine


@dataclass(frozen=True)
class CliDatabase:
    """Where the script's data lives: ``data_dir`` and the database URL it resolves to."""

    backend: str
    data_dir: Path
    url: str

    def env(self) -> dict[str, str]:
        """The script's environment (no ``SCIMHUB_*`` from this process but these)."""
        env = cli_env(self.data_dir)
        if self.backend != "sqlite":
            env["SCIMHUB_DATABASE_URL"] = self.url
        return env

    def engine(self) -> Engine:
        """An engine on the script's database, for this process."""
        return make_engine(self.url)


def sqlite_database(data_dir: Path) -> CliDatabase:
    """The default: ``scimhub.db`` in ``data_dir``, as the script resolves it."""
    url = Settings(data_dir=data_dir, database_url=None).resolved_database_url
    return CliDatabase("sqlite", data_dir, url)


def _with_search_path(url: str, schema: str) -> str:
    parsed = make_url(url)
    options = " ".join(o for o in (parsed.query.get("options"), f"-csearch_path={schema}") if o)
    return parsed.update_query_dict({"options": options}).render_as_string(hide_password=False)


@contextmanager
def fresh_database(backend: str, data_dir: Path) -> Iterator[CliDatabase]:
    """An empty database of ``backend`` (PostgreSQL: a schema, dropped afterwards).

    PostgreSQL follows the session ``engine``'s rules: skipped without
    SCIMHUB_TEST_POSTGRES_URL or an unreachable server, a failure with SCIMHUB_REQUIRE_POSTGRES=1.
    """
    if backend == "sqlite":
        yield sqlite_database(data_dir)
        return
    schema = f"cli_{uuid.uuid4().hex[:12]}"
    _pg_engine(schema).dispose()  # creates the schema, or skips / fails the test
    try:
        yield CliDatabase(backend, data_dir, _with_search_path(PG_URL or "", schema))
        assert not (data_dir / "scimhub.db").exists(), "the script fell back to SQLite"
    finally:
        _drop_pg_schema(schema)


class Cli:
    """``cli(*args, input=..., env=..., code=0)``: run `scimhub`, check its exit code."""

    def __init__(self, database: CliDatabase) -> None:
        self.database = database
        self.script = scimhub_script()
        assert self.script.exists(), self.script

    def __call__(
        self, *args: str, code: int = 0, input: str | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [str(self.script), *args],
            check=False,
            env=self.database.env() | (env or {}),
            capture_output=True,
            text=True,
            input=input,
            timeout=60,
        )
        assert proc.returncode == code, (args, proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stderr, proc.stderr
        return proc

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json").stdout)
