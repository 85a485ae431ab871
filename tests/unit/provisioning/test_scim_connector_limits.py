"""ScimConnector on answers no real test server here makes: an httpx.MockTransport stands in.

Only shapes the provider and the FaultyProxy cannot produce are tested here (a 204 to PATCH,
an answer past the size limit, a body dribbling past the time budget); everything else runs
over real HTTP in tests/integration/provisioning/test_scim_connector.py.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from scimhub.provisioning import scim_connector
from scimhub.provisioning.outcomes import Stop, Transient
from scimhub.provisioning.scim_connector import ScimConnector

BASE = "https://target.example/scim/v2"
OPS = [{"op": "replace", "path": "active", "value": False}]


def connector(handler, timeout: float = 5.0) -> ScimConnector:
    return ScimConnector(
        BASE, "token-1234", timeout=timeout, transport=httpx.MockTransport(handler)
    )


def test_a_204_to_patch_is_none():
    with connector(lambda request: httpx.Response(204)) as c:
        assert c.patch("u1", OPS) is None


def test_a_200_to_patch_returns_the_user_and_an_empty_200_is_none():
    answers = iter([httpx.Response(200, json={"id": "u1", "active": False}), httpx.Response(200)])
    with connector(lambda request: next(answers)) as c:
        remote = c.patch("u1", OPS)
        assert remote is not None and remote.resource["active"] is False
        assert c.patch("u1", OPS) is None


def test_an_answer_past_the_size_limit_is_transient(monkeypatch):
    monkeypatch.setattr(scim_connector, "MAX_ANSWER_BYTES", 1000)
    huge = {"id": "u1", "padding": "x" * 5000}
    with (
        connector(lambda request: httpx.Response(200, json=huge)) as c,
        pytest.raises(Transient) as caught,
    ):
        c.get("u1")
    assert "without a SCIM resource (an answer too large to read)" in caught.value.message


class _Dribble(httpx.SyncByteStream):
    def __iter__(self) -> Iterator[bytes]:
        yield b'{"id": "u1", "a": "'
        for _ in range(20):
            time.sleep(0.05)
            yield b"x"
        yield b'"}'


def test_a_body_dribbling_past_the_time_budget_is_transient():
    slow = connector(lambda request: httpx.Response(200, stream=_Dribble()), timeout=0.3)
    with slow, pytest.raises(Transient) as caught:
        slow.get("u1")
    assert "did not answer within 0.3 s" in caught.value.message


@pytest.mark.parametrize("token", ["", " padded ", "line\nbreak", "tökén"])
def test_a_token_that_cannot_travel_in_a_header_stops_the_application(token):
    with pytest.raises(Stop) as caught:
        ScimConnector(BASE, token)
    assert "token cannot be sent" in caught.value.message


def test_an_empty_remote_id_is_a_programming_error():
    with connector(lambda request: httpx.Response(500)) as c, pytest.raises(ValueError):
        c.get("")


def test_requests_beyond_max_connections_wait_for_a_free_one_within_the_timeout():
    release = threading.Event()

    def slow(request: httpx.Request) -> httpx.Response:
        release.wait(5)
        return httpx.Response(200, json={"id": "u1"})

    with ScimConnector(
        BASE, "token-1234", timeout=0.3, max_connections=1, transport=httpx.MockTransport(slow)
    ) as c:
        first = threading.Thread(target=c.get, args=("u1",))
        first.start()
        time.sleep(0.05)
        with pytest.raises(Transient) as caught:
            c.get("u2")
        release.set()
        first.join()
        assert c.get("u3") is not None  # the place was given back
    assert "no connection to target.example became free within 0.3 s" in caught.value.message
