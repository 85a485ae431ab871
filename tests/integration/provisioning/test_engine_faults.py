"""Fault injection: the engine against a target that misbehaves on purpose (`FaultyProxy` in
front of the project's own provider, both profiles, both hub databases).

429 with Retry-After, 500s, hangs past the engine's timeout and connection resets are
transient: the engine backs off and converges once the target behaves. Faults *after* the
provider acted (the user was created, the engine saw a 500, a reset or a hang) are the
dangerous ones: the next attempt must find the account by userName and link it, so that no
user is ever created twice. A permanent 4xx puts one user's link in error and nothing else.

The engine's backoff is the production one (base 1 s, jitter 0.5-1.0): each test injects a
few faults only, so that every retry comes within a second or two.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

from scimhub.directory.models import DirectoryUser
from scimhub.provisioning.links import Link, load_link
from scimhub.storage.transactions import read_tx

from ..helpers import ERROR
from .conftest import FaultyTarget
from .engine_support import Bench, bench_for, wait_until
from .faulty import Fault, FaultyProxy, Request

TIMEOUT = 0.5  #: the engine's per-request timeout in these tests; hangs last longer


def proxied_bench(
    backend: str, tmp_path: Path, target: FaultyTarget, **settings: Any
) -> AbstractContextManager[Bench]:
    """`engine_support.bench`, with the application activated against the proxy's URL."""
    return bench_for(backend, tmp_path, target.direct, target.base_url, target.profile, **settings)


@pytest.fixture
def s(backend: str, tmp_path: Path, faulty_target: FaultyTarget) -> Iterator[Bench]:
    with proxied_bench(
        backend, tmp_path, faulty_target, provisioning_timeout_seconds=TIMEOUT
    ) as made:
        yield made


@pytest.fixture
def proxy(faulty_target: FaultyTarget) -> FaultyProxy:
    return faulty_target.proxy


# --- checks ----------------------------------------------------------------------------------


def copies(s: Bench, username: str) -> int:
    """How many accounts the provider holds under ``username`` (asked directly)."""
    escaped = json.dumps(username)
    answer = s.target.client.get("/Users", params={"filter": f"userName eq {escaped}"})
    answer.raise_for_status()
    return int(answer.json()["totalResults"])


def converge(s: Bench, timeout: float = 15.0) -> None:
    """Run a worker until no link waits for work any more."""
    if not s.workers:
        s.start()
    wait_until(lambda: s.hub.provisioning.status(s.app).pending == 0, timeout=timeout)


def assert_each_created_once(s: Bench, users: list[DirectoryUser]) -> None:
    assert [copies(s, u.username) for u in users] == [1] * len(users)
    assert s.remote_count() == len(users)
    assert not [e for e in s.log() if e.http_status == 409], "no create met an existing user"
    status = s.hub.provisioning.status(s.app)
    assert (status.errors, status.provisioned) == (0, len(users))


def link_of(s: Bench, user: DirectoryUser) -> Link:
    with read_tx(s.hub.engine) as conn:
        link = load_link(conn, s.hub.provisioning.status(s.app).app_id, user.id)
    assert link is not None
    return link


def posted_username(request: Request) -> str | None:
    if request.method != "POST" or not request.body:
        return None
    name = json.loads(request.body).get("userName")
    return name if isinstance(name, str) else None


def retries(s: Bench) -> list[Any]:
    return s.log(status="retry")


# --- answers without acting: the request never reached the provider ----------------------


def test_a_429_with_retry_after_holds_the_application_then_it_converges(
    s: Bench, proxy: FaultyProxy
) -> None:
    users = [s.user("r") for _ in range(6)]
    proxy.fail("POST", "/Users", Fault.status(429, retry_after=1), times=2)
    s.group(*users)
    converge(s)
    assert_each_created_once(s, users)
    limited = [e for e in retries(s) if e.http_status == 429]
    assert len(limited) == 2 and all(e.action == "create" for e in limited)
    assert "rate limiting" in (limited[0].message or "")
    seen = sorted(proxy.requests, key=lambda r: r.at)
    for n, request in enumerate(seen[:-1]):
        if request.status == 429:
            quiet = seen[n + 1].at - request.at
            assert quiet >= 0.9, f"a request {quiet:.2f} s into a 1 s Retry-After"


