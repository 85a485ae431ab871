"""The engine through its interfaces: the hub API (state, provision on demand, dry run,
resume, confirm) and the `scimhub sync` / `scimhub log` commands, end to end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from conftest import LiveServer
from integration.hub.cli_support import Cli
from scimhub.api import create_api
from scimhub.provisioning.control import QUARANTINED, set_state
from scimhub.storage.transactions import write_tx

from .engine_support import Bench, bench


@pytest.fixture
def scenario(backend: str, tmp_path: Path, engine: Engine, provider: LiveServer) -> Iterator[Bench]:
    with bench(backend, tmp_path, engine, provider, "profitco") as made:
        yield made


@pytest.fixture
def api(scenario: Bench) -> Iterator[httpx.Client]:
    key, _ = scenario.hub.api_keys.create("tests")
    app = create_api(scenario.hub.settings, scenario.hub.engine, scenario.hub)
    with (
        LiveServer(app) as live,
        httpx.Client(
            base_url=f"{live.url}/api/v1", headers={"Authorization": f"Bearer {key}"}, timeout=30
        ) as client,
    ):
        yield client


def test_the_api_provisions_one_user_now_and_returns_each_step(
    scenario: Bench, api: httpx.Client
) -> None:
    ada = scenario.user("ada")
    scenario.group(ada)
    answer = api.post(
        f"/applications/{scenario.app}/provisioning/sync", json={"user": ada.username}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [(s["action"], s["status"]) for s in body["steps"]] == [
        ("lookup", "ok"),
        ("create", "ok"),
    ]
    assert body["remote_state"] == "active" and body["remote_id"]
    assert scenario.remote(ada.username)["id"] == body["remote_id"]  # type: ignore[index]
    state = api.get(f"/applications/{scenario.app}/provisioning").json()
    assert state["state"] == "running" and state["provisioned"] == 1 and state["pending"] == 0
    log = api.get(f"/applications/{scenario.app}/log", params={"user": ada.username}).json()
    assert [e["action"] for e in log["items"]] == ["create", "lookup"]


def test_the_api_dry_run_returns_the_plan_and_writes_nothing(
    scenario: Bench, api: httpx.Client
) -> None:
    users = [scenario.user("p") for _ in range(3)]
    scenario.group(*users)
    answer = api.post(f"/applications/{scenario.app}/provisioning/dry-run")
    assert answer.status_code == 200, answer.text
    plan = answer.json()
    assert plan["counts"] == {"create": 3} and not plan["truncated"]
    assert {s["username"] for s in plan["steps"]} == {u.username for u in users}
    assert all(s["status"] == "planned" for s in plan["steps"])
    assert scenario.remote_count() == 0


def test_the_api_refuses_what_the_engine_cannot_do_with_the_reason(
    scenario: Bench, api: httpx.Client
) -> None:
    confirm = api.post(f"/applications/{scenario.app}/provisioning/confirm-deprovision")
    assert confirm.status_code == 409 and "not paused" in confirm.json()["detail"]
    missing = api.post(f"/applications/{scenario.app}/provisioning/sync", json={"user": "nobody"})
    assert missing.status_code == 404
    scenario.hub.idm.deactivate(scenario.app)
    inactive = api.post(f"/applications/{scenario.app}/provisioning/dry-run")
    assert inactive.status_code == 409 and "not active" in inactive.json()["detail"]
    assert api.get("/applications/no-such-app/provisioning").status_code == 404


def test_scimhub_sync_prints_each_step_and_the_dry_run_prints_diffs(scenario: Bench) -> None:
    cli = Cli(scenario.database)
    ada = scenario.user("ada", job_title="Engineer")
    scenario.group(ada)
    out = cli("sync", scenario.app, "--user", ada.username).stdout
    assert "lookup" in out and "create" in out and "active (remote id" in out
    scenario.hub.users.edit(ada.id, job_title="Lead")
    plan = cli("sync", scenario.app, "--dry-run").stdout
    assert "title: 'Engineer' → 'Lead'" in plan and "Plan: 1 update" in plan
    assert scenario.remote(ada.username)["title"] == "Engineer"  # type: ignore[index]
    log = cli("log", "--app", scenario.app, "--user", ada.username.upper()).stdout
    assert "create" in log and "lookup" in log
    state = cli.json("sync", scenario.app)
    assert state["state"] == "running" and state["pending"] == 1


def test_scimhub_sync_refuses_a_quarantined_application_with_the_reason(scenario: Bench) -> None:
    cli = Cli(scenario.database)
    ada = scenario.user("ada")
    scenario.group(ada)
    with write_tx(scenario.hub.engine) as conn:
        app_id = scenario.hub.applications.get(scenario.app).id
        set_state(conn, app_id, QUARANTINED, "HTTP 401: token refused")
    refused = cli("sync", scenario.app, "--user", ada.username, code=1)
    assert "quarantined: HTTP 401: token refused" in refused.stderr
    resumed = cli("sync", scenario.app, "--resume").stdout
    assert "engine:        running" in resumed
    cli("sync", scenario.app, "--user", ada.username)
    assert scenario.remote(ada.username) is not None
