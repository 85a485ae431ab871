"""Odd input in paths and query strings gets a precise error from the hub API, never a 500."""

from __future__ import annotations

import httpx
import pytest

PATHS = [
    "/users/a%00b",
    "/groups/a%00b",
    "/applications/a%00b",
    "/users?q=a%00",
    "/applications?q=a%00",
    "/groups?q=%00",
    "/users?after=WyJcdTAwMDAiXQ",  # a well-formed cursor holding a NUL
    "/users/%E2%80%AE",
    "/users?q=" + "%C4%B0" * 300,  # 'İ' lower-cases to two characters
    "/users?limit=0",
    "/users?limit=abc",
    "/users?after=not-a-cursor",
]


@pytest.mark.parametrize("path", PATHS)
def test_odd_paths_and_queries_are_answered_without_a_server_error(api, path):
    r = api.get(path)
    assert r.status_code in (200, 404, 422), (path, r.status_code, r.text)
    if r.status_code != 200:
        assert set(r.json()) >= {"error", "detail"}


def test_a_group_name_that_grows_when_lower_cased_is_stored(api):
    name = "\u0130" * 200  # 200 characters; 400 once lower-cased
    r = api.post("/groups", json={"name": name})
    assert r.status_code in (201, 409), r.text
    assert api.get("/groups", params={"q": name}).status_code == 200


def test_health_answers_without_a_key(hub_server):
    r = httpx.get(f"{hub_server.url}/healthz")
    assert (r.status_code, r.json()) == (200, {"status": "ok"})