def test_a_429_holds_every_worker_thread_not_only_the_one_that_met_it(
    backend: str, tmp_path: Path, faulty_target: FaultyTarget
) -> None:
    proxy, threads = faulty_target.proxy, 4
    knobs = {"worker_threads": threads, "worker_batch_size": 10}
    with proxied_bench(backend, tmp_path, faulty_target, **knobs) as s:
        users = [s.user("t") for _ in range(threads * 10)]  # one batch of 10 per thread
        posts, hold = itertools.count(1), Fault.status(429, retry_after=2)
        proxy.script(lambda r: hold if r.method == "POST" and next(posts) == threads else None)
        s.group(*users)
        converge(s)
        assert_each_created_once(s, users)
    limited = next(r for r in proxy.requests if r.status == 429)
    during = [r for r in proxy.requests if limited.at < r.at < limited.at + 1.9]
    assert len(during) < threads, "at most the requests already on the wire, one a thread"


def test_500s_until_the_target_recovers_then_every_user_is_created_once(
    s: Bench, proxy: FaultyProxy
) -> None:
    users = [s.user("f") for _ in range(6)]
    proxy.fail_all(Fault.status(500), times=None)
    s.group(*users)
    s.start()
    wait_until(lambda: len([r for r in proxy.requests if r.status == 500]) >= 4)
    # a batch's outcomes are written when its last request has answered: wait for them
    wait_until(lambda: s.hub.provisioning.status(s.app).errors > 0)
    assert s.remote_count() == 0, "the failing users are retrying, none was created"
    proxy.clear()
    converge(s)
    assert_each_created_once(s, users)
    failed = retries(s)
    assert failed and all(e.http_status == 500 for e in failed)
    assert "answered HTTP 500" in (failed[0].message or "")


def test_requests_hanging_past_the_timeout_are_retried(s: Bench, proxy: FaultyProxy) -> None:
    users = [s.user("h") for _ in range(4)]
    proxy.fail("GET", "/Users", Fault.hang(TIMEOUT * 6), times=1)
    proxy.fail("POST", "/Users", Fault.hang(TIMEOUT * 6), times=2)
    s.group(*users)
    converge(s)
    assert_each_created_once(s, users)
    timed_out = retries(s)
    assert {e.action for e in timed_out} == {"lookup", "create"}
    assert all(f"did not answer within {TIMEOUT:g} s" in (e.message or "") for e in timed_out)
    assert all(e.http_status is None for e in timed_out)


def test_connections_reset_by_the_target_are_retried(s: Bench, proxy: FaultyProxy) -> None:
    users = [s.user("c") for _ in range(4)]
    proxy.fail("GET", "/Users", Fault.reset(), times=1)
    proxy.fail("POST", "/Users", Fault.reset(), times=2)
    s.group(*users)
    converge(s)
    assert_each_created_once(s, users)
    reset = retries(s)
    assert {e.action for e in reset} == {"lookup", "create"}
    assert all("connection" in (e.message or "") for e in reset)


# --- answers after acting: the provider created the user, the engine saw a failure ---------


@pytest.mark.parametrize(
    "fault",
    [Fault.status(500), Fault.status(503, retry_after=1), Fault.reset(), Fault.hang(TIMEOUT * 6)],
    ids=["500", "503", "reset", "hang"],
)
def test_a_create_that_failed_after_the_provider_acted_is_linked_not_repeated(
    s: Bench, proxy: FaultyProxy, fault: Fault
) -> None:
    users = [s.user("a") for _ in range(4)]
    proxy.fail("POST", "/Users", Fault.after(fault), times=2)
    s.group(*users)
    converge(s)
    assert_each_created_once(s, users)
    posts = proxy.calls("POST", "/Users")
    assert [r.upstream for r in posts if r.forwarded] == [201] * 4, "one create per user"
    assert len(posts) == 4, "a user the provider created is never posted again"
    hit = {posted_username(r) for r in posts if r.fault is not None}
    for user in users:
        entries = list(reversed(s.log(user=user.username)))
        actions = [e.action for e in entries]
        if user.username in hit:
            assert actions[:2] == ["lookup", "create"] and "link" in actions, actions
            assert link_of(s, user).remote_id == s.remote(user.username)["id"]  # type: ignore[index]
        else:
            # Not faulted by the proxy; but on a loaded machine the provider may answer after
            # the engine's 0.5 s timeout (it acted all the same): the engine saw the create
            # fail, and that user is linked like a faulted one.
            failed = any(e.action == "create" and e.status != "ok" for e in entries)
            shown = [(e.action, e.status, e.message) for e in entries]
            assert "link" not in actions or failed, shown


