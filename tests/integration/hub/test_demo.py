"""`scimhub demo`, what `make run` starts: the hub, a provider process and a demo setup."""

from __future__ import annotations

import re
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from conftest import free_port
from integration.test_cli import cli_env, scimhub_script


@dataclass
class Demo:
    process: subprocess.Popen[str]
    output: str
    hub: str
    provider: str

    def value(self, label: str) -> str:
        match = re.search(rf"{label}\s*:\s*(\S+)", self.output)
        assert match, self.output
        return match.group(1)


def start_demo(data_dir: Path) -> Demo:
    hub_port, provider_port = free_port(), free_port()
    args = [str(scimhub_script()), "demo", "--port", str(hub_port)]
    proc = subprocess.Popen(
        [*args, "--provider-port", str(provider_port)],
        env=cli_env(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        lines.append(line)
        if line.startswith("  .venv/bin/scimhub apps show"):
            break
    hub = f"http://127.0.0.1:{hub_port}"
    _wait_for(f"{hub}/healthz")
    return Demo(proc, "".join(lines), hub, f"http://127.0.0.1:{provider_port}")


def stop_demo(demo: Demo) -> None:
    demo.process.send_signal(signal.SIGTERM)
    demo.process.wait(timeout=20)


def _wait_for(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not come up")


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    running = start_demo(tmp_path)
    yield running
    stop_demo(running)


def test_demo_prints_where_everything_is_and_both_keys_work(demo: Demo) -> None:
    assert "scimhub is running." in demo.output
    assert f"{demo.hub}/openapi.json" in demo.output
    api = httpx.Client(headers={"Authorization": f"Bearer {demo.value('Hub API key')}"})
    apps = api.get(f"{demo.hub}/api/v1/applications").json()["items"]
    assert [(a["label"], a["catalog_key"], a["idm_state"]) for a in apps] == [
        ("Profit.co (demo)", "profitco", "active")
    ]
    scim = httpx.get(
        f"{demo.provider}/app/rest/platform/auth/scim/v2/Users",
        headers={"Authorization": f"Bearer {demo.value('Provider SCIM key')}"},
    )
    assert scim.status_code == 200
    assert scim.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]


def test_demo_seeds_users_and_groups_that_are_not_yet_bound(demo: Demo) -> None:
    api = httpx.Client(headers={"Authorization": f"Bearer {demo.value('Hub API key')}"})
    groups = api.get(f"{demo.hub}/api/v1/groups").json()["items"]
    assert {g["name"]: g["member_count"] for g in groups} == {"Engineering": 3, "Sales": 2}
    app = api.get(f"{demo.hub}/api/v1/applications/Profit.co (demo)").json()
    assert api.get(f"{demo.hub}/api/v1/applications/{app['id']}/groups").json() == []
    idm = api.get(f"{demo.hub}/api/v1/applications/{app['id']}/idm").json()
    assert idm["base_url"] == f"{demo.provider}/app/rest/platform/auth/scim/v2"
    assert idm["token_hint"] == "…" + demo.value("Provider SCIM key")[-4:]


def test_binding_a_group_in_the_demo_provisions_its_users_into_the_provider(demo: Demo) -> None:
    api = httpx.Client(headers={"Authorization": f"Bearer {demo.value('Hub API key')}"})
    app = api.get(f"{demo.hub}/api/v1/applications/Profit.co (demo)").json()
    bound = api.post(
        f"{demo.hub}/api/v1/applications/{app['id']}/groups", json={"groups": ["Engineering"]}
    )
    assert bound.status_code == 200, bound.text
    scim = httpx.Client(headers={"Authorization": f"Bearer {demo.value('Provider SCIM key')}"})
    users_url = f"{demo.provider}/app/rest/platform/auth/scim/v2/Users"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = scim.get(users_url).json().get("Resources", [])
        if len(found) == 3:
            break
        time.sleep(0.1)
    names = sorted(u["userName"] for u in found)
    assert names == ["ada@example.com", "grace@example.com", "linus@example.com"]
    assert all(u["active"] for u in found)
    log = api.get(f"{demo.hub}/api/v1/applications/{app['id']}/log", params={"action": "create"})
    assert len(log.json()["items"]) == 3


def test_demo_runs_again_on_the_same_data_with_fresh_keys(tmp_path: Path) -> None:
    first = start_demo(tmp_path)
    stop_demo(first)
    second = start_demo(tmp_path)
    try:
        old_key, new_key = first.value("Hub API key"), second.value("Hub API key")
        assert old_key != new_key
        url = f"{second.hub}/api/v1/applications"
        assert httpx.get(url, headers={"Authorization": f"Bearer {old_key}"}).status_code == 401
        apps = httpx.get(url, headers={"Authorization": f"Bearer {new_key}"}).json()["items"]
        assert [a["idm_state"] for a in apps] == ["active"]
    finally:
        stop_demo(second)
    assert second.process.returncode in (0, 143, -signal.SIGTERM)
