"""The import through the hub's REST API (real HTTP) and the `scimhub import` command (a
real process): listing with statuses and the New-only filter, a small import with per-user
results, a large import as a job with progress, and clear errors for bad requests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from conftest import LiveServer
from integration.hub.cli_support import Cli
from integration.provisioning.engine_support import Bench, wait_until
from scimhub.api import create_api

from .conftest import ALREADY, SEEDED
from .import_support import SmtpServer

Seeded = tuple[Bench, list[dict[str, Any]]]


@pytest.fixture
def api(seeded: Seeded) -> Iterator[httpx.Client]:
    s, _ = seeded
    key, _ = s.hub.api_keys.create("tests")
    app = create_api(s.hub.settings, s.hub.engine, s.hub)
    headers = {"Authorization": f"Bearer {key}"}
    with (
        LiveServer(app) as live,
        httpx.Client(base_url=f"{live.url}/api/v1", headers=headers, timeout=60) as client,
    ):
        yield client


def test_the_api_lists_users_with_statuses_and_the_new_only_filter(
    seeded: Seeded, api: httpx.Client
) -> None:
    s, remotes = seeded
    page = api.get(f"/applications/{s.app}/import/users", params={"count": 1000}).json()
    assert len(page["users"]) == SEEDED and page["next_start"] is None
    statuses = [u["status"] for u in page["users"]]
    assert statuses.count("Imported") == ALREADY and statuses.count("New") == SEEDED - ALREADY
    new = api.get(
        f"/applications/{s.app}/import/users", params={"count": 25, "new_only": "true"}
    ).json()
    assert len(new["users"]) == 25 and {u["status"] for u in new["users"]} == {"New"}
    assert new["users"][0]["username"] == remotes[ALREADY]["userName"]
    assert new["next_start"] == ALREADY + 26 and new["total"] == SEEDED


def test_the_api_imports_a_few_users_at_once_and_many_as_a_job(
    seeded: Seeded, api: httpx.Client, smtp: SmtpServer
) -> None:
    s, remotes = seeded
    names = [r["userName"] for r in remotes[ALREADY : ALREADY + 2]] + [remotes[0]["userName"]]
    small = api.post(f"/applications/{s.app}/imports", json={"users": names})
    assert small.status_code == 200, small.text
    body = small.json()
    assert body["mode"] == "immediate" and "user group bound to" in body["warning"]
    assert [r["outcome"] for r in body["results"]] == ["created", "created", "skipped"]
    big = api.post(f"/applications/{s.app}/imports", json={"all_new": True, "notify": ["a@x.io"]})
    assert big.status_code == 202, big.text
    job = big.json()["job"]
    assert big.json()["mode"] == "background" and "email" in big.json()["message"]
    s.start()
    done = wait_until(
        lambda: (
            (j := api.get(f"/applications/{s.app}/imports/{job['id']}").json())["email_state"]
            == "sent"
            and j
        ),
        timeout=60,
    )
    assert (done["state"], done["created"], done["percent"]) == ("completed", 208, 100.0)
    listed = api.get(f"/applications/{s.app}/imports").json()
    assert [j["id"] for j in listed] == [job["id"]]
    items = api.get(f"/applications/{s.app}/imports/{job['id']}/items", params={"limit": 5})
    assert [i["outcome"] for i in items.json()] == ["created"] * 5
    assert [r for r, _ in smtp.inbox.messages] == [["a@x.io"]]


def test_the_api_answers_bad_import_requests_precisely(seeded: Seeded, api: httpx.Client) -> None:
    s, _ = seeded
    both = api.post(f"/applications/{s.app}/imports", json={"users": ["a"], "all_new": True})
    assert both.status_code == 422 and "either users or all_new" in both.text
    empty = api.post(f"/applications/{s.app}/imports", json={"users": []})
    assert empty.status_code == 422
    unknown = api.get(f"/applications/{s.app}/imports/nope")
    assert unknown.status_code == 404 and unknown.json()["error"] == "not_found"
    s.hub.idm.deactivate(s.app)
    refused = api.get(f"/applications/{s.app}/import/users")
    assert refused.status_code == 409 and "not active" in refused.json()["detail"]


def test_scimhub_import_lists_imports_and_follows_a_job_with_a_progress_bar(
    seeded: Seeded,
) -> None:
    s, remotes = seeded
    cli = Cli(s.database)
    listing = cli("import", s.app, "--list").stdout
    assert listing.count("\nImported ") == ALREADY and f"{SEEDED} users: 210 New" in listing
    new_only = cli("import", s.app, "--list", "--new-only").stdout
    assert "Imported" not in new_only.replace("210 New", "") and "210 New" in new_only
    names = ",".join(r["userName"] for r in remotes[ALREADY : ALREADY + 2])
    small = cli("import", s.app, "--users", names, "--users", "ghost@example.com", code=3)
    assert small.stdout.count("created ") == 2 and "ghost@example.com: No user" in small.stdout
    assert "bound to" in small.stderr
    big = cli("import", s.app, "--all-new")
    assert "Importing" in big.stderr and "completed" in big.stdout
    assert "created 208, skipped 42, failed 0" in big.stdout  # 42: already in the directory
    rows = cli.json("import", s.app, "--list", "--new-only")
    assert rows == []
