"""An import job's end, whatever it is, reaches the admin: a job that stops (the application
failed) emails the reason and how to resume, and its end after resuming is emailed again; an
admin can cancel a job, queued or running, through the service, the API and the CLI: it
stops at its next page, writes nothing more, keeps what it imported, and says so by email."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from conftest import LiveServer
from integration.hub.cli_support import Cli
from integration.provisioning.engine_support import Bench, wait_until
from scimhub.api import create_api
from scimhub.problems import Refused
from scimhub.provisioning.importing import ImportJob

from .import_support import MakeOdd, SmtpServer, directory_count
from .odd_target import record


def ended(s: Bench, job_id: str) -> ImportJob | None:
    """The job once it ended and its email went out (or failed to)."""
    job = s.hub.imports.job(s.app, job_id)
    return job if job.finished and job.email_state != "pending" else None


def body_of(smtp: SmtpServer, n: int) -> tuple[str, str]:
    _, message = smtp.inbox.messages[n]
    return str(message["Subject"]), message.get_payload(decode=True).decode()


def test_a_job_that_stops_emails_why_and_how_to_resume_then_its_end(
    odd: MakeOdd, smtp: SmtpServer
) -> None:
    s, target = odd([record(n) for n in range(230)], fail_from=101)
    job = s.hub.imports.start(s.app, all_new=True, notify=["ada@example.com"]).job
    assert job is not None
    stopped = s.hub.imports.run(job.id, "test")
    assert stopped is not None and (stopped.state, stopped.email_state) == ("failed", "sent")
    subject, body = body_of(smtp, 0)
    assert subject == (
        f"scimhub: import from {s.app} stopped: 100 created, 0 skipped, 0 could not be imported"
    )
    assert "HTTP 500" in body and f"--resume {job.id}" in body and "Created:          100" in body
    assert smtp.inbox.messages[0][0] == ["ada@example.com"]

    target.quirks.fail_from = None
    resumed = s.hub.imports.resume(s.app, job.id)
    assert (resumed.state, resumed.email_state) == ("queued", "pending")
    done = s.hub.imports.run(job.id, "test")
    assert done is not None and (done.state, done.created, done.email_state) == (
        "completed",
        230,
        "sent",
    )
    subject, body = body_of(smtp, 1)
    assert subject.startswith(f"scimhub: import from {s.app} completed: 230 created")
    assert len(smtp.inbox.messages) == 2


def test_a_queued_job_cancelled_imports_nobody_and_cannot_resume(
    odd: MakeOdd, smtp: SmtpServer
) -> None:
    s, target = odd([record(n) for n in range(230)])
    job = s.hub.imports.start(s.app, all_new=True).job
    assert job is not None
    pages = target.quirks.pages
    cancelled = s.hub.imports.cancel(s.app, job.id, by="ada")
    assert cancelled.state == "cancelled" and (cancelled.error or "").startswith("Cancelled by ada")
    with pytest.raises(Refused, match="only a failed job can resume"):
        s.hub.imports.resume(s.app, job.id)
    with pytest.raises(Refused, match="already cancelled"):
        s.hub.imports.cancel(s.app, job.id)
    ran = s.hub.imports.run(job.id, "test")  # what a runner does with it: the email only
    assert ran is not None and (ran.state, ran.created, ran.email_state) == (
        "cancelled",
        0,
        "sent",
    )
    assert target.quirks.pages == pages, "no page was read for a cancelled job"
    assert directory_count(s) == 0
    subject, body = body_of(smtp, 0)
    assert subject.startswith(f"scimhub: import from {s.app} cancelled: 0 created")
    assert "did not finish: Cancelled by ada" in body
    assert smtp.inbox.messages[0][0] == ["it-admins@example.com"]


def test_a_running_job_cancelled_stops_at_its_next_page_and_keeps_what_it_imported(
    odd: MakeOdd, smtp: SmtpServer
) -> None:
    s, target = odd([record(n) for n in range(600)], delay=0.2)
    job = s.hub.imports.start(s.app, all_new=True).job
    assert job is not None
    s.start()  # the worker's import thread runs it
    wait_until(lambda: s.hub.imports.job(s.app, job.id).created >= 100, timeout=60)
    cancelled = s.hub.imports.cancel(s.app, job.id, by="ada")
    assert cancelled.state == "cancelled" and 100 <= cancelled.created < 600
    done = wait_until(lambda: ended(s, job.id), timeout=30)
    pages = target.quirks.pages
    assert (done.state, done.email_state) == ("cancelled", "sent")
    assert done.created == cancelled.created == directory_count(s), "the page in flight: none"
    assert len(s.hub.imports.items(s.app, job.id, limit=1000)) == done.created
    time.sleep(0.5)
    assert target.quirks.pages == pages, "nothing more is read"
    assert len(smtp.inbox.messages) == 1


@pytest.fixture
def odd_api(odd: MakeOdd) -> Iterator[tuple[Bench, httpx.Client]]:
    s, _ = odd([record(n) for n in range(150)])
    key, _ = s.hub.api_keys.create("tests")
    app = create_api(s.hub.settings, s.hub.engine, s.hub)
    headers = {"Authorization": f"Bearer {key}"}
    with (
        LiveServer(app) as live,
        httpx.Client(base_url=f"{live.url}/api/v1", headers=headers, timeout=60) as client,
    ):
        yield s, client


def test_the_api_and_the_cli_cancel_a_job(odd_api: tuple[Bench, httpx.Client]) -> None:
    s, api = odd_api
    started = api.post(f"/applications/{s.app}/imports", json={"all_new": True}).json()
    url = f"/applications/{s.app}/imports/{started['job']['id']}"
    answer = api.post(f"{url}/cancel")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["state"] == "cancelled" and "Cancelled by API key" in body["error"]
    again = api.post(f"{url}/cancel")
    assert again.status_code == 409 and "already cancelled" in again.json()["detail"]
    assert api.post(f"/applications/{s.app}/imports/nope/cancel").status_code == 404

    other = s.hub.imports.start(s.app, all_new=True).job
    assert other is not None
    cli = Cli(s.database)
    out = cli("import", s.app, "--cancel", other.id).stdout
    assert f"job {other.id}: cancelled" in out and "Cancelled by CLI" in out
    followed = cli("import", s.app, "--job", other.id, code=1).stdout
    assert "cancelled" in followed
    assert directory_count(s) == 0
