"""Records that cannot be imported, targets that page badly, and an application failing
halfway: each bad record is reported for its user while the rest go in, every paging quirk
still lists every user once, and a failed job resumes without duplicates."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from scimhub.problems import Upstream
from scimhub.storage.provisioning_tables import provisioning_links as links
from scimhub.storage.transactions import read_tx

from .import_support import MakeOdd, directory_count
from .odd_target import record


def test_records_that_cannot_be_imported_are_reported_and_the_rest_go_in(odd: MakeOdd) -> None:
    records = [
        record(1),
        record(2, userName=None),
        record(3, emails=[{"value": "not an email", "type": "work"}], userName="three"),
        record(4, userName="twin@example.com"),
        record(5, userName="TWIN@example.com"),
        record(6, userName="taken.email", emails=[{"value": "held@example.com", "type": "work"}]),
        record(7),
    ]
    s, _ = odd(records)
    s.hub.users.add(username="holder", email="held@example.com")
    started = s.hub.imports.start(s.app, all_new=True)
    assert started.results is not None
    by_id = {r.remote_id: r for r in started.results}
    assert by_id["id-odd-1"].outcome == "created" and by_id["id-odd-7"].outcome == "created"
    assert by_id["id-odd-4"].outcome == "created"
    assert (by_id["id-odd-2"].outcome, by_id["id-odd-2"].reason) == (
        "failed",
        "The application's record has no userName",
    )
    assert by_id["id-odd-3"].outcome == "failed" and "email" in (by_id["id-odd-3"].reason or "")
    assert by_id["id-odd-5"].outcome == "failed"
    assert "Duplicate in the application" in (by_id["id-odd-5"].reason or "")
    assert by_id["id-odd-6"].outcome == "failed"
    assert "already used by directory user 'holder'" in (by_id["id-odd-6"].reason or "")
    assert directory_count(s) == 1 + 3  # holder + three created, nothing half-written


@pytest.mark.parametrize(
    "quirks",
    [
        {"page_cap": 7},
        {"ignore_count": True},
        {"no_total": True},
        {"no_total": True, "page_cap": 13},
        {"ignore_count": True, "no_total": True},
    ],
    ids=["capped-pages", "count-ignored", "no-total", "no-total-capped", "one-page-no-total"],
)
def test_listing_copes_with_targets_that_page_badly(odd: MakeOdd, quirks: dict[str, Any]) -> None:
    s, _ = odd([record(n) for n in range(230)], **quirks)
    seen, start = [], 1
    while start is not None:
        page = s.hub.imports.candidates(s.app, start=start, count=100)
        seen += [c.remote.remote_id for c in page.candidates]
        start = page.next_start
    assert sorted(seen) == sorted(f"id-odd-{n}" for n in range(230))
    job = s.hub.imports.start(s.app, all_new=True).job
    assert job is not None
    done = s.hub.imports.run(job.id, "test")
    assert done is not None and (done.state, done.created, done.listed) == ("completed", 230, 230)


def test_a_target_ignoring_start_index_is_refused_not_looped(odd: MakeOdd) -> None:
    s, target = odd([record(n) for n in range(230)], ignore_start=True)
    s.hub.users.add(username="odd0000@example.com", email="odd0000@example.com")
    before = target.quirks.pages
    with pytest.raises(Upstream, match="ignores startIndex"):
        s.hub.imports.candidates(s.app, count=50, new_only=True, start=1)
    with pytest.raises(Upstream, match="ignores startIndex"):
        s.hub.imports.start(s.app, all_new=True)
    assert target.quirks.pages - before == 4  # two pages each, then refused
    assert directory_count(s) == 1


def test_an_application_failing_halfway_leaves_a_resumable_job(odd: MakeOdd) -> None:
    s, target = odd([record(n) for n in range(230)], fail_from=101)
    job = s.hub.imports.start(s.app, all_new=True).job
    assert job is not None
    stopped = s.hub.imports.run(job.id, "test")
    assert stopped is not None and stopped.state == "failed"
    assert "500" in (stopped.error or "") and "resume" in (stopped.error or "")
    assert (stopped.created, stopped.next_start) == (100, 101)
    assert directory_count(s) == 100
    target.quirks.fail_from = None
    assert s.hub.imports.resume(s.app, job.id).state == "queued"
    done = s.hub.imports.run(job.id, "test")
    assert done is not None and (done.state, done.created, done.runs) == ("completed", 230, 2)
    assert directory_count(s) == 230
    with read_tx(s.hub.engine) as conn:
        remote_ids = conn.execute(select(links.c.remote_id)).scalars().all()
    assert len(remote_ids) == len(set(remote_ids)) == 230


def test_a_selection_of_100_or_more_users_runs_as_a_job(odd: MakeOdd) -> None:
    s, _ = odd([record(n) for n in range(150)])
    names = [f"odd{n:04d}@example.com" for n in range(120)] + ["ghost@example.com"]
    started = s.hub.imports.start(s.app, usernames=names)
    assert started.job is not None and started.job.total == 121
    done = s.hub.imports.run(started.job.id, "test")
    assert done is not None and (done.created, done.failed) == (120, 1)
    failed = s.hub.imports.items(s.app, done.id, outcome="failed")
    assert [(i.username, i.reason) for i in failed] == [
        ("ghost@example.com", "No user with this userName in the application")
    ]


def test_accounts_sharing_a_username_in_a_job_are_each_reported_once(odd: MakeOdd) -> None:
    """Duplicates inside one page and across pages (pages of 50), and names equal only once
    case-folded (Straße / STRASSE): the first account is created, each other one is
    reported with its own item, and no item is overwritten."""
    records = [record(n) for n in range(150)]
    records[11] = record(11, userName="ODD0010@example.com")  # same page as 10
    records[120] = record(120, userName="odd0030@EXAMPLE.com")  # a later page than 30
    records[140] = record(140, userName="straße@example.com")
    records[141] = record(141, userName="STRASSE@example.com")
    s, _ = odd(records)
    job = s.hub.imports.start(s.app, all_new=True).job
    assert job is not None
    done = s.hub.imports.run(job.id, "test")
    assert done is not None and done.state == "completed", done
    assert (done.created, done.failed) == (147, 3)
    items = s.hub.imports.items(s.app, job.id, limit=1000)
    assert len(items) == 150 and len({i.seq for i in items}) == 150
    outcome = {i.remote_id: (i.outcome, i.reason or "") for i in items}
    assert outcome["id-odd-10"][0] == outcome["id-odd-30"][0] == "created"
    assert outcome["id-odd-140"][0] == "created"
    for twin in ("id-odd-11", "id-odd-120", "id-odd-141"):
        assert outcome[twin][0] == "failed" and "same userName" in outcome[twin][1], twin
    assert directory_count(s) == 147
