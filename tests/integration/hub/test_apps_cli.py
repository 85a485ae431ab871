"""The real `scimhub` console script for the applications side, on a fresh database.

Each test runs the script as a subprocess with SCIMHUB_DATA_DIR=tmp_path, on SQLite (the data
directory's file) and on PostgreSQL (a fresh schema); see ``cli_support``. The SCIM target is
the project's own provider, started in this process on the same database; directory groups
are made through the hub's services on it too.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from conftest import LiveServer, Tenant, free_port
from integration.test_cli import scimhub_script
from scimhub.applications.models import IdmState
from scimhub.config import Settings
from scimhub.hub import Hub, build_hub
from scimhub.provider import create_app
from scimhub.storage import migrate
from scimhub.storage.tenants import TenantStore

from .cli_support import Cli, CliDatabase, fresh_database, sqlite_database
from .test_applications import png
from .test_idm_lifecycle import FAILURES, PROFITCO_PATH, failing_target, stored_text

EU_URL = "https://eu2-app.profit.co/app/rest/platform/auth/scim/v2"


@pytest.fixture
def database(backend: str, tmp_path: Path) -> Iterator[CliDatabase]:
    with fresh_database(backend, tmp_path) as db:
        yield db


@pytest.fixture
def cli(database: CliDatabase) -> Cli:
    """``cli(*args, input=..., env=..., code=0)``: run `scimhub`, check its exit code."""
    return Cli(database)


@dataclass
class Local:
    """The CLI's database seen from this process: the hub's services and a provider on it."""

    engine: Engine
    hub: Hub
    provider: LiveServer

    def tenant(self, profile: str = "generic") -> Tenant:
        store = TenantStore(self.engine)
        name = f"{profile}-{time.monotonic_ns()}"
        store.create_tenant(name, profile)
        token, _ = store.create_token(name)
        return Tenant(name, token, f"{self.provider.url}/scim/v2", httpx.Client())


@pytest.fixture
def local(database: CliDatabase) -> Iterator[Local]:
    engine = database.engine()
    migrate.upgrade(engine)
    settings = Settings(data_dir=database.data_dir, database_url=database.url)
    with LiveServer(create_app(settings, engine)) as provider:
        yield Local(engine, build_hub(settings, engine), provider)
    engine.dispose()


def created_id(proc: subprocess.CompletedProcess[str]) -> str:
    match = re.search(r"id=([0-9a-f-]{36})", proc.stdout)
    assert match, proc.stdout
    return match.group(1)


def field(output: str, name: str) -> str:
    """The value of a ``name : value`` line of `apps show` or `apps idm show`."""
    match = re.search(rf"^{re.escape(name)}\s*: (.*)$", output, re.MULTILINE)
    assert match, output
    return match.group(1)


# --- catalog ----------------------------------------------------------------------------------


def test_catalog_search_prints_profitco_with_its_regions(tmp_path):
    cli = Cli(sqlite_database(tmp_path))  # no database involved: once is enough
    (line,) = cli("catalog", "search", "profit").stdout.splitlines()
    key, name, protocol, regions = line.split("\t")
    assert (key, name, protocol) == ("profitco", "Profit.co", "SCIM 2.0")
    assert f"eu={EU_URL}" in regions
    missing = cli("catalog", "search", "no-such-thing", code=1)
    assert "No connector matches 'no-such-thing'" in missing.stderr


# --- apps add / list / show / edit ------------------------------------------------------------


def test_apps_add_list_show_and_edit(cli, local, tmp_path):
    image = tmp_path / "logo.png"
    image.write_bytes(png())
    added = cli(
        "apps", "add", "profitco", "--label", "OKR Tool", "--description", "Goals",
        "--bookmark-url", "https://okr.example.com", "--image", str(image),
    )  # fmt: skip
    app_id = created_id(added)
    assert "Created application 'OKR Tool'" in added.stdout
    local.hub.applications.create(catalog_key="scim2", label="Another tool")

    header, *rows = cli("apps", "list", "--search", "okr").stdout.splitlines()
    assert header.split("\t") == ["ID", "LABEL", "CONNECTOR", "IDM", "PORTAL"]
    assert rows == [f"{app_id}\tOKR Tool\tprofitco\tunconfigured\tshown"]

    first = cli("apps", "list", "--limit", "1").stdout.splitlines()
    assert first[1].split("\t")[1] == "Another tool"
    cursor = first[-1].removeprefix("next page: --after ")
    second = cli("apps", "list", "--limit", "1", "--after", cursor).stdout.splitlines()
    assert [r.split("\t")[1] for r in second[1:]] == ["OKR Tool"]

    edited = cli("apps", "edit", "OKR Tool", "--label", "OKRs", "--hide", "--bookmark-url", "")
    assert "Updated application 'OKRs'" in edited.stdout
    shown = cli("apps", "show", app_id).stdout
    assert field(shown, "label") == "OKRs"
    assert field(shown, "user portal") == "hidden"
    assert field(shown, "bookmark URL") == "-"
    assert field(shown, "description") == "Goals"
    assert field(shown, "image") == local.hub.applications.get(app_id).image_sha256[:12]
    assert field(shown, "IdM state") == "unconfigured"
    assert field(shown, "groups") == "none bound"

    refused = cli("apps", "edit", app_id, "--bookmark-url", "ftp://okr.example.com", code=1)
    assert refused.stderr.startswith("error: The bookmark URL must be an http(s) URL")
    assert local.hub.applications.get(app_id).bookmark_url is None


def test_apps_add_with_a_refused_image_creates_no_application(cli, local, tmp_path):
    svg = tmp_path / "logo.svg"
    svg.write_bytes(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    refused = cli("apps", "add", "profitco", "--label", "Half made", "--image", str(svg), code=1)
    assert refused.stderr == "error: The image must be a PNG, JPEG, GIF or WebP file\n"
    assert "Created" not in refused.stdout
    assert local.hub.applications.list().items == []


def test_apps_edit_with_a_refused_image_changes_nothing(cli, local, tmp_path):
    app = local.hub.applications.create(catalog_key="scim2", label="Kept", description="Old")
    local.hub.applications.set_image(app.id, png())
    before = local.hub.applications.get(app.id)
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    refused = cli(
        "apps", "edit", app.id, "--label", "Renamed", "--description", "New", "--hide",
        "--image", str(empty), code=1,
    )  # fmt: skip
    assert refused.stderr == "error: The image is empty\n"
    assert local.hub.applications.get(app.id) == before
    assert local.hub.applications.image(app.id).data == png()


def test_apps_edit_with_only_an_image_replaces_it(cli, local, tmp_path):
    app = local.hub.applications.create(catalog_key="scim2", label="Pictured")
    logo = tmp_path / "logo.png"
    logo.write_bytes(png(3, 2))
    assert cli("apps", "edit", app.id, "--image", str(logo)).stdout == (
        "Updated application 'Pictured'\n"
    )
    assert local.hub.applications.image(app.id).data == png(3, 2)


# --- bind / unbind ----------------------------------------------------------------------------


def test_apps_bind_and_unbind_groups(cli, local):
    hub = local.hub
    app = hub.applications.create(catalog_key="profitco", label="Bound app")
    sales, ops = hub.groups.add(name="Sales"), hub.groups.add(name="Ops")
    user = hub.users.add(username="ann", email="ann@example.com")
    hub.groups.add_members(sales.id, [user.id])

    assert cli("apps", "bind", "Bound app", "sales", "Ops").stdout == "Bound: Sales, Ops\n"
    again = cli("apps", "bind", app.id, "Sales").stdout
    assert again == "Unchanged (already bound): Sales\n"
    ghost = cli("apps", "bind", app.id, "Ops", "Ghosts", code=1)
    assert ghost.stderr == "error: No user group named 'Ghosts'; nothing was changed\n"
    assert field(cli("apps", "show", app.id).stdout, "groups") == "Ops (0), Sales (1)"

    assert cli("apps", "unbind", app.id, "Sales", "Ops").stdout == "Unbound: Sales, Ops\n"
    assert hub.bindings.list(app.id) == []
    assert ops.id not in [b.group_id for b in hub.bindings.list(app.id)]


# --- delete -----------------------------------------------------------------------------------


def test_apps_delete_asks_for_the_count_and_refuses_a_wrong_one(cli, local):
    hub = local.hub
    first = hub.applications.create(catalog_key="scim2", label="First")
    second = hub.applications.create(catalog_key="profitco", label="Second")
    hub.applications.set_image(first.id, png())
    wrong = cli("apps", "delete", first.id, "Second", "--count", "1", code=1)
    assert "You are deleting 2 application(s): enter 2 to confirm (got 1)" in wrong.stderr
    assert len(hub.applications.list().items) == 2
    done = cli("apps", "delete", first.id, second.id, input="2\n")
    assert "Enter the number of applications you are deleting" in done.stdout
    assert f"Deleted application 'First' ({first.id})" in done.stdout
    assert f"Deleted application 'Second' ({second.id})" in done.stdout
    assert hub.applications.list().items == []


# --- the IdM integration ----------------------------------------------------------------------


def test_idm_region_typed_url_and_options(cli, local):
    okr = local.hub.applications.create(catalog_key="profitco", label="OKR")
    generic = local.hub.applications.create(catalog_key="scim2", label="Generic")

    eu = cli("apps", "idm", "configure", "OKR", "--region", "eu").stdout
    assert field(eu, "base URL") == f"{EU_URL} (region eu)"
    assert field(eu, "IdM state") == "unconfigured"
    no_region = cli("apps", "idm", "configure", okr.id, "--region", "mars", code=1)
    assert "error: Profit.co has no region 'mars' (regions: default, eu)" in no_region.stderr
    no_delete = cli("apps", "idm", "configure", okr.id, "--option", "delete_users=true", code=1)
    assert "does not support deletion of a user" in no_delete.stderr

    configured = cli(
        "apps", "idm", "configure", generic.id, "--base-url", "https://SCIM.example.com/v2/",
        "--option", "delete_users=true", "--option", "push_groups=false",
    ).stdout  # fmt: skip
    assert field(configured, "base URL") == "https://scim.example.com/v2"
    assert local.hub.idm.get(generic.id).options == {"delete_users": True, "push_groups": False}


def test_idm_lifecycle_against_the_provider_and_the_token_rule(cli, local):
    tenant = local.tenant("profitco")
    token = tenant.token
    app = local.hub.applications.create(catalog_key="profitco", label="Profit live")
    base = f"{local.provider.url}{PROFITCO_PATH}"
    outputs: list[str] = []

    def run(*args: str, **kw: object) -> subprocess.CompletedProcess[str]:
        proc = cli(*args, **kw)
        outputs.append(proc.stdout + proc.stderr)
        return proc

    saved = run(
        "apps", "idm", "configure", app.id, "--base-url", base, "--token-stdin", input=token
    )
    assert "Saved the IdM configuration." in saved.stdout
    assert field(saved.stdout, "IdM state") == "inactive"

    tested = run("apps", "idm", "test", app.id).stdout
    assert "Verified in" in tested and "SCIM ListResponse" in tested
    assert local.hub.idm.get(app.id).state is IdmState.INACTIVE  # a test activates nothing

    activated = run("apps", "idm", "activate", app.id).stdout
    assert "The Identity Management integration has been successfully verified." in activated
    assert field(activated, "IdM state") == "active"
    assert local.hub.idm.get(app.id).state is IdmState.ACTIVE

    shown = run("apps", "idm", "show", "Profit live").stdout
    assert field(shown, "token") == f"…{token[-4:]}"
    assert field(shown, "last check") == (
        "verified: The application answered a SCIM ListResponse at /Users."
    )

    other = TenantStore(local.engine).create_token(tenant.name)[0]
    refused = run("apps", "idm", "configure", app.id, "--token-stdin", input=other, code=1)
    assert "The token cannot be changed while the IdM integration is active" in refused.stderr
    assert "deactivate the IdM integration, update the token" in refused.stderr
    undeletable = run("apps", "delete", app.id, "--count", "1", code=1)
    assert "error: Cannot delete 'Profit live': the IdM integration is active" in undeletable.stderr

    assert run("apps", "idm", "deactivate", app.id, "--yes").stdout == (
        "The IdM connection is deactivated.\n"
    )
    assert local.hub.idm.get(app.id).generation == 2
    twice = run("apps", "idm", "deactivate", app.id, "--yes", code=1)
    assert twice.stderr == "error: The IdM integration is not active\n"

    again = run("apps", "idm", "configure", app.id, "--token-stdin", "--activate", input=other)
    assert "successfully verified" in again.stdout
    assert field(again.stdout, "token") == f"…{other[-4:]}"
    assert local.hub.idm.token(app.id) == other

    as_json = json.loads(run("apps", "show", app.id, "--json").stdout)
    assert as_json["idm"]["state"] == "active" and as_json["idm"]["token_hint"] == f"…{other[-4:]}"
    assert "token_last4" not in as_json["idm"]
    listed = json.loads(run("apps", "list", "--json", "--search", "profit live").stdout)
    assert [a["id"] for a in listed["items"]] == [app.id]
    assert json.loads(run("apps", "idm", "show", app.id, "--json").stdout)["generation"] == 3

    for text in outputs:
        assert token not in text and other not in text
    stored = stored_text(local.engine)  # SQLite: the file's bytes; PostgreSQL: all text
    assert b"Profit live" in stored
    assert token.encode() not in stored and other.encode() not in stored


@pytest.mark.parametrize("reason", FAILURES)
def test_idm_activation_failure_exits_1_with_the_reason(cli, local, reason):
    app = local.hub.applications.create(catalog_key="scim2", label=f"Failing {reason}")
    quick = {"SCIMHUB_IDM_VERIFY_TIMEOUT_SECONDS": "1"}
    with failing_target(reason, local.tenant()) as bad:
        proc = cli(
            "apps", "idm", "configure", app.id, "--base-url", bad.base_url,
            "--token-stdin", "--activate", input=bad.token, env=quick, code=1,
        )  # fmt: skip
    assert proc.stderr.startswith(f"Not activated ({bad.outcome}): ")
    assert bad.says in proc.stderr
    assert bad.token not in proc.stdout + proc.stderr
    status = local.hub.idm.get(app.id)
    assert status.state is IdmState.INACTIVE
    assert status.last_check["outcome"] == bad.outcome


# --- apikey and serve -------------------------------------------------------------------------


@pytest.fixture
def served(database: CliDatabase) -> Iterator[str]:
    """`scimhub serve` on a free port, as a subprocess; yields its URL once it answers."""
    port = free_port()
    proc = subprocess.Popen(
        [str(scimhub_script()), "serve", "--port", str(port)],
        env=database.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "scimhub serve did not start listening"
            try:
                httpx.get(f"{url}/healthz", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def test_serve_answers_openapi_and_apikeys_are_created_listed_and_revoked(cli, served):
    document = httpx.get(f"{served}/openapi.json", timeout=5)
    assert document.status_code == 200
    assert "/api/v1/applications/{ref}/idm/activate" in document.json()["paths"]

    created = cli("apikey", "create", "--label", "ci robot")
    (key,) = created.stdout.splitlines()
    assert key.startswith("shk_") and key not in created.stderr
    headers = {"Authorization": f"Bearer {key}"}
    assert httpx.get(f"{served}/api/v1/applications", headers=headers).status_code == 200
    assert httpx.get(f"{served}/api/v1/applications").status_code == 401

    header, row = cli("apikey", "list").stdout.splitlines()
    assert header.split("\t") == ["PREFIX", "LABEL", "CREATED", "LAST USED", "STATUS"]
    prefix, label, _, last_used, status = row.split("\t")
    assert key.startswith(prefix) and (label, status) == ("ci robot", "active")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", last_used)
    assert key not in row

    assert cli("apikey", "revoke", prefix).stdout == f"Revoked API key {prefix}…\n"
    assert cli("apikey", "list").stdout.splitlines()[1].endswith("\trevoked")
    assert httpx.get(f"{served}/api/v1/applications", headers=headers).status_code == 401
    unknown = cli("apikey", "revoke", "shk_nothing", code=1)
    assert "error: No live API key matches 'shk_nothing'" in unknown.stderr


def test_a_malformed_secret_key_is_reported_without_a_traceback(cli):
    proc = cli("apps", "list", env={"SCIMHUB_SECRET_KEY": "not-a-key"}, code=1)
    assert "error: The secret key is not a Fernet key" in proc.stderr
