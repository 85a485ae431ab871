"""The real `scimhub` console script, run as a subprocess on a SQLite data directory."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import inspect

from conftest import LiveServer, free_port
from scimhub.config import Settings
from scimhub.provider import create_app
from scimhub.storage.db import make_engine

Run = Callable[..., subprocess.CompletedProcess[str]]


def scimhub_script() -> Path:
    local = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "scimhub"
    if local.exists():
        return local
    return Path(sys.executable).parent / "scimhub"


def cli_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCIMHUB_")}
    env["SCIMHUB_DATA_DIR"] = str(data_dir)
    return env


@pytest.fixture
def run(tmp_path: Path) -> Run:
    """Run `scimhub <args>` with SCIMHUB_DATA_DIR=tmp_path; returns the completed process."""
    script = scimhub_script()
    assert script.exists(), script

    def _run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [str(script), *args],
            check=False,
            env=cli_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
        )
        if check:
            assert proc.returncode == 0, (proc.stdout, proc.stderr)
        return proc

    return _run


@pytest.fixture
def db(run: Run) -> Run:
    """`run`, on a data directory whose database has been upgraded."""
    run("db", "upgrade")
    return run


@pytest.fixture
def acme(db: Run) -> Run:
    """`run`, with tenant 'acme' (profitco profile) created."""
    db("provider", "tenant", "create", "acme", "--profile", "profitco")
    return db


def new_token(run: Run, tenant: str = "acme") -> str:
    return run("provider", "token", "create", tenant).stdout.strip()


@pytest.fixture
def live(tmp_path: Path, acme: Run) -> Iterator[LiveServer]:
    """A provider app on the same SQLite database the CLI uses."""
    engine = make_engine(f"sqlite:///{tmp_path / 'scimhub.db'}")
    with LiveServer(create_app(Settings(data_dir=tmp_path), engine)) as server:
        yield server
    engine.dispose()


def users(server_url: str, token: str) -> httpx.Response:
    return httpx.get(
        f"{server_url}/scim/v2/Users", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


# --- db ---------------------------------------------------------------------------------------


def test_db_upgrade_creates_the_sqlite_schema(run, tmp_path):
    proc = run("db", "upgrade")
    assert "up to date" in proc.stdout.lower()
    database = tmp_path / "scimhub.db"
    assert database.exists()
    engine = make_engine(f"sqlite:///{database}")
    try:
        assert {"tenants", "tokens", "scim_resources"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_db_upgrade_is_idempotent(db):
    assert db("db", "upgrade").returncode == 0


# --- tenants ----------------------------------------------------------------------------------


def test_tenant_create_reports_the_tenant_and_profile(db):
    proc = db("provider", "tenant", "create", "acme", "--profile", "profitco")
    assert "acme" in proc.stdout
    assert "profitco" in proc.stdout


def test_duplicate_tenant_fails_with_a_clear_message(acme):
    proc = acme("provider", "tenant", "create", "acme", "--profile", "profitco", check=False)
    assert proc.returncode != 0
    assert "acme" in proc.stderr
    assert "already exists" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_unknown_profile_is_refused(db):
    proc = db("provider", "tenant", "create", "acme", "--profile", "nosuch", check=False)
    assert proc.returncode != 0
    assert "nosuch" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_tenant_list_shows_each_tenant_and_profile(acme):
    acme("provider", "tenant", "create", "globex")
    lines = acme("provider", "tenant", "list").stdout.splitlines()
    rows = {line.split("\t")[0]: line.split("\t") for line in lines if line.strip()}
    assert rows["acme"][1] == "profitco"
    assert rows["globex"][1] == "generic"


def test_tenant_list_on_an_empty_database_prints_nothing(db):
    assert db("provider", "tenant", "list").stdout.strip() == ""


# --- tokens -----------------------------------------------------------------------------------


def test_token_create_prints_the_token_alone_on_stdout(acme):
    proc = acme("provider", "token", "create", "acme")
    lines = proc.stdout.splitlines()
    assert len(lines) == 1
    token = lines[0]
    assert token == token.strip()
    assert re.fullmatch(r"scim_[A-Za-z0-9_-]{40,}", token), token
    assert proc.stderr.strip()  # the human message goes to stderr
    assert token not in proc.stderr


def test_token_create_issues_a_different_token_each_time(acme):
    assert new_token(acme) != new_token(acme)


def test_token_create_for_an_unknown_tenant_fails(db):
    proc = db("provider", "token", "create", "nosuch", check=False)
    assert proc.returncode != 0
    assert "nosuch" in proc.stderr
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr


def test_token_list_shows_prefix_tenant_created_and_never_used(acme):
    token = new_token(acme)
    proc = acme("provider", "token", "list")
    assert token not in proc.stdout
    header, *rows = [line for line in proc.stdout.splitlines() if line.strip()]
    assert [h.lower() for h in header.split("\t")][:4] == [
        "prefix",
        "tenant",
        "created",
        "last used",
    ]
    (row,) = rows
    prefix, tenant, created, last_used = row.split("\t")[:4]
    assert token.startswith(prefix) and len(prefix) < len(token) // 2
    assert tenant == "acme"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", created), created
    assert last_used == "never"


def test_token_list_never_shows_the_token_or_its_hash(acme):
    token = new_token(acme)
    out = acme("provider", "token", "list").stdout
    assert token not in out
    assert token.removeprefix("scim_")[8:] not in out
    assert hashlib.sha256(token.encode()).hexdigest() not in out


def test_token_list_shows_last_use_after_a_request(acme, live):
    token = new_token(acme)
    assert users(live.url, token).status_code == 200
    out = acme("provider", "token", "list").stdout
    (row,) = [line for line in out.splitlines() if token.startswith(line.split("\t")[0])]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", row.split("\t")[3]), row


def test_token_list_can_be_filtered_by_tenant(acme):
    acme("provider", "tenant", "create", "globex")
    new_token(acme, "acme")
    new_token(acme, "globex")
    out = acme("provider", "token", "list", "--tenant", "globex").stdout
    rows = [line for line in out.splitlines()[1:] if line.strip()]
    assert [r.split("\t")[1] for r in rows] == ["globex"]


def test_created_token_works_against_the_provider(acme, live):
    token = new_token(acme)
    r = users(live.url, token)
    assert r.status_code == 200
    assert r.json()["totalResults"] == 0


def test_token_revoke_by_prefix_makes_the_token_get_401(acme, live):
    token = new_token(acme)
    assert users(live.url, token).status_code == 200  # cached by the provider now
    prefix = acme("provider", "token", "list").stdout.splitlines()[1].split("\t")[0]
    proc = acme("provider", "token", "revoke", prefix)
    assert prefix in proc.stdout
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline and users(live.url, token).status_code != 401:
        time.sleep(0.1)
    r = users(live.url, token)
    assert r.status_code == 401
    assert r.json()["status"] == "401"


def test_revoked_token_is_listed_as_revoked(acme):
    new_token(acme)
    prefix = acme("provider", "token", "list").stdout.splitlines()[1].split("\t")[0]
    acme("provider", "token", "revoke", prefix)
    row = acme("provider", "token", "list").stdout.splitlines()[1]
    assert "revoked" in row.split("\t")


def test_revoking_an_unknown_prefix_fails(acme):
    new_token(acme)
    proc = acme("provider", "token", "revoke", "scim_nothing", check=False)
    assert proc.returncode != 0
    assert "scim_nothing" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_revoke_leaves_other_tokens_working(acme, live):
    first = new_token(acme)
    second = new_token(acme)
    acme("provider", "token", "revoke", first[:12])
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline and users(live.url, first).status_code != 401:
        time.sleep(0.1)
    assert users(live.url, first).status_code == 401
    assert users(live.url, second).status_code == 200


# --- serve ------------------------------------------------------------------------------------


def test_provider_serve_starts_and_answers_over_http(acme, tmp_path):
    token = new_token(acme)
    port = free_port()
    proc = subprocess.Popen(
        [str(scimhub_script()), "provider", "serve", "--port", str(port)],
        env=cli_env(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/scim/v2/ServiceProviderConfig"
        headers = {"Authorization": f"Bearer {token}"}
        deadline = time.monotonic() + 20
        response = None
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            try:
                response = httpx.get(url, headers=headers, timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert response is not None, "the provider did not start listening"
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/scim+json")
        assert httpx.get(url, timeout=2).status_code == 401
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
