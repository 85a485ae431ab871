"""An import job's end, whatever it is, reaches the admin: a job that stops (the application
failed) emails the reason and how to resume, and its end after resuming is emailed again; an
admin can cancel a job, queued or running, through the service, the API and the CLI: it
stops at its next page, writes nothing more, keeps what it imported, and says so by email."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from conftest import LiveServer
from integration.hub.cli_support import Cli
from integration.provisioning.engine_support import Bench, wait_until
from scimhub.api import create_api
from scimhub.notify import Email, MailError, SmtpMailer, SmtpSettings
from scimhub.problems import Invalid, Refused
from scimhub.provisioning.importing import ImportJob
from scimhub.provisioning.importing.apply import Importer
from scimhub.provisioning.importing.jobs import cancel
from scimhub.storage.transactions import write_tx

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
    """Pages of 50; the third waits at the application until the job is cancelled: the
    page in flight is read, then rolled back, and nothing more is read or written."""
    s, target = odd([record(n) for n in range(600)], hold_from=101)
    job = s.hub.imports.start(s.app, all_new=True).job
    assert job is not None
    read_to_start = target.quirks.pages
    s.start()  # the worker's import thread runs it
    wait_until(lambda: s.hub.imports.job(s.app, job.id).created >= 100, timeout=60)
    cancelled = s.hub.imports.cancel(s.app, job.id, by="ada")
    assert (cancelled.state, cancelled.created) == ("cancelled", 100)
    target.quirks.hold_from = None
    done = wait_until(lambda: ended(s, job.id), timeout=30)
    assert (done.state, done.email_state, done.created) == ("cancelled", "sent", 100)
    assert directory_count(s) == 100, "the page in flight was rolled back"
    assert len(s.hub.imports.items(s.app, job.id, limit=1000)) == 100
    assert target.quirks.pages == read_to_start + 3, "no page after the cancelled one"
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


def test_an_unexpected_error_fails_the_job_visibly_and_the_next_job_still_runs(
    odd: MakeOdd, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fault injection (a defect cannot be produced on purpose): the page's import raises.
    The job ends failed with the error and is emailed; it no longer blocks the queue."""
    s, _ = odd([record(n) for n in range(150)])
    broken = s.hub.imports.start(s.app, all_new=True).job
    later = s.hub.imports.start(s.app, all_new=True).job
    assert broken is not None and later is not None

    def defect(*_: object, **__: object) -> None:
        raise RuntimeError("a defect in the page's import")

    with monkeypatch.context() as patch:
        patch.setattr(Importer, "apply", defect)
        stopped = s.hub.imports.run(broken.id, "test")
    assert stopped is not None and (stopped.state, stopped.email_state) == ("failed", "sent")
    assert "RuntimeError: a defect in the page's import" in (stopped.error or "")
    assert directory_count(s) == 0
    assert s.hub.imports.runner.run_next("worker")  # the oldest waiting job is the later one
    assert s.hub.imports.job(s.app, later.id).state == "completed"
    assert s.hub.imports.resume(s.app, broken.id).state == "queued"


def test_notify_addresses_must_be_email_addresses(odd_api: tuple[Bench, httpx.Client]) -> None:
    s, api = odd_api
    for bad in (["x\r\nBcc: a@b.c"], ["not an address"], [f"a{n}@x.io" for n in range(21)]):
        answer = api.post(f"/applications/{s.app}/imports", json={"all_new": True, "notify": bad})
        assert answer.status_code == 422, (bad, answer.text)
    with pytest.raises(Invalid, match="Invalid email"):
        s.hub.imports.start(s.app, all_new=True, notify=["ada@example.com\nBcc: eve@x.io"])
    assert s.hub.imports.jobs(s.app) == []


def test_an_email_that_cannot_be_written_is_a_mail_error_not_a_crash() -> None:
    mailer = SmtpMailer(SmtpSettings(host="127.0.0.1", port=9))
    with pytest.raises(MailError, match="could not be written"):
        mailer.send(Email(("a@x.io\r\nBcc: b@y.io",), "subject", "text"))


def test_a_slow_lookup_keeps_the_lease_so_no_other_runner_takes_the_job(
    odd: MakeOdd, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One name per request (no "or" filters), 50 names a chunk, 40 ms each: a chunk takes
    twice the 1 s lease; the runner's heartbeat keeps it."""
    s, _ = odd([record(n) for n in range(130)], no_or=True, lookup_delay=0.04)
    runner_of = s.hub.imports.runner
    monkeypatch.setattr(
        runner_of, "settings", dataclasses.replace(runner_of.settings, lease_seconds=1.0)
    )
    job = s.hub.imports.start(s.app, usernames=[f"odd{n:04d}@example.com" for n in range(120)])
    assert job.job is not None
    result: list[ImportJob | None] = []
    runner = threading.Thread(target=lambda: result.append(s.hub.imports.run(job.job.id, "a")))
    runner.start()
    intruders = 0
    while runner.is_alive():
        intruders += s.hub.imports.run(job.job.id, "b") is not None
        time.sleep(0.2)
    runner.join()
    assert intruders == 0, "another runner took the job over"
    done = result[0]
    assert done is not None and (done.state, done.created, done.runs) == ("completed", 120, 1)


def test_a_cancel_racing_the_jobs_end_leaves_it_completed(odd: MakeOdd) -> None:
    s, _ = odd([record(n) for n in range(150)])
    job = s.hub.imports.start(s.app, all_new=True).job
    assert job is not None
    done = s.hub.imports.run(job.id, "test")
    assert done is not None and done.state == "completed"
    with write_tx(s.hub.engine) as conn:  # what a cancel that read "running" then writes
        assert cancel(conn, dataclasses.replace(done, state="running"), "late") is False
    assert s.hub.imports.job(s.app, job.id).state == "completed"


def test_all_new_is_decided_at_once_only_over_the_first_500_users(odd: MakeOdd) -> None:
    """Three New users among 700: too many to read within the request, so a job."""
    records = [record(n) for n in range(700)]
    s, target = odd(records)
    for r in records[3:]:
        s.hub.users.add(username=r["userName"], email=r["userName"])
    started = s.hub.imports.start(s.app, all_new=True)
    assert started.job is not None and target.quirks.pages == 5
    done = s.hub.imports.run(started.job.id, "test")
    assert done is not None and (done.created, done.skipped) == (3, 697)