def test_mixed_faults_before_and_after_the_provider_acted_create_nobody_twice(
    backend: str, tmp_path: Path, faulty_target: FaultyTarget
) -> None:
    proxy = faulty_target.proxy
    knobs = {"worker_threads": 4, "worker_batch_size": 5, "provisioning_timeout_seconds": TIMEOUT}
    with proxied_bench(backend, tmp_path, faulty_target, **knobs) as s:
        users = [s.user("m") for _ in range(30)]
        proxy.fail_every(3, Fault.after(Fault.status(502)), "POST", "/Users")
        proxy.fail_every(4, Fault.after(Fault.reset()), "POST", "/Users")
        proxy.fail_every(5, Fault.reset(), "GET", "/Users")
        proxy.fail_every(7, Fault.status(503))
        s.group(*users)
        s.start()
        wait_until(lambda: len([r for r in proxy.requests if r.fault]) >= 12)
        proxy.clear()
        converge(s, timeout=20)
        assert_each_created_once(s, users)
    forwarded = [r for r in proxy.calls("POST", "/Users") if r.forwarded]
    assert sorted(posted_username(r) or "" for r in forwarded) == sorted(
        u.username for u in users
    ), "each user was posted to the provider exactly once"


# --- a permanent refusal --------------------------------------------------------------------


def test_a_permanent_4xx_puts_only_that_users_link_in_error_with_the_targets_words(
    s: Bench, proxy: FaultyProxy
) -> None:
    users = [s.user("p") for _ in range(5)]
    refused = users[2]
    said = {"schemas": [ERROR], "status": "400", "detail": "Department code is unknown"}
    bad = Fault.status(400, body=said)
    proxy.script(lambda r: bad if posted_username(r) == refused.username else None)
    s.group(*users)
    s.drain()
    s.drain()  # nothing is due: a refusal is not retried by itself
    fine = [u for u in users if u is not refused]
    assert [copies(s, u.username) for u in fine] == [1] * len(fine)
    assert copies(s, refused.username) == 0
    assert len([r for r in proxy.calls("POST") if posted_username(r) == refused.username]) == 1
    status = s.hub.provisioning.status(s.app)
    assert (status.errors, status.provisioned, status.pending) == (1, len(fine), 0)
    assert "Department code is unknown" in (link_of(s, refused).error or "")
    entry = s.log(user=refused.username, action="create")
    assert [(e.status, e.http_status) for e in entry] == [("error", 400)]
    assert "Department code is unknown" in (entry[0].message or "")
    assert s.log(status="error") == entry


def test_an_account_the_target_lists_but_answers_404_for_is_an_error_not_a_loop(
    s: Bench, proxy: FaultyProxy
) -> None:
    ada = s.user("ada", job_title="Engineer")
    s.group(ada)
    s.drain()
    remote_id = s.remote(ada.username)["id"]  # type: ignore[index]
    gone = Fault.status(404, body={"schemas": [ERROR], "status": "404", "detail": "no such user"})
    proxy.fail(None, f"/Users/{remote_id}", gone, times=None)  # its search still finds it
    s.hub.users.edit(ada.id, job_title="Lead")
    s.drain()
    touched = [r for r in proxy.requests if remote_id in r.path]
    assert len(touched) <= 4, "looked up again once, not in a loop"
    link = link_of(s, ada)
    assert "answers 404" in (link.error or "")
    assert s.hub.provisioning.status(s.app).pending == 0
