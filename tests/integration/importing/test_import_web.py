"""The Import tab of the web UI over real HTTP (the app composed as `scimhub serve` does):
statuses and the New-only filter, a small import's results at once, a large one as a job
whose page says an email follows and shows its progress; CSRF still guards the form. The
tab keeps its jobs when the application cannot be listed; a job's page polls only its
status, and the poll that finds the job ended redraws its actions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from conftest import LiveServer
from integration.provisioning.engine_support import Bench
from integration.web.support import hidden_csrf, make_admin, sign_in
from scimhub.cli.server import compose_app
from scimhub.problems import Upstream

from .conftest import ALREADY
from .import_support import MakeOdd
from .odd_target import record

Seeded = tuple[Bench, list[dict[str, Any]]]
HTMX = {"HX-Request": "true"}


@contextmanager
def signed_in(s: Bench) -> Iterator[tuple[httpx.Client, str]]:
    """A client signed in to the bench's UI, and the Import tab's path."""
    admin = make_admin(s.hub)
    app_id = s.hub.applications.get(s.app).id
    with (
        LiveServer(compose_app(s.hub)) as live,
        httpx.Client(base_url=live.url, timeout=60) as client,
    ):
        assert sign_in(client, admin).status_code == 303
        yield client, f"/ui/applications/{app_id}/import"


@pytest.fixture
def ui(seeded: Seeded) -> Iterator[tuple[httpx.Client, str]]:
    with signed_in(seeded[0]) as made:
        yield made


def polled(page: str) -> tuple[str, str]:
    """The attributes and the content of the job's polled status element."""
    found = re.search(r'<div id="job-status"([^>]*)>(.*?)</div>', page, re.S)
    assert found is not None, page
    return found.group(1), found.group(2)


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
    assert answer.status_code == 303  # to the job's page: a reload starts no second job
    job_path = answer.headers["location"]
    assert re.fullmatch(f"{path}/jobs/[^/]+", job_path)
    page = client.get(job_path)
    assert "an email with the summary will follow" in page.text
    assert 'hx-trigger="every 1s"' in page.text and "<progress" in page.text
    job_id = job_path.rsplit("/", 1)[1]
    s.hub.imports.run(job_id, "test")
    fragment = client.get(job_path, headers=HTMX).text
    assert "Import job: completed" in fragment and "hx-trigger" not in fragment
    assert 'value="250"' in fragment


def test_the_import_form_disables_its_buttons_and_says_it_is_importing(
    ui: tuple[httpx.Client, str],
) -> None:
    client, path = ui
    page = client.get(path).text
    form = re.search(r'<form method="post"[^>]*id="import-form"[^>]*>', page, re.S)
    assert form is not None
    assert f'action="{path}"' in form.group(0) and f'hx-post="{path}"' in form.group(0)
    assert 'hx-disabled-elt="#import-form button[type=submit]"' in form.group(0)
    assert 'hx-indicator="#import-progress"' in form.group(0)
    assert '<span id="import-progress" class="htmx-indicator progress">Importing…</span>' in page
    token = hidden_csrf(page)
    job = client.post(path, data={"csrf_token": token, "all_new": "true"}, headers=HTMX)
    assert job.status_code == 200 and re.fullmatch(f"{path}/jobs/[^/]+", job.headers["HX-Redirect"])


