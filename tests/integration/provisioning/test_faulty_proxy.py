"""The misbehaving target itself: passthrough, each fault, rule consumption, the record, cleanup.

The proxy stands in front of the live provider; the tests talk to it with httpx (and a raw
socket where the TCP behaviour itself is the point) and check the provider's state directly.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from conftest import free_port

from ..helpers import ERROR, PATCH_OP, USER
from .conftest import FaultyTarget
from .faulty import Fault, FaultyProxy, Request

Faulty = Callable[..., FaultyTarget]
SHORT = 0.3  # a client timeout, far shorter than the hangs below


@pytest.fixture
def target(faulty: Faulty) -> FaultyTarget:
    return faulty("generic")


@pytest.fixture
def client(target: FaultyTarget) -> Iterator[httpx.Client]:
    """A client of the tenant through the proxy (hang tests pass a short ``timeout=SHORT``)."""
    with connect(target) as c:
        yield c


def connect(target: FaultyTarget, timeout: float = 5) -> httpx.Client:
    return httpx.Client(
        base_url=target.base_url,
        headers={"Authorization": f"Bearer {target.token}"},
        timeout=timeout,
    )


def new_user(client: httpx.Client, name: str | None = None, **kw: Any) -> httpx.Response:
    user_name = name or f"u{time.monotonic_ns()}@example.com"
    return client.post("/Users", json={"schemas": [USER], "userName": user_name}, **kw)


def users_named(target: FaultyTarget, user_name: str) -> int:
    """How many users the provider really holds with this userName (bypassing the proxy)."""
    r = target.direct.client.get("/Users", params={"filter": f'userName eq "{user_name}"'})
    assert r.status_code == 200, r.text
    return int(r.json()["totalResults"])


# --- passthrough ------------------------------------------------------------------------------


def test_requests_pass_through_unchanged_on_one_kept_alive_connection(target, client):
    created = new_user(client, "ada@example.com")
    assert created.status_code == 201, created.text
    uid = created.json()["id"]
    patch = {
        "schemas": [PATCH_OP],
        "Operations": [{"op": "replace", "path": "title", "value": "Eng"}],
    }
    assert client.patch(f"/Users/{uid}", json=patch).status_code == 200
    found = client.get("/Users", params={"filter": 'userName eq "ada@example.com"'})

    assert found.json()["Resources"][0]["title"] == "Eng"
    assert target.direct.client.get(f"/Users/{uid}").json()["title"] == "Eng"
    assert [(r.method, r.status) for r in target.proxy.requests] == [
        ("POST", 201),
        ("PATCH", 200),
        ("GET", 200),
    ]
    assert {r.connection for r in target.proxy.requests} == {1}
    assert ("Authorization", f"Bearer {target.token}") in target.proxy.requests[0].headers
    assert target.proxy.requests[2].query == "filter=userName+eq+%22ada%40example.com%22"


def test_the_client_host_is_kept_so_locations_point_through_the_proxy(target, client):
    created = new_user(client)
    assert created.headers["Location"].startswith(target.proxy.url + "/Users/")


def test_authorization_is_forwarded_as_sent(target):
    with httpx.Client(base_url=target.base_url, timeout=5) as anonymous:
        assert anonymous.get("/Users").status_code == 401
    with httpx.Client(base_url=target.base_url, headers={"Authorization": "Bearer x"}) as bad:
        assert bad.get("/Users").status_code == 401


def test_a_chunked_request_body_reaches_the_provider_whole(target, client):
    body = b'{"schemas": ["%s"], "userName": "chunked@example.com"}' % USER.encode()
    headers = {"Content-Type": "application/scim+json"}
    r = client.post("/Users", content=iter([body[:10], body[10:]]), headers=headers)
    assert r.status_code == 201, r.text
    assert users_named(target, "chunked@example.com") == 1


def test_each_profile_is_served_on_its_own_base_path(faulty_target):
    with connect(faulty_target) as c:
        assert c.get("/Users").status_code == 200
    assert faulty_target.base_url == faulty_target.proxy.url
    assert faulty_target.proxy.requests[0].path == faulty_target.proxy.prefix + "/Users"


def test_an_unreachable_provider_is_a_502():
    with FaultyProxy(f"http://127.0.0.1:{free_port()}", "/scim/v2") as proxy:
        r = httpx.get(proxy.url + "/Users", timeout=5)
        assert r.status_code == 502
        assert proxy.requests[0].upstream is None


def test_concurrent_clients_are_served_on_their_own_connections(target):
    names = [f"c{i}@example.com" for i in range(30)]
    with connect(target) as c, ThreadPoolExecutor(10) as pool:
        statuses = list(pool.map(lambda name: new_user(c, name).status_code, names))
    assert statuses == [201] * 30
    assert all(users_named(target, name) == 1 for name in names)
    assert len({r.connection for r in target.proxy.requests}) > 1


# --- faults -----------------------------------------------------------------------------------


def test_a_status_fault_answers_a_scim_error_with_retry_after_and_keeps_the_connection(
    target, client
):
    target.proxy.fail_all(Fault.status(429, retry_after=2))
    refused = client.get("/Users")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "2"
    assert refused.json() == {
        "schemas": [ERROR],
        "status": "429",
        "detail": refused.json()["detail"],
    }
    assert client.get("/Users").status_code == 200
    first, second = target.proxy.requests
    assert (first.upstream, first.fault, second.fault) == (None, Fault.status(429, 2), None)
    assert first.connection == second.connection


@pytest.mark.parametrize(
    ("retry_after", "header"),
    [
        (0.25, "0.25"),
        (3.0, "3"),
        ("Wed, 21 Oct 2015 07:28:00 GMT", "Wed, 21 Oct 2015 07:28:00 GMT"),
    ],
)
def test_a_status_fault_may_carry_its_own_body_and_any_delay(target, client, retry_after, header):
    body = {"schemas": [ERROR], "status": "503", "detail": "down for maintenance"}
    target.proxy.fail_all(Fault.status(503, retry_after=retry_after, body=body))
    r = client.get("/Users")
    assert (r.status_code, r.headers["Retry-After"], r.json()) == (503, header, body)


def test_a_hang_makes_a_short_timeout_client_raise_read_timeout(target, client):
    target.proxy.fail_all(Fault.hang(5))
    with pytest.raises(httpx.ReadTimeout):
        client.get("/Users", timeout=SHORT)
    assert client.get("/Users").status_code == 200
    assert [r.status for r in target.proxy.requests] == ["hang", 200]


def test_a_reset_is_a_tcp_rst_after_the_request_was_read(target):
    target.proxy.fail_all(Fault.reset())
    request = f"GET {target.proxy.prefix}/Users HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", target.proxy.port), timeout=2) as sock:
        sock.sendall(request)
        with pytest.raises(ConnectionResetError):
            sock.recv(1024)
    assert target.proxy.requests[0].status == "reset"


def test_after_a_reset_the_client_is_served_on_a_new_connection(target, client):
    target.proxy.fail_all(Fault.reset())
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        client.get("/Users")
    assert client.get("/Users").status_code == 200
    reset, served = target.proxy.requests
    assert served.connection > reset.connection


@pytest.mark.parametrize(
    ("fault", "seen"),
    [
        (Fault.status(500), httpx.codes.INTERNAL_SERVER_ERROR),
        (Fault.reset(), (httpx.ReadError, httpx.RemoteProtocolError)),
        (Fault.hang(5), httpx.ReadTimeout),
    ],
)
def test_an_after_fault_creates_the_user_although_the_client_sees_a_failure(
    target, client, fault, seen
):
    target.proxy.fail("POST", "/Users", Fault.after(fault))
    if isinstance(seen, int):
        assert new_user(client, "twice@example.com").status_code == seen
    else:
        with pytest.raises(seen):
            new_user(client, "twice@example.com", timeout=SHORT)
    assert users_named(target, "twice@example.com") == 1
    assert target.proxy.requests[0].upstream == 201
    assert target.proxy.requests[0].forwarded


# --- scripting --------------------------------------------------------------------------------


def test_rules_are_consumed_in_order_and_only_by_matching_requests(target, client):
    target.proxy.fail("POST", "/Users", Fault.status(503), times=2)
    target.proxy.fail("post", "/Users", Fault.status(500))
    statuses = []
    for _ in range(4):
        statuses.append(new_user(client).status_code)
        assert client.get("/Users").status_code == 200
    assert statuses == [503, 503, 500, 201]
    assert len(target.proxy.calls("POST", "/Users")) == 4
    assert [r.upstream for r in target.proxy.calls("POST")] == [None, None, None, 201]


def test_a_path_rule_leaves_other_paths_alone(target, client):
    target.proxy.fail(None, "/Groups", Fault.status(500), times=None)
    assert client.get("/Users").status_code == 200
    assert client.get("/Groups").status_code == 500


def test_times_none_fails_until_cleared(target, client):
    target.proxy.fail_all(Fault.status(500), times=None)
    assert [client.get("/Users").status_code for _ in range(3)] == [500] * 3
    target.proxy.clear()
    assert client.get("/Users").status_code == 200


def test_fail_every_fails_each_nth_matching_request(target, client):
    target.proxy.fail_every(3, Fault.status(500), method="GET")
    assert [client.get("/Users").status_code for _ in range(6)] == [200, 200, 500] * 2
    assert new_user(client).status_code == 201
    with pytest.raises(ValueError):
        target.proxy.fail_every(0, Fault.status(500))


def test_a_scripted_rule_sees_the_request_body(target, client):
    def refuse_bob(request: Request) -> Fault | None:
        return Fault.status(409) if b"bob@" in request.body else None

    target.proxy.script(refuse_bob)
    assert new_user(client, "bob@example.com").status_code == 409
    assert new_user(client, "alice@example.com").status_code == 201
    assert users_named(target, "bob@example.com") == 0


def test_a_scripted_rule_may_consult_the_record(target, client):
    proxy = target.proxy
    proxy.script(lambda request: Fault.status(503) if len(proxy.requests) < 2 else None)
    assert [client.get("/Users").status_code for _ in range(3)] == [503, 503, 200]


def test_requests_are_recorded_with_their_time(target, client):
    before = time.monotonic()
    new_user(client)
    client.get("/Users")
    first, second = target.proxy.requests
    assert before <= first.at <= second.at <= time.monotonic()
    assert b"userName" in first.body
    assert (second.method, second.path, second.body) == ("GET", target.proxy.prefix + "/Users", b"")


# --- lifecycle --------------------------------------------------------------------------------


def test_closing_mid_hang_is_prompt_and_leaves_no_thread_behind(provider):
    before = set(threading.enumerate())
    proxy = FaultyProxy(provider.url, "/scim/v2")
    proxy.fail_all(Fault.hang(30))
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=2) as sock:
        sock.sendall(b"GET /scim/v2/Users HTTP/1.1\r\nHost: x\r\n\r\n")
        while not proxy.requests:
            time.sleep(0.01)
        started = time.monotonic()
        proxy.close()
        assert time.monotonic() - started < 1
        assert sock.recv(1024) == b""
    proxy.close()
    assert set(threading.enumerate()) == before
