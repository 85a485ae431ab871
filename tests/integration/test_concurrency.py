"""Concurrent writers are serialised; ETags detect lost updates (RFC 7644 §3.14)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from conftest import LiveServer
from scimhub.provider import create_app

from .helpers import create, group, patch, user


@pytest.fixture(scope="module")
def second_provider(engine, settings):
    """A second server process-alike on the same database: writers really run in parallel."""
    with LiveServer(create_app(settings, engine)) as live:
        yield live


_urls: list[str] = []
_counter = iter(range(10**9))


@pytest.fixture(autouse=True)
def _servers(provider, second_provider):
    _urls[:] = [provider.url, second_provider.url]


def _client(tenant):
    """Alternate requests between the two servers."""
    base = tenant.base.replace(_urls[0], _urls[next(_counter) % 2])
    return httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {tenant.token}"}, timeout=60
    )


def test_concurrent_member_additions_are_all_kept(tenant):
    ids = [create(tenant.client, "/Users", user(f"c{i}@example.com"))["id"] for i in range(16)]
    gid = create(tenant.client, "/Groups", group("Race"))["id"]

    def add(uid):
        with _client(tenant) as c:
            op = patch({"op": "add", "path": "members", "value": [{"value": uid}]})
            return c.patch(f"/Groups/{gid}", json=op).status_code

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(add, ids)) == {200}
    members = tenant.client.get(f"/Groups/{gid}").json()["members"]
    assert {m["value"] for m in members} == set(ids)


def test_concurrent_patches_of_one_user_lose_nothing(tenant):
    uid = create(tenant.client, "/Users", user("race@example.com"))["id"]

    def add_email(i):
        with _client(tenant) as c:
            op = patch({"op": "add", "path": "emails", "value": [{"value": f"e{i}@x.io"}]})
            return c.patch(f"/Users/{uid}", json=op).status_code

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(add_email, range(20))) == {200}
    got = tenant.client.get(f"/Users/{uid}").json()
    assert len(got["emails"]) == 20
    assert got["meta"]["version"] == 'W/"21"'


def test_if_match_detects_a_lost_update(tenant):
    u = create(tenant.client, "/Users", user("lost@example.com"))
    version = u["meta"]["version"]
    url = f"/Users/{u['id']}"

    def write(title):
        with _client(tenant) as c:
            op = patch({"op": "replace", "path": "title", "value": title})
            return c.patch(url, json=op, headers={"If-Match": version}).status_code

    with ThreadPoolExecutor(2) as pool:
        statuses = sorted(pool.map(write, ["first", "second"]))
    assert statuses == [200, 412]


def test_concurrent_creates_of_one_username_make_exactly_one(tenant):
    def post(_):
        with _client(tenant) as c:
            return c.post("/Users", json=user("Same@example.com")).status_code

    with ThreadPoolExecutor(6) as pool:
        statuses = sorted(pool.map(post, range(6)))
    assert statuses == [201, 409, 409, 409, 409, 409]


def test_concurrent_user_deletions_and_group_changes_do_not_deadlock(tenant):
    ids = [create(tenant.client, "/Users", user(f"d{i}@example.com"))["id"] for i in range(12)]
    gids = [create(tenant.client, "/Groups", group(f"G{i}", ids))["id"] for i in range(3)]

    def delete_user(uid):
        with _client(tenant) as c:
            return c.delete(f"/Users/{uid}").status_code

    def rename(i):
        with _client(tenant) as c:
            op = patch({"op": "replace", "path": "displayName", "value": f"R{i}"})
            return c.patch(f"/Groups/{gids[i % 3]}", json=op).status_code

    with ThreadPoolExecutor(8) as pool:
        deleted = pool.map(delete_user, ids)
        renamed = pool.map(rename, range(12))
        assert set(deleted) == {204} and set(renamed) == {200}
    for gid in gids:
        assert "members" not in tenant.client.get(f"/Groups/{gid}").json()