def test_the_tab_keeps_its_jobs_when_the_application_cannot_be_listed(
    seeded: Seeded, ui: tuple[httpx.Client, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    s, _ = seeded
    client, path = ui
    job = s.hub.imports.start(s.app, all_new=True).job
    assert job is not None
    s.hub.idm.deactivate(s.app)
    page = client.get(path)
    assert page.status_code == 409
    assert '<div id="alert" role="alert"><p class="msg msg-error">' in page.text
    assert "The IdM integration of this application is not active" in page.text
    assert 'aria-current="page">Import</a>' in page.text  # the panel and its tabs
    assert "Recent import jobs" in page.text and f'href="{path}/jobs/{job.id}"' in page.text
    assert 'id="import-form"' not in page.text and "cannot be listed now" in page.text

    def failing(*_: object, **__: object) -> None:
        raise Upstream("The application failed: HTTP 500")

    monkeypatch.setattr(s.hub.imports, "candidates", failing)
    down = client.get(path)
    assert down.status_code == 502 and "The application failed: HTTP 500" in down.text
    assert f'href="{path}/jobs/{job.id}"' in down.text


def test_a_running_job_polls_its_status_apart_from_its_actions(
    seeded: Seeded, ui: tuple[httpx.Client, str]
) -> None:
    s, _ = seeded
    client, path = ui
    job = s.hub.imports.start(s.app, all_new=True).job
    assert job is not None
    page = client.get(f"{path}/jobs/{job.id}").text
    attributes, status = polled(page)
    assert 'hx-trigger="every 1s"' in attributes and 'hx-swap="outerHTML"' in attributes
    assert "Import job: queued" in status and "Cancel the import job" not in status
    assert page.count("hx-trigger") == 1  # the section around it is not polled
    assert f'href="{path}/jobs/{job.id}/cancel" id="job-cancel"' in page
    fragment = client.get(f"{path}/jobs/{job.id}", headers=HTMX)
    assert fragment.text.lstrip().startswith('<div id="job-status"')
    assert "Cancel the import job" not in fragment.text and "HX-Retarget" not in fragment.headers

    s.hub.imports.cancel(s.app, job.id, by="test")
    ended = client.get(f"{path}/jobs/{job.id}", headers=HTMX)
    assert (ended.headers["HX-Retarget"], ended.headers["HX-Reswap"]) == (
        "#job-progress",
        "outerHTML",
    )
    assert ended.text.lstrip().startswith('<section id="job-progress"')
    assert "Import job: cancelled" in ended.text and "hx-trigger" not in ended.text
    assert "Cancel the import job" not in ended.text and "Resume" not in ended.text


def test_the_poll_that_finds_a_job_stopped_shows_resume(odd: MakeOdd) -> None:
    s, target = odd([record(n) for n in range(230)], fail_from=101)
    job = s.hub.imports.start(s.app, all_new=True).job
    assert job is not None
    with signed_in(s) as (client, path):
        running = client.get(f"{path}/jobs/{job.id}").text
        assert "Resume the import" not in running
        stopped = s.hub.imports.run(job.id, "test")
        assert stopped is not None and stopped.state == "failed"
        ended = client.get(f"{path}/jobs/{job.id}", headers=HTMX)
        assert ended.headers["HX-Retarget"] == "#job-progress"
        assert "Import job: failed" in ended.text and "hx-trigger" not in ended.text
        assert 'id="job-resume"' in ended.text and 'id="job-cancel"' in ended.text
        assert "HTTP 500" in ended.text
        target.quirks.fail_from = None
        token = hidden_csrf(running)
        resumed = client.post(f"{path}/jobs/{job.id}/resume", data={"csrf_token": token})
        assert resumed.status_code == 303 and resumed.headers["location"] == f"{path}/jobs/{job.id}"
        again = client.get(resumed.headers["location"]).text
        assert "The import job resumes" in again and "Import job: queued" in again
        assert 'hx-trigger="every 1s"' in again and "Resume the import" not in again


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
    answer = client.post(f"{path}/jobs/{job.id}/cancel", data={"csrf_token": token})
    assert answer.status_code == 303 and answer.headers["location"] == f"{path}/jobs/{job.id}"
    done = client.get(answer.headers["location"])
    assert "The import job is cancelled" in done.text
    assert "Import job: cancelled" in done.text and "Cancelled by web UI" in done.text
    assert "Cancel the import job" not in done.text and "hx-trigger" not in done.text
    again = client.post(f"{path}/jobs/{job.id}/cancel", data={"csrf_token": token})
    assert again.status_code == 409 and "already cancelled" in again.text
    # The confirmation's form posts by htmx too: it is sent to the job's page.
    other = s.hub.imports.start(s.app, all_new=True).job
    assert other is not None
    by_htmx = client.post(
        f"{path}/jobs/{other.id}/cancel", data={"csrf_token": token}, headers=HTMX
    )
    assert by_htmx.status_code == 200
    assert by_htmx.headers["HX-Redirect"] == f"{path}/jobs/{other.id}"
