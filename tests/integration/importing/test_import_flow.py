"""Importing users who exist in the application into the directory, end to end over real
HTTP against the project's own provider (Profit.co profile), on both databases: statuses,
the New-only filter, a small import's per-user results, a large import as a job with its
summary email over real SMTP, and provisioning afterwards updating (never re-creating)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from integration.provisioning.engine_support import Bench, wait_until
from scimhub.storage.provisioning_tables import provisioning_links as links
from scimhub.storage.transactions import read_tx

from .conftest import ALREADY, SEEDED
from .import_support import SmtpServer, directory_count

Seeded = tuple[Bench, list[dict[str, Any]]]


def every_candidate(s: Bench, new_only: bool = False, count: int = 100) -> list[Any]:
    found, start = [], 1
    while start is not None:
        page = s.hub.imports.candidates(s.app, start=start, count=count, new_only=new_only)
        found += page.candidates
        start = page.next_start
    return found


def imported_links(s: Bench) -> list[Any]:
    with read_tx(s.hub.engine) as conn:
        return list(conn.execute(select(links).where(links.c.remote_state == "imported")))


def test_each_application_user_shows_as_new_or_imported(seeded: Seeded) -> None:
    s, remotes = seeded
    found = every_candidate(s)
    assert len(found) == SEEDED
    status = {c.remote.username: c.status for c in found}
    assert {status[r["userName"]] for r in remotes[:ALREADY]} == {"imported"}
    assert {status[r["userName"]] for r in remotes[ALREADY:]} == {"new"}
    first = next(c for c in found if c.remote.username == remotes[0]["userName"])
    assert (first.match, first.directory_username) == ("userName", remotes[0]["userName"])
    new = next(c for c in found if c.remote.username == remotes[-1]["userName"])
    assert new.remote.fields["firstname"] == "Given249"
    assert new.remote.fields["department"] == "Dept 4"


def test_matching_ignores_case_and_falls_back_to_the_email(seeded: Seeded) -> None:
    s, remotes = seeded
    shouting = remotes[ALREADY]["userName"].upper()
    s.hub.users.add(username=shouting, email=f"other-{remotes[ALREADY]['userName']}")
    by_email = remotes[ALREADY + 1]["userName"]
    s.hub.users.add(username="someone.else", email=by_email.upper())
    found = {c.remote.username: c for c in every_candidate(s, count=1000)}
    assert found[remotes[ALREADY]["userName"]].status == "imported"
    via_email = found[by_email]
    assert (via_email.status, via_email.match) == ("imported", "email")
    assert "someone.else" in (via_email.conflict or "")


def test_the_new_only_filter_shows_only_new_users_and_pages_through_them(seeded: Seeded) -> None:
    s, remotes = seeded
    first = s.hub.imports.candidates(s.app, count=30, new_only=True)
    assert len(first.candidates) == 30 and {c.status for c in first.candidates} == {"new"}
    assert first.next_start is not None and first.total == SEEDED
    new = every_candidate(s, new_only=True, count=30)
    assert sorted(c.remote.username for c in new) == sorted(
        r["userName"] for r in remotes[ALREADY:]
    )


def test_a_small_import_runs_at_once_with_a_result_per_user(seeded: Seeded) -> None:
    s, remotes = seeded
    chosen = [r["userName"] for r in remotes[ALREADY : ALREADY + 3]]
    names = [*chosen, remotes[0]["userName"], "nobody@example.com"]
    started = s.hub.imports.start(s.app, usernames=names)
    assert started.job is None and started.results is not None
    outcome = {r.username.casefold(): (r.outcome, r.reason) for r in started.results}
    assert [outcome[n.casefold()][0] for n in chosen] == ["created"] * 3
    assert outcome[remotes[0]["userName"].casefold()][0] == "skipped"
    assert "Already in the directory" in (outcome[remotes[0]["userName"].casefold()][1] or "")
    assert outcome["nobody@example.com"] == (
        "failed",
        "No user with this userName in the application",
    )
    assert "user group bound to" in started.warning
    user = s.hub.users.get(chosen[0])
    remote = s.remote(chosen[0])
    assert remote is not None
    assert (user.email, user.firstname, user.lastname) == (chosen[0], "Given40", "Family40")
    assert (user.department, user.job_title, user.state) == ("Dept 5", "Title 40", "ACTIVATED")
    assert {(row.remote_id, row.username) for row in imported_links(s)} >= {
        (remote["id"], chosen[0])
    }
    assert s.hub.users.get(chosen[1]).id  # and nothing for the unknown name
    assert directory_count(s) == ALREADY + 3


def test_a_large_import_runs_as_a_job_and_emails_its_summary(
    seeded: Seeded, smtp: SmtpServer
) -> None:
    s, _ = seeded
    started = s.hub.imports.start(
        s.app, all_new=True, requested_by="ada", notify=["ada@example.com", "ops@example.com"]
    )
    assert started.results is None and started.job is not None
    assert started.job.state == "queued"
    s.start()  # the worker runs import jobs
    job = wait_until(lambda: _finished(s, started.job.id), timeout=60)
    assert (job.state, job.created, job.skipped, job.failed) == ("completed", 210, ALREADY, 0)
    assert job.listed == SEEDED and job.total == SEEDED
    assert directory_count(s) == SEEDED
    wait_until(lambda: smtp.inbox.messages, timeout=10)
    (recipients, message), *more = smtp.inbox.messages
    assert not more
    assert recipients == ["ada@example.com", "ops@example.com"]
    assert message["From"] == "scimhub@example.com"
    assert message["Subject"] == (
        f"scimhub: import from {s.app} completed: 210 created, 40 skipped, 0 could not be imported"
    )
    body = message.get_payload(decode=True).decode()
    assert "Created:          210" in body and "Requested by:     ada" in body
    assert "Users listed:     250" in body and "belong to no group" in body
    assert "Skipped:          40 (already in the directory)" in body
    assert _finished(s, job.id).email_state == "sent"


def test_a_job_without_recipients_falls_back_to_the_configured_ones(
    seeded: Seeded, smtp: SmtpServer
) -> None:
    s, _ = seeded
    job = s.hub.imports.start(s.app, all_new=True).job
    assert job is not None
    ran = s.hub.imports.run(job.id, "test-runner")
    assert ran is not None and ran.state == "completed" and ran.email_state == "sent"
    assert [r for r, _ in smtp.inbox.messages] == [["it-admins@example.com"]]


def test_after_an_import_binding_a_group_updates_the_linked_users_and_creates_none(
    seeded: Seeded,
) -> None:
    s, remotes = seeded
    names = [r["userName"] for r in remotes[ALREADY : ALREADY + 5]]
    s.hub.imports.start(s.app, usernames=names)
    ids = {n: s.remote(n)["id"] for n in names}
    s.hub.users.edit(names[0], job_title="Chief Importer")
    before = s.remote_count()
    s.group(*(s.hub.users.get(n) for n in names))
    s.drain()
    assert s.remote_count() == before
    assert s.remote(names[0])["title"] == "Chief Importer"
    assert {n: s.remote(n)["id"] for n in names} == ids
    actions = {e.action for e in s.log()}
    assert "create" not in actions and "lookup" not in actions
    assert "update" in actions
    with read_tx(s.hub.engine) as conn:
        states = conn.execute(select(links.c.remote_state).where(links.c.username.in_(names)))
        assert set(states.scalars()) == {"active"}


def test_imported_users_outside_any_bound_group_are_left_alone_by_a_reconcile(
    seeded: Seeded,
) -> None:
    s, remotes = seeded
    names = [r["userName"] for r in remotes[ALREADY : ALREADY + 3]]
    s.hub.imports.start(s.app, usernames=names)
    s.hub.provisioning.reconcile(s.app)
    s.drain()
    assert all(s.remote(n)["active"] is True for n in names)
    assert not [e for e in s.log() if e.action in ("deactivate", "update", "create")]


def test_importing_needs_an_active_integration(seeded: Seeded) -> None:
    s, _ = seeded
    s.hub.idm.deactivate(s.app)
    with pytest.raises(Exception, match="not active"):
        s.hub.imports.candidates(s.app)


def _finished(s: Bench, job_id: str) -> Any:
    job = s.hub.imports.job(s.app, job_id)
    return job if job.finished and job.email_state != "pending" else None
