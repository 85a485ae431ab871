"""The Import tab of the web UI over real HTTP (the app composed as `scimhub serve` does):
statuses and the New-only filter, a small import's results at once, a large one as a job
whose page says an email follows and shows its progress; CSRF still guards the form."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from conftest import LiveServer
from integration.provisioning.engine_support import Bench
from integration.web.support import hidden_csrf, make_admin, sign_in
from scimhub.cli.server import compose_app

from .conftest import ALREADY

Seeded = tuple[Bench, list[dict[str, Any]]]


@pytest.fixture
def ui(seeded: Seeded) -> Iterator[tuple[httpx.Client, str]]:
    s, _ = seeded
    admin = make_admin(s.hub)
    app_id = s.hub.applications.get(s.app).id
    with (
        LiveServer(compose_app(s.hub)) as live,
        httpx.Client(base_url=live.url, timeout=60) as client,
    ):
        assert sign_in(client, admin).status_code == 303
        yield client, f"/ui/applications/{app_id}/import"


def test_the_import_tab_lists_new_and_imported_users_with_a_new_only_filter(
    seeded: Seeded, ui: tuple[httpx.Client, str]
) -> None:
    _, remotes = seeded
    client, path = ui
    page = client.get(path)
    assert page.status_code == 200
    assert page.text.count('class="badge badge-imported"') == ALREADY
    assert page.text.count('class="badge badge-new"') == 50 - ALREADY
    assert "Imported users belong to no group" in page.text
    new_only = client.get(path, params={"new_only": "true"}).text
    assert 'badge-imported"' not in new_only and new_only.count('badge-new"') == 50
    assert remotes[ALREADY]["userName"] in new_only and "Next page" in new_only


def test_a_small_import_shows_each_result_at_once(
    seeded: Seeded, ui: tuple[httpx.Client, str]
) -> None:
    s, remotes = seeded
    client, path = ui
    token = hidden_csrf(client.get(path).text)
    names = [remotes[ALREADY]["userName"], remotes[0]["userName"]]
    answer = client.post(path, data={"csrf_token": token, "usernames": names})
    assert answer.status_code == 200
    assert "1 of 2 users created in the directory" in answer.text
    assert 'badge-created">created' in answer.text and "Already in the directory" in answer.text
    assert s.hub.users.get(names[0]).firstname == f"Given{ALREADY}"


def test_a_large_import_says_an_email_follows_and_shows_progress(
    seeded: Seeded, ui: tuple[httpx.Client, str]
) -> None:
    s, _ = seeded
    client, path = ui
    token = hidden_csrf(client.get(path).text)
    answer = client.post(path, data={"csrf_token": token, "all_new": "true"})
    assert answer.status_code == 200
    assert "an email with the summary will follow" in answer.text
    assert 'hx-trigger="every 1s"' in answer.text and "<progress" in answer.text
    job_path = re.search(r'hx-get="([^"]+/import/jobs/[^"]+)"', answer.text)
    assert job_path is not None
    job_id = job_path.group(1).rsplit("/", 1)[1]
    s.hub.imports.run(job_id, "test")
    fragment = client.get(job_path.group(1), headers={"HX-Request": "true"}).text
    assert "Import job: completed" in fragment and "hx-trigger" not in fragment
    assert 'value="250"' in fragment


def test_the_import_form_needs_the_csrf_token_and_a_selection(
    seeded: Seeded, ui: tuple[httpx.Client, str]
) -> None:
    s, remotes = seeded
    client, path = ui
    forged = client.post(
        path, data={"csrf_token": "forged", "usernames": [remotes[-1]["userName"]]}
    )
    assert forged.status_code == 403
    assert s.hub.users.find_by_username(remotes[-1]["userName"]) is None
    token = hidden_csrf(client.get(path).text)
    empty = client.post(path, data={"csrf_token": token})
    assert empty.status_code == 422 and "Select at least one user" in empty.text


def test_a_job_can_be_cancelled_from_its_page_after_a_confirmation(
    seeded: Seeded, ui: tuple[httpx.Client, str]
) -> None:
    s, _ = seeded
    client, path = ui
    job = s.hub.imports.start(s.app, all_new=True).job
    assert job is not None
    page = client.get(f"{path}/jobs/{job.id}").text
    assert f'href="{path}/jobs/{job.id}/cancel"' in page and "Cancel the import job" in page
    confirm = client.get(f"{path}/jobs/{job.id}/cancel")
    assert confirm.status_code == 200 and "Cancel this import job?" in confirm.text
    assert "Keep importing" in confirm.text and "stay in the directory" in confirm.text
    forged = client.post(f"{path}/jobs/{job.id}/cancel", data={"csrf_token": "forged"})
    assert forged.status_code == 403 and s.hub.imports.job(s.app, job.id).state == "queued"
    token = hidden_csrf(confirm.text)
    done = client.post(f"{path}/jobs/{job.id}/cancel", data={"csrf_token": token})
    assert done.status_code == 200 and "The import job is cancelled" in done.text
    assert "Import job: cancelled" in done.text and "Cancelled by web UI" in done.text
    assert "Cancel the import job" not in done.text and "hx-trigger" not in done.text
    again = client.post(f"{path}/jobs/{job.id}/cancel", data={"csrf_token": token})
    assert again.status_code == 409 and "already cancelled" in again.text
