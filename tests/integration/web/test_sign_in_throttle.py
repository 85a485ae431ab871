"""Sign-ins are throttled per client address too (``scimhub.web.throttle``): a client that
guesses many names, or names that do not exist, is slowed down like a client guessing one
account's password, refused before any password work, with the same 429, Retry-After and
form message.

Each test signs in from a loopback address of its own (127.0.0.0/8 is all loopback), to
the shared UI server whose limiter is swapped, for the test, for one on a clock the test
moves (3 free attempts), and whose argon2 verifications are counted.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from starlette.routing import Mount

from conftest import LiveServer
from scimhub.hub import Hub
from scimhub.web import UI_PREFIX, create_web
from scimhub.web.throttle import AddressRule, AddressThrottle

from .support import Admin, sign_in

FREE = 3
WAITING = r"Too many failed sign-ins; try again in \d+ s"
_hosts = itertools.count(1)

Connect = Callable[..., httpx.Client]


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


class CountingHasher(PasswordHasher):
    """argon2 as configured by default, counting the verifications a throttle must spare."""

    def __init__(self) -> None:
        super().__init__()
        self.verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:  # type: ignore[override]
        self.verified += 1
        return super().verify(hash, password)


def ui_app(server: LiveServer) -> FastAPI:
    """The web UI inside the composed app (mounted at /ui, inside its body limit)."""
    composed = server.server.config.app
    mount = next(r for r in composed.routes if isinstance(r, Mount) and r.path == UI_PREFIX)
    web = mount.app.app
    assert isinstance(web, FastAPI)
    return web


@pytest.fixture
def clock(web_server: LiveServer) -> Iterator[Clock]:
    """The UI's limiter, for this test, on a clock the test moves (3 free attempts)."""
    web, moved = ui_app(web_server), Clock()
    kept: AddressThrottle = web.state.sign_in_throttle
    rule = dataclasses.replace(kept.rule, free=FREE)
    web.state.sign_in_throttle = AddressThrottle(rule, clock=moved)
    try:
        yield moved
    finally:
        web.state.sign_in_throttle = kept


@pytest.fixture
def hasher(web_hub: Hub, monkeypatch: pytest.MonkeyPatch) -> CountingHasher:
    counting = CountingHasher()
    monkeypatch.setattr(web_hub.admins, "hasher", counting)
    return counting


@pytest.fixture
def connect(web_server: LiveServer, clock: Clock) -> Iterator[Connect]:
    """``connect()``: a browser-like client from a loopback address no other test uses;
    ``connect("127.0.0.1", headers=...)`` from the one uvicorn trusts as a proxy."""
    with ExitStack() as stack:

        def make(host: str | None = None, **options: object) -> httpx.Client:
            transport = httpx.HTTPTransport(local_address=host or f"127.0.1.{next(_hosts)}")
            client = httpx.Client(
                base_url=web_server.url, transport=transport, timeout=30, **options
            )
            return stack.enter_context(client)

        yield make


def unknown_name(client: httpx.Client) -> httpx.Response:
    """A sign-in as a name nobody has (a new one each time)."""
    return sign_in(client, Admin("-", f"nobody-{uuid.uuid4().hex[:10]}", "a-wrong-password"))


def form_error(answer: httpx.Response) -> list[str]:
    return re.findall(r'class="msg msg-error">([^<]*)<', answer.text)


def test_failures_with_different_unknown_names_from_one_address_end_in_429_with_retry_after(
    connect: Connect, clock: Clock, hasher: CountingHasher
) -> None:
    client = connect()
    assert [unknown_name(client).status_code for _ in range(FREE)] == [401] * FREE
    assert hasher.verified == FREE  # an unknown name costs an argon2 verification
    refused = unknown_name(client)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "1"
    assert len(form_error(refused)) == 1
    assert re.fullmatch(WAITING, form_error(refused)[0])
    assert 'name="password"' in refused.text  # the form again, to try later
    assert hasher.verified == FREE  # refused before any password work
    clock.now += 1.0  # the wait is over: one more try, then the next wait doubles
    assert unknown_name(client).status_code == 401
    assert unknown_name(client).headers["retry-after"] == "2"


def test_while_an_address_waits_even_the_right_password_is_refused_unchecked(
    connect: Connect, clock: Clock, hasher: CountingHasher, web_hub: Hub, admin: Admin
) -> None:
    client = connect()
    for _ in range(FREE):
        unknown_name(client)
    verified = hasher.verified
    right = sign_in(client, admin)
    wrong = sign_in(client, admin, password="not-the-password")
    for answer in (right, wrong):
        assert answer.status_code == 429
        assert re.fullmatch(WAITING, form_error(answer)[0])
        assert "scimhub_session" not in answer.headers.get("set-cookie", "")
    assert hasher.verified == verified  # no argon2 work for either
    account = web_hub.admins.get(admin.username)
    assert account.failures == 0  # the wrong password never reached the account
    assert account.last_sign_in is None
    assert client.get("/ui/").status_code == 303
    clock.now += 1.0
    assert sign_in(client, admin).status_code == 303  # after the wait, the right one works


def test_a_throttled_address_does_not_slow_another_nor_does_the_others_success_free_it(
    connect: Connect, clock: Clock, admin: Admin
) -> None:
    guesser, colleague = connect(), connect()
    for _ in range(FREE):
        unknown_name(guesser)
    assert unknown_name(guesser).status_code == 429
    assert unknown_name(colleague).status_code == 401
    assert sign_in(colleague, admin).status_code == 303
    assert unknown_name(guesser).status_code == 429


def test_a_success_from_the_address_clears_its_count(
    connect: Connect, clock: Clock, admin: Admin
) -> None:
    client = connect()
    for _ in range(FREE - 1):
        unknown_name(client)
    assert sign_in(client, admin).status_code == 303
    assert [unknown_name(client).status_code for _ in range(FREE)] == [401] * FREE
    assert unknown_name(client).status_code == 429


def test_behind_a_trusted_proxy_each_forwarded_client_is_counted_apart(
    connect: Connect, clock: Clock
) -> None:
    """uvicorn takes the client from X-Forwarded-For only from proxies it trusts (loopback
    by default, FORWARDED_ALLOW_IPS otherwise): the limit then applies per real client."""
    guesser = connect("127.0.0.1", headers={"X-Forwarded-For": "203.0.113.7"})
    other = connect("127.0.0.1", headers={"X-Forwarded-For": "203.0.113.8"})
    for _ in range(FREE):
        unknown_name(guesser)
    assert unknown_name(guesser).status_code == 429
    assert unknown_name(other).status_code == 401


def test_each_ui_has_its_own_limiter_with_the_settings_limit(web_hub: Hub) -> None:
    tuned = web_hub.settings.model_copy(
        update={"web_sign_in_address_failures": 7, "web_sign_in_address_window_minutes": 5}
    )
    first, second = (create_web(dataclasses.replace(web_hub, settings=tuned)) for _ in "ab")
    throttle = first.state.sign_in_throttle
    assert throttle.rule == AddressRule(free=7, window=300.0)
    assert throttle is not second.state.sign_in_throttle
