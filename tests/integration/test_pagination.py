"""Pagination over HTTP: index-based (RFC 7644 §3.4.2.4) and cursor-based (RFC 9865).

Users are seeded with letter-only userNames so that sorting agrees on SQLite and
PostgreSQL. Configured page sizes are exercised on a second live provider started
with small ``default_page_size`` / ``max_page_size`` settings.
"""

from __future__ import annotations

import string
import time
from collections.abc import Iterator
from typing import Any

import pytest

from conftest import LiveServer, Tenant, make_tenant
from scimhub.config import Settings
from scimhub.provider import create_app

from .helpers import GROUP, USER, assert_scim_error, create, group

LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SEARCH_REQUEST = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
LETTERS = string.ascii_lowercase


def seed(client: Any, count: int, prefix: str = "page", **attrs: Any) -> list[dict[str, Any]]:
    """``count`` users named prefix+a, prefix+b, ... (prefix+za, ... beyond 26), in order."""
    names = [prefix + (LETTERS[i] if i < 26 else "z" + LETTERS[i - 26]) for i in range(count)]
    return [create(client, "/Users", {"schemas": [USER], "userName": n, **attrs}) for n in names]


def page(client: Any, path: str = "/Users", **params: Any) -> dict[str, Any]:
    r = client.get(path, params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/scim+json")
    body = r.json()
    assert body["schemas"] == [LIST_RESPONSE]
    return body


def names(body: dict[str, Any]) -> list[str]:
    return [u["userName"] for u in body.get("Resources", [])]


def ids(body: dict[str, Any]) -> list[str]:
    return [u["id"] for u in body.get("Resources", [])]


def spc(client: Any) -> dict[str, Any]:
    r = client.get("/ServiceProviderConfig")
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture
def seven(tenant) -> list[str]:
    """Seven users, pagea..pageg; their userNames in sort order."""
    return [u["userName"] for u in seed(tenant.client, 7)]


# --- index pagination (RFC 7644 §3.4.2.4) --------------------------------------------------


def test_first_page_starts_at_index_one(tenant, seven):
    body = page(tenant.client, sortBy="userName", startIndex=1, count=3)
    assert names(body) == seven[:3]
    assert body["totalResults"] == 7
    assert body["itemsPerPage"] == 3
    assert body["startIndex"] == 1


def test_a_later_page_starts_at_the_requested_index(tenant, seven):
    body = page(tenant.client, sortBy="userName", startIndex=4, count=3)
    assert names(body) == seven[3:6]
    assert body["startIndex"] == 4
    assert body["itemsPerPage"] == 3
    assert body["totalResults"] == 7


def test_the_last_page_may_be_partial(tenant, seven):
    body = page(tenant.client, sortBy="userName", startIndex=7, count=3)
    assert names(body) == seven[6:]
    assert body["itemsPerPage"] == 1
    assert body["totalResults"] == 7


def test_walking_index_pages_returns_every_resource_once(tenant, seven):
    seen: list[str] = []
    for start in range(1, 8, 2):
        seen += names(page(tenant.client, startIndex=start, count=2))
    assert sorted(seen) == seven


@pytest.mark.parametrize("start", [8, 100])
def test_start_index_beyond_the_end_returns_no_resources(tenant, seven, start):
    body = page(tenant.client, startIndex=start, count=3)
    assert body.get("Resources", []) == []
    assert body["itemsPerPage"] == 0
    assert body["totalResults"] == 7
    assert body["startIndex"] == start


@pytest.mark.parametrize("start", ["0", "-5"])
def test_start_index_below_one_is_treated_as_one(tenant, seven, start):
    body = page(tenant.client, sortBy="userName", startIndex=start, count=2)
    assert names(body) == seven[:2]
    assert body["startIndex"] == 1


@pytest.mark.parametrize("start", ["99999999999999999999", "9223372036854775809"])
def test_start_index_beyond_any_integer_range_returns_no_resources(tenant, seven, start):
    r = tenant.client.get("/Users", params={"startIndex": start, "count": 2})
    if r.status_code >= 500:
        # Let the server thread finish logging its traceback: on CPython 3.11 that races
        # with pytest's own traceback formatting (a SystemError in ast.parse).
        time.sleep(0.5)
    if r.status_code == 400:  # refusing the value is also acceptable; failing is not
        assert_scim_error(r, 400, "invalidValue")
        return
    assert r.status_code == 200, r.text
    assert r.json().get("Resources", []) == []
    assert r.json()["totalResults"] == 7


def test_count_zero_returns_only_the_total(tenant, seven):
    body = page(tenant.client, count=0)
    assert body["totalResults"] == 7
    assert body.get("Resources", []) == []
    assert body["itemsPerPage"] == 0


def test_count_zero_with_a_filter_counts_the_matches(tenant, seven):
    body = page(tenant.client, count=0, filter='userName le "pagec"')
    assert body["totalResults"] == 3
    assert body.get("Resources", []) == []


def test_negative_count_is_treated_as_zero(tenant, seven):
    body = page(tenant.client, count=-3)
    assert body["totalResults"] == 7
    assert body.get("Resources", []) == []
    assert body["itemsPerPage"] == 0


@pytest.mark.parametrize("count", ["abc", "1.5", "ten"])
def test_non_numeric_count_is_400_invalid_value(tenant, count):
    assert_scim_error(tenant.client.get("/Users", params={"count": count}), 400, "invalidValue")


@pytest.mark.parametrize("start", ["abc", "2.0"])
def test_non_numeric_start_index_is_400_invalid_value(tenant, start):
    r = tenant.client.get("/Users", params={"startIndex": start})
    assert_scim_error(r, 400, "invalidValue")


def test_count_absent_returns_everything_below_the_default_page_size(tenant, seven):
    default = spc(tenant.client)["pagination"]["defaultPageSize"]
    assert default >= 7
    body = page(tenant.client)
    assert sorted(names(body)) == seven
    assert body["itemsPerPage"] == 7
    assert body["startIndex"] == 1


def test_count_above_max_page_size_is_accepted(tenant, seven):
    maximum = spc(tenant.client)["pagination"]["maxPageSize"]
    body = page(tenant.client, count=maximum + 1)
    assert sorted(names(body)) == seven


def test_count_beyond_any_integer_range_is_capped(tenant, seven):
    body = page(tenant.client, count="99999999999999999999")
    assert sorted(names(body)) == seven


def test_index_pagination_of_groups(tenant):
    made = [create(tenant.client, "/Groups", group(f"team{c}"))["id"] for c in "abcde"]
    first = page(tenant.client, "/Groups", sortBy="displayName", count=2)
    rest = page(tenant.client, "/Groups", sortBy="displayName", startIndex=3, count=10)
    assert ids(first) + ids(rest) == made
    assert first["totalResults"] == rest["totalResults"] == 5


# --- ServiceProviderConfig (RFC 7643 §5, RFC 9865 §4) -------------------------------------


def test_service_provider_config_advertises_both_pagination_methods(tenant):
    config = spc(tenant.client)
    pagination = config["pagination"]
    assert pagination["cursor"] is True
    assert pagination["index"] is True
    assert pagination["defaultPageSize"] == 100
    assert pagination["maxPageSize"] == 1000
    assert isinstance(pagination["cursorTimeout"], int)
    assert pagination["cursorTimeout"] > 0
    assert config["filter"] == {"supported": True, "maxResults": pagination["maxPageSize"]}
    assert config["sort"]["supported"] is True


# --- configured page sizes, on a provider with small limits -------------------------------


@pytest.fixture(scope="module")
def small_provider(engine, data_dir) -> Iterator[LiveServer]:
    settings = Settings(data_dir=data_dir, default_page_size=3, max_page_size=5)
    with LiveServer(create_app(settings, engine)) as live:
        yield live


@pytest.fixture
def small(engine, small_provider) -> Iterator[Tenant]:
    """A tenant on the provider whose defaultPageSize is 3 and maxPageSize 5."""
    t = make_tenant(engine, small_provider)
    yield t
    t.client.close()


def test_service_provider_config_reports_the_configured_page_sizes(small):
    pagination = spc(small.client)["pagination"]
    assert (pagination["defaultPageSize"], pagination["maxPageSize"]) == (3, 5)
    assert spc(small.client)["filter"]["maxResults"] == 5


def test_count_absent_uses_the_default_page_size(small):
    made = [u["userName"] for u in seed(small.client, 7)]
    body = page(small.client, sortBy="userName")
    assert names(body) == made[:3]
    assert body["itemsPerPage"] == 3
    assert body["totalResults"] == 7


def test_count_above_max_page_size_is_capped(small):
    made = [u["userName"] for u in seed(small.client, 7)]
    body = page(small.client, sortBy="userName", count=50)
    assert names(body) == made[:5]
    assert body["itemsPerPage"] == 5
    assert body["totalResults"] == 7


def test_count_equal_to_max_page_size_is_honoured(small):
    made = [u["userName"] for u in seed(small.client, 7)]
    body = page(small.client, sortBy="userName", startIndex=3, count=5)
    assert names(body) == made[2:7]


def test_cursor_pages_are_capped_at_max_page_size(small):
    made = {u["id"] for u in seed(small.client, 7)}
    first = page(small.client, cursor="", count=50)
    assert len(ids(first)) == 5
    second = page(small.client, cursor=first["nextCursor"], count=50)
    assert set(ids(first)) | set(ids(second)) == made
    assert "nextCursor" not in second


def test_cursor_pages_without_count_use_the_default_page_size(small):
    seed(small.client, 4)
    first = page(small.client, cursor="")
    assert len(ids(first)) == 3
    assert "nextCursor" in first


def test_expired_cursor_is_400_expired_cursor(engine, data_dir):
    settings = Settings(data_dir=data_dir, cursor_timeout_seconds=0)
    with LiveServer(create_app(settings, engine)) as live:
        t = make_tenant(engine, live)
        seed(t.client, 3)
        first = page(t.client, cursor="", count=1)
        time.sleep(1.1)
        r = t.client.get("/Users", params={"cursor": first["nextCursor"], "count": 1})
        t.client.close()
    assert_scim_error(r, 400, "expiredCursor")


# --- cursor pagination (RFC 9865) -----------------------------------------------------------


def walk(client: Any, count: int, path: str = "/Users", **params: Any) -> list[dict[str, Any]]:
    """Every page of a cursor walk; asserts page sizes and that only the last lacks nextCursor."""
    pages = [page(client, path, cursor="", count=count, **params)]
    while "nextCursor" in pages[-1]:
        assert len(pages[-1]["Resources"]) == count
        assert len(pages) < 100, "the walk does not end"
        pages.append(page(client, path, cursor=pages[-1]["nextCursor"], count=count, **params))
    assert len(pages[-1].get("Resources", [])) <= count
    return pages


def walked(pages: list[dict[str, Any]], key: str = "id") -> list[str]:
    return [r[key] for p in pages for r in p.get("Resources", [])]


def walk_from(client: Any, first: dict[str, Any], count: int, **params: Any) -> list[dict]:
    """The pages after ``first``, following nextCursor."""
    pages: list[dict[str, Any]] = []
    cursor = first.get("nextCursor")
    while cursor:
        assert len(pages) < 100, "the walk does not end"
        pages.append(page(client, cursor=cursor, count=count, **params))
        cursor = pages[-1].get("nextCursor")
    return pages


def test_empty_cursor_starts_a_cursor_walk(tenant, seven):
    body = page(tenant.client, cursor="", count=3)
    assert len(ids(body)) == 3
    assert body["itemsPerPage"] == 3
    assert body["totalResults"] == 7
    assert isinstance(body["nextCursor"], str)
    assert body["nextCursor"]


def test_next_cursor_continues_where_the_previous_page_ended(tenant, seven):
    first = page(tenant.client, cursor="", count=3)
    second = page(tenant.client, cursor=first["nextCursor"], count=3)
    assert len(ids(second)) == 3
    assert not set(ids(first)) & set(ids(second))


def test_next_cursor_is_absent_on_the_last_page(tenant, seven):
    first = page(tenant.client, cursor="", count=4)
    last = page(tenant.client, cursor=first["nextCursor"], count=4)
    assert len(ids(last)) == 3
    assert "nextCursor" not in last


def test_next_cursor_is_absent_when_the_page_is_exactly_full(tenant, seven):
    body = page(tenant.client, cursor="", count=7)
    assert len(ids(body)) == 7
    assert "nextCursor" not in body


def test_cursor_walk_of_an_empty_result(tenant):
    body = page(tenant.client, cursor="", count=3)
    assert body.get("Resources", []) == []
    assert "nextCursor" not in body
    assert body["totalResults"] == 0


def test_cursor_walk_returns_every_resource_exactly_once(tenant):
    made = [u["id"] for u in seed(tenant.client, 25)]
    pages = walk(tenant.client, 4)
    assert len(pages) == 7
    got = walked(pages)
    assert len(got) == len(set(got)) == 25
    assert set(got) == set(made)
    assert all(p["totalResults"] == 25 for p in pages if "totalResults" in p)


def test_cursor_walk_with_a_filter_returns_exactly_the_matches(tenant):
    walkers = {u["id"] for u in seed(tenant.client, 7, "walk", title="Walker")}
    seed(tenant.client, 6, "stay", title="Sitter")
    got = walked(walk(tenant.client, 2, filter='title eq "Walker"'))
    assert len(got) == len(set(got))
    assert set(got) == walkers


def test_cursor_walk_with_sort_by_follows_the_sort_order(tenant):
    made = seed(tenant.client, 10, "sort")
    for u in made[::2]:  # make creation order differ from userName order
        assert tenant.client.delete(f"/Users/{u['id']}").status_code == 204
    later = seed(tenant.client, 5, "also")
    expected = sorted([u["userName"] for u in made[1::2] + later])
    got = walked(walk(tenant.client, 3, sortBy="userName"), "userName")
    assert got == expected


def test_cursor_walk_with_sort_descending(tenant):
    made = sorted(u["userName"] for u in seed(tenant.client, 9))
    got = walked(walk(tenant.client, 4, sortBy="userName", sortOrder="descending"), "userName")
    assert got == made[::-1]


def test_cursor_walk_sees_each_resource_once_while_users_are_created(tenant):
    made = {u["id"] for u in seed(tenant.client, 12, "orig")}
    first = page(tenant.client, cursor="", count=4)
    added = {u["id"] for u in seed(tenant.client, 3, "aaaa")}
    pages = [first, *walk_from(tenant.client, first, 4)]
    got = walked(pages)
    assert len(got) == len(set(got))
    assert made <= set(got) <= made | added


def test_cursor_walk_misses_nothing_while_seen_users_are_deleted(tenant):
    made = {u["id"] for u in seed(tenant.client, 12, "orig")}
    first = page(tenant.client, cursor="", count=4)
    for rid in ids(first)[:2]:
        assert tenant.client.delete(f"/Users/{rid}").status_code == 204
    got = walked([first, *walk_from(tenant.client, first, 4)])
    assert len(got) == len(set(got))
    assert set(got) == made


def test_sorted_cursor_walk_sees_each_resource_once_while_users_are_created(tenant):
    made = {u["id"] for u in seed(tenant.client, 12, "orig")}
    first = page(tenant.client, cursor="", count=4, sortBy="userName")
    added = {u["id"] for u in seed(tenant.client, 3, "aaaa")}  # sort before every original
    pages = [first, *walk_from(tenant.client, first, 4, sortBy="userName")]
    got = walked(pages)
    assert len(got) == len(set(got)), "a resource was returned twice"
    assert made <= set(got) <= made | added


def test_sorted_cursor_walk_misses_nothing_while_seen_users_are_deleted(tenant):
    made = {u["id"] for u in seed(tenant.client, 12, "orig")}
    first = page(tenant.client, cursor="", count=4, sortBy="userName")
    for rid in ids(first)[:2]:
        assert tenant.client.delete(f"/Users/{rid}").status_code == 204
    got = walked([first, *walk_from(tenant.client, first, 4, sortBy="userName")])
    assert set(got) == made, "a resource was skipped"


def test_cursor_walk_through_a_search_request(tenant, seven):
    seen: list[str] = []
    body: dict[str, Any] = {"schemas": [SEARCH_REQUEST], "cursor": "", "count": 3}
    while True:
        r = tenant.client.post("/Users/.search", json=body)
        assert r.status_code == 200, r.text
        seen += names(r.json())
        if "nextCursor" not in r.json():
            break
        body["cursor"] = r.json()["nextCursor"]
    assert sorted(seen) == seven


def test_cursor_walk_of_groups(tenant):
    made = {create(tenant.client, "/Groups", group(f"team{c}"))["id"] for c in "abcdefg"}
    got = walked(walk(tenant.client, 3, "/Groups"))
    assert len(got) == len(set(got))
    assert set(got) == made


# --- invalid cursors (RFC 9865 §2.3) -------------------------------------------------------


def test_tampered_cursor_is_400_invalid_cursor(tenant, seven):
    cursor = page(tenant.client, cursor="", count=2)["nextCursor"]
    middle = len(cursor) // 2
    flipped = "A" if cursor[middle] != "A" else "B"
    tampered = cursor[:middle] + flipped + cursor[middle + 1 :]
    r = tenant.client.get("/Users", params={"cursor": tampered, "count": 2})
    assert_scim_error(r, 400, "invalidCursor")


def test_truncated_cursor_is_400_invalid_cursor(tenant, seven):
    cursor = page(tenant.client, cursor="", count=2)["nextCursor"]
    r = tenant.client.get("/Users", params={"cursor": cursor[:-4], "count": 2})
    assert_scim_error(r, 400, "invalidCursor")


@pytest.mark.parametrize("cursor", ["garbage", "!!!", "AAAA", "ü", "x" * 300, "e30"])
def test_garbage_cursor_is_400_invalid_cursor(tenant, cursor):
    r = tenant.client.get("/Users", params={"cursor": cursor})
    assert_scim_error(r, 400, "invalidCursor")


def test_cursor_used_with_a_different_filter_is_400_invalid_cursor(tenant, seven):
    flt = 'userName sw "page"'
    cursor = page(tenant.client, cursor="", count=2, filter=flt)["nextCursor"]
    r = tenant.client.get("/Users", params={"cursor": cursor, "count": 2, "filter": "title pr"})
    assert_scim_error(r, 400, "invalidCursor")
    r = tenant.client.get("/Users", params={"cursor": cursor, "count": 2})
    assert_scim_error(r, 400, "invalidCursor")


def test_cursor_used_with_a_different_sort_is_400_invalid_cursor(tenant, seven):
    cursor = page(tenant.client, cursor="", count=2, sortBy="userName")["nextCursor"]
    r = tenant.client.get(
        "/Users", params={"cursor": cursor, "sortBy": "userName", "sortOrder": "descending"}
    )
    assert_scim_error(r, 400, "invalidCursor")


def test_cursor_of_users_used_on_groups_is_400_invalid_cursor(tenant, seven):
    create(tenant.client, "/Groups", {"schemas": [GROUP], "displayName": "g"})
    cursor = page(tenant.client, cursor="", count=2)["nextCursor"]
    r = tenant.client.get("/Groups", params={"cursor": cursor, "count": 2})
    assert_scim_error(r, 400, "invalidCursor")


def test_cursor_of_another_tenant_is_400_invalid_cursor(tenant, profitco, seven):
    cursor = page(tenant.client, cursor="", count=2)["nextCursor"]
    r = profitco.client.get("/Users", params={"cursor": cursor, "count": 2})
    assert_scim_error(r, 400, "invalidCursor")


def test_cursor_and_start_index_together_is_400(tenant, seven):
    assert_scim_error(tenant.client.get("/Users", params={"cursor": "", "startIndex": 1}), 400)


def test_cursor_and_start_index_together_in_a_search_request_is_400(tenant, seven):
    body = {"schemas": [SEARCH_REQUEST], "cursor": "", "startIndex": 1}
    assert_scim_error(tenant.client.post("/Users/.search", json=body), 400)
