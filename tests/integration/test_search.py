"""POST .search (RFC 7644 §3.4.3) and attribute projection (RFC 7644 §3.4.2.5, §3.9).

Also checks that ``password`` (RFC 7643 §4.1.1, returned "never") appears in no response.
"""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import ENTERPRISE, USER, assert_scim_error, create, group, patch

LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SEARCH_REQUEST = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
SECRET = "S3cret-passw0rd!"
DEPARTMENT = f"{ENTERPRISE}:department"


@pytest.fixture
def directory(tenant) -> dict[str, dict[str, Any]]:
    """Users alice, bob, carol and groups Engineers (alice, bob) and Sales Team (carol)."""
    c = tenant.client
    alice = create(
        c,
        "/Users",
        {
            "schemas": [USER, ENTERPRISE],
            "userName": "alice",
            "name": {"givenName": "Alice", "familyName": "Adams"},
            "title": "Engineer",
            "password": SECRET,
            "emails": [{"value": "alice@example.com", "type": "work", "primary": True}],
            ENTERPRISE: {"department": "Research", "employeeNumber": "1001"},
        },
    )
    bob = create(
        c,
        "/Users",
        {
            "schemas": [USER],
            "userName": "bob",
            "name": {"givenName": "Bob", "familyName": "Brown"},
            "active": False,
            "emails": [{"value": "bob@example.com", "type": "home"}],
        },
    )
    carol = create(
        c,
        "/Users",
        {
            "schemas": [USER],
            "userName": "carol",
            "displayName": "Carol C",
            "name": {"givenName": "Carol", "familyName": "Clark"},
        },
    )
    engineers = create(c, "/Groups", group("Engineers", [alice["id"], bob["id"]]))
    sales = create(c, "/Groups", group("Sales Team", [carol["id"]]))
    return {"alice": alice, "bob": bob, "carol": carol, "Engineers": engineers, "Sales": sales}


def search(client: Any, path: str = "/Users/.search", **params: Any) -> dict[str, Any]:
    r = client.post(path, json={"schemas": [SEARCH_REQUEST], **params})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/scim+json")
    body = r.json()
    assert body["schemas"] == [LIST_RESPONSE]
    return body


def fetch(client: Any, path: str, **params: Any) -> dict[str, Any]:
    r = client.get(path, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def resources(body: dict[str, Any]) -> list[dict[str, Any]]:
    return list(body.get("Resources", []))


def user_names(body: dict[str, Any]) -> list[str]:
    return [u["userName"] for u in resources(body)]


# --- POST /Users/.search and /Groups/.search ------------------------------------------------


def test_user_search_with_a_filter_returns_exactly_the_matches(tenant, directory):
    body = search(tenant.client, filter='name.familyName sw "b" or title pr')
    assert sorted(user_names(body)) == ["alice", "bob"]
    assert body["totalResults"] == 2


def test_user_search_without_a_filter_returns_every_user(tenant, directory):
    body = search(tenant.client)
    assert sorted(user_names(body)) == ["alice", "bob", "carol"]


def test_user_search_attributes_list_limits_the_returned_attributes(tenant, directory):
    body = search(tenant.client, filter='userName eq "alice"', attributes=["userName"])
    assert resources(body) == [
        {"id": directory["alice"]["id"], "schemas": [USER, ENTERPRISE], "userName": "alice"}
    ]


def test_user_search_attributes_may_name_sub_attributes(tenant, directory):
    body = search(tenant.client, attributes=["userName", "name.givenName"], sortBy="userName")
    assert [r["name"] for r in resources(body)] == [
        {"givenName": "Alice"},
        {"givenName": "Bob"},
        {"givenName": "Carol"},
    ]
    assert all(set(r) == {"id", "schemas", "userName", "name"} for r in resources(body))


def test_user_search_excluded_attributes_list_removes_them(tenant, directory):
    body = search(
        tenant.client, filter='userName eq "alice"', excludedAttributes=["emails", "meta"]
    )
    [alice] = resources(body)
    assert "emails" not in alice
    assert "meta" not in alice
    assert alice["userName"] == "alice"
    assert alice["name"] == {"givenName": "Alice", "familyName": "Adams"}


def test_user_search_sorts_and_pages(tenant, directory):
    body = search(tenant.client, sortBy="userName", sortOrder="descending", startIndex=2, count=1)
    assert user_names(body) == ["bob"]
    assert body["totalResults"] == 3
    assert body["startIndex"] == 2
    assert body["itemsPerPage"] == 1


def test_user_search_sorts_by_family_name(tenant, directory):
    body = search(tenant.client, sortBy="name.familyName", sortOrder="ascending")
    assert user_names(body) == ["alice", "bob", "carol"]


def test_user_search_with_an_invalid_filter_is_400_invalid_filter(tenant, directory):
    r = tenant.client.post(
        "/Users/.search", json={"schemas": [SEARCH_REQUEST], "filter": "userName eq"}
    )
    assert_scim_error(r, 400, "invalidFilter")


def test_group_search_with_a_filter(tenant, directory):
    body = search(tenant.client, "/Groups/.search", filter='displayName eq "Engineers"')
    assert [g["id"] for g in resources(body)] == [directory["Engineers"]["id"]]


def test_group_search_by_member(tenant, directory):
    flt = f'members.value eq "{directory["carol"]["id"]}"'
    body = search(tenant.client, "/Groups/.search", filter=flt)
    assert [g["displayName"] for g in resources(body)] == ["Sales Team"]


def test_group_search_excluding_members(tenant, directory):
    body = search(tenant.client, "/Groups/.search", excludedAttributes=["members"])
    assert sorted(g["displayName"] for g in resources(body)) == ["Engineers", "Sales Team"]
    assert all("members" not in g for g in resources(body))


def test_group_search_sorted_and_paged(tenant, directory):
    body = search(
        tenant.client, "/Groups/.search", sortBy="displayName", sortOrder="descending", count=1
    )
    assert [g["displayName"] for g in resources(body)] == ["Sales Team"]
    assert body["totalResults"] == 2


@pytest.mark.parametrize(
    "body",
    [
        {"filter": 'userName eq "alice"'},
        {"schemas": [], "filter": 'userName eq "alice"'},
        {"schemas": [LIST_RESPONSE], "filter": 'userName eq "alice"'},
        {"schemas": SEARCH_REQUEST, "filter": 'userName eq "alice"'},
    ],
)
@pytest.mark.parametrize("path", ["/Users/.search", "/Groups/.search", "/.search"])
def test_search_without_the_search_request_schema_is_400(tenant, path, body):
    assert_scim_error(tenant.client.post(path, json=body), 400, "invalidSyntax")


@pytest.mark.parametrize("body", [[], "search", 3])
def test_search_body_that_is_not_an_object_is_400(tenant, body):
    assert_scim_error(tenant.client.post("/Users/.search", json=body), 400)


# --- POST /.search at the server root -------------------------------------------------------


def types(body: dict[str, Any]) -> list[str]:
    return [r["meta"]["resourceType"] for r in resources(body)]


def test_root_search_with_a_filter_only_users_match(tenant, directory):
    body = search(tenant.client, "/.search", filter='userName sw "a"')
    assert [r["id"] for r in resources(body)] == [directory["alice"]["id"]]
    assert types(body) == ["User"]
    assert body["totalResults"] == 1


def test_root_search_with_a_filter_only_groups_match(tenant, directory):
    body = search(tenant.client, "/.search", filter='displayName eq "Sales Team"')
    assert [r["id"] for r in resources(body)] == [directory["Sales"]["id"]]
    assert types(body) == ["Group"]
    assert body["totalResults"] == 1


def test_root_search_with_a_filter_both_types_match(tenant, directory):
    body = search(tenant.client, "/.search", filter="displayName pr")
    expected = {directory[k]["id"] for k in ("carol", "Engineers", "Sales")}
    assert {r["id"] for r in resources(body)} == expected
    assert sorted(types(body)) == ["Group", "Group", "User"]
    assert body["totalResults"] == 3


def test_root_search_by_resource_type(tenant, directory):
    body = search(tenant.client, "/.search", filter='meta.resourceType eq "Group"')
    assert sorted(r["displayName"] for r in resources(body)) == ["Engineers", "Sales Team"]


def test_root_search_without_a_filter_returns_every_resource(tenant, directory):
    body = search(tenant.client, "/.search")
    assert {r["id"] for r in resources(body)} == {d["id"] for d in directory.values()}
    assert body["totalResults"] == 5
    assert sorted(types(body)) == ["Group", "Group", "User", "User", "User"]


def test_root_search_pages_across_resource_types(tenant, directory):
    pages = [search(tenant.client, "/.search", startIndex=s, count=2) for s in (1, 3, 5)]
    got = [r["id"] for p in pages for r in resources(p)]
    assert len(got) == len(set(got)) == 5
    assert set(got) == {d["id"] for d in directory.values()}
    assert [p["itemsPerPage"] for p in pages] == [2, 2, 1]
    assert [p["startIndex"] for p in pages] == [1, 3, 5]
    assert all(p["totalResults"] == 5 for p in pages)


def test_root_search_start_index_beyond_the_end(tenant, directory):
    body = search(tenant.client, "/.search", startIndex=6, count=2)
    assert resources(body) == []
    assert body["totalResults"] == 5


def test_root_search_count_zero_returns_only_the_total(tenant, directory):
    body = search(tenant.client, "/.search", count=0)
    assert resources(body) == []
    assert body["totalResults"] == 5


def test_root_search_projects_every_type(tenant, directory):
    body = search(tenant.client, "/.search", attributes=["displayName"])
    assert len(resources(body)) == 5
    assert all(set(r) <= {"id", "schemas", "displayName"} for r in resources(body))
    assert sorted(r["displayName"] for r in resources(body) if "displayName" in r) == [
        "Carol C",
        "Engineers",
        "Sales Team",
    ]


def test_root_search_attributes_of_one_type_do_not_drop_the_other(tenant, directory):
    body = search(tenant.client, "/.search", attributes=["userName"])
    assert body["totalResults"] == 5
    assert sorted(types_or_schema(r) for r in resources(body)) == [
        "Group",
        "Group",
        "User",
        "User",
        "User",
    ]


def types_or_schema(resource: dict[str, Any]) -> str:
    return "User" if USER in resource["schemas"] else "Group"


def test_root_search_sorts_across_resource_types(tenant):
    first = create(tenant.client, "/Users", {"schemas": [USER], "userName": "first"})
    middle = create(tenant.client, "/Groups", group("middle"))
    last = create(tenant.client, "/Users", {"schemas": [USER], "userName": "last"})
    body = search(tenant.client, "/.search", sortBy="meta.created")
    assert [r["id"] for r in resources(body)] == [first["id"], middle["id"], last["id"]]
    body = search(tenant.client, "/.search", sortBy="meta.created", sortOrder="descending")
    assert [r["id"] for r in resources(body)] == [last["id"], middle["id"], first["id"]]


def test_root_search_sorted_by_a_user_attribute_keeps_groups_last(tenant, directory):
    # RFC 7644 §3.4.2.3: resources without a value for sortBy sort last when ascending.
    body = search(tenant.client, "/.search", sortBy="userName")
    assert body["totalResults"] == 5
    assert types(body) == ["User", "User", "User", "Group", "Group"]
    assert [r["userName"] for r in resources(body)[:3]] == ["alice", "bob", "carol"]


def test_root_search_with_an_attribute_no_type_has_is_400_invalid_filter(tenant, directory):
    r = tenant.client.post(
        "/.search", json={"schemas": [SEARCH_REQUEST], "filter": 'nosuch eq "x"'}
    )
    assert_scim_error(r, 400, "invalidFilter")


# --- attributes / excludedAttributes on GET (RFC 7644 §3.4.2.5, §3.9) ----------------------


def test_list_attributes_returns_only_those_plus_id_and_schemas(tenant, directory):
    body = fetch(tenant.client, "/Users", attributes="userName,name.givenName", sortBy="userName")
    assert resources(body)[0] == {
        "id": directory["alice"]["id"],
        "schemas": [USER, ENTERPRISE],
        "userName": "alice",
        "name": {"givenName": "Alice"},
    }
    assert all(set(r) == {"id", "schemas", "userName", "name"} for r in resources(body))


def test_get_attributes_returns_only_those_plus_id_and_schemas(tenant, directory):
    alice = directory["alice"]
    got = fetch(tenant.client, f"/Users/{alice['id']}", attributes="userName,name.givenName")
    assert got == {
        "id": alice["id"],
        "schemas": [USER, ENTERPRISE],
        "userName": "alice",
        "name": {"givenName": "Alice"},
    }


def test_attributes_do_not_filter_the_result_set(tenant, directory):
    body = fetch(tenant.client, "/Users", attributes="title")
    assert body["totalResults"] == 3
    assert len(resources(body)) == 3
    assert [r.get("title") for r in resources(body)].count("Engineer") == 1


def test_attribute_names_in_attributes_are_case_insensitive(tenant, directory):
    got = fetch(tenant.client, f"/Users/{directory['alice']['id']}", attributes="USERNAME,Name")
    assert set(got) == {"id", "schemas", "userName", "name"}


def test_list_excluded_attributes_removes_them(tenant, directory):
    body = fetch(tenant.client, "/Users", excludedAttributes="emails,meta")
    assert len(resources(body)) == 3
    for r in resources(body):
        assert "emails" not in r
        assert "meta" not in r
        assert "userName" in r
        assert "name" in r


def test_get_excluded_attributes_removes_them(tenant, directory):
    alice = directory["alice"]
    got = fetch(tenant.client, f"/Users/{alice['id']}", excludedAttributes="emails,meta")
    assert "emails" not in got
    assert "meta" not in got
    assert got["title"] == "Engineer"
    assert got[ENTERPRISE]["department"] == "Research"


def test_excluded_attributes_cannot_remove_id(tenant, directory):
    alice = directory["alice"]
    got = fetch(tenant.client, f"/Users/{alice['id']}", excludedAttributes="id,userName")
    assert got["id"] == alice["id"]
    assert "userName" not in got


def test_attributes_id_returns_only_the_always_returned(tenant, directory):
    alice = directory["alice"]
    got = fetch(tenant.client, f"/Users/{alice['id']}", attributes="id")
    assert got == {"id": alice["id"], "schemas": [USER, ENTERPRISE]}


def test_excluding_a_sub_attribute_keeps_the_others(tenant, directory):
    alice = directory["alice"]
    got = fetch(tenant.client, f"/Users/{alice['id']}", excludedAttributes="name.givenName")
    assert got["name"] == {"familyName": "Adams"}
    assert got["userName"] == "alice"


def test_selecting_a_sub_attribute_of_a_multi_valued_attribute(tenant, directory):
    alice = directory["alice"]
    got = fetch(tenant.client, f"/Users/{alice['id']}", attributes="emails.value")
    assert got["emails"] == [{"value": "alice@example.com"}]
    assert set(got) == {"id", "schemas", "emails"}


def test_selecting_one_extension_attribute(tenant, directory):
    alice = directory["alice"]
    got = fetch(tenant.client, f"/Users/{alice['id']}", attributes=DEPARTMENT)
    assert got == {
        "id": alice["id"],
        "schemas": [USER, ENTERPRISE],
        ENTERPRISE: {"department": "Research"},
    }


def test_selecting_a_whole_extension(tenant, directory):
    alice = directory["alice"]
    got = fetch(tenant.client, f"/Users/{alice['id']}", attributes=ENTERPRISE)
    assert got[ENTERPRISE] == {"department": "Research", "employeeNumber": "1001"}
    assert "userName" not in got


def test_excluding_one_extension_attribute(tenant, directory):
    alice = directory["alice"]
    got = fetch(tenant.client, f"/Users/{alice['id']}", excludedAttributes=DEPARTMENT)
    assert got[ENTERPRISE] == {"employeeNumber": "1001"}
    assert got["userName"] == "alice"


def test_user_groups_are_returned_by_default_and_on_request(tenant, directory):
    alice, engineers = directory["alice"], directory["Engineers"]
    full = fetch(tenant.client, f"/Users/{alice['id']}")
    assert [g["value"] for g in full["groups"]] == [engineers["id"]]
    only = fetch(tenant.client, f"/Users/{alice['id']}", attributes="groups.value")
    assert only == {
        "id": alice["id"],
        "schemas": [USER, ENTERPRISE],
        "groups": [{"value": engineers["id"]}],
    }


def test_excluding_groups_from_a_user(tenant, directory):
    got = fetch(tenant.client, f"/Users/{directory['alice']['id']}", excludedAttributes="groups")
    assert "groups" not in got
    assert got["userName"] == "alice"


def test_group_list_excluding_members(tenant, directory):
    body = fetch(tenant.client, "/Groups", excludedAttributes="members")
    assert sorted(g["displayName"] for g in resources(body)) == ["Engineers", "Sales Team"]
    assert all("members" not in g for g in resources(body))


def test_group_get_excluding_members(tenant, directory):
    engineers = directory["Engineers"]
    got = fetch(tenant.client, f"/Groups/{engineers['id']}", excludedAttributes="members")
    assert "members" not in got
    assert got["displayName"] == "Engineers"
    assert got["meta"]["resourceType"] == "Group"


def test_group_member_values_only(tenant, directory):
    engineers = directory["Engineers"]
    got = fetch(tenant.client, f"/Groups/{engineers['id']}", attributes="members.value")
    expected = sorted([directory["alice"]["id"], directory["bob"]["id"]])
    assert sorted(m["value"] for m in got["members"]) == expected
    assert all(set(m) == {"value"} for m in got["members"])
    assert set(got) == {"id", "schemas", "members"}


def test_group_display_name_only(tenant, directory):
    body = fetch(tenant.client, "/Groups", attributes="displayName", sortBy="displayName")
    assert [set(g) for g in resources(body)] == [{"id", "schemas", "displayName"}] * 2


# --- password is never returned (RFC 7643 §4.1.1, §7) --------------------------------------


def assert_no_password(response: Any) -> None:
    assert response.status_code in (200, 201), response.text
    assert SECRET not in response.text
    assert not _has_key(response.json(), "password")


def _has_key(value: Any, key: str) -> bool:
    if isinstance(value, dict):
        return any(k.lower() == key or _has_key(v, key) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_key(v, key) for v in value)
    return False


def test_password_is_not_returned_on_create(tenant):
    r = tenant.client.post("/Users", json={"schemas": [USER], "userName": "p", "password": SECRET})
    assert_no_password(r)
    assert r.status_code == 201


def test_password_is_not_returned_on_get(tenant, directory):
    uid = directory["alice"]["id"]
    assert_no_password(tenant.client.get(f"/Users/{uid}"))


def test_password_is_not_returned_even_when_asked_for(tenant, directory):
    uid = directory["alice"]["id"]
    r = tenant.client.get(f"/Users/{uid}", params={"attributes": "password"})
    assert_no_password(r)
    assert set(r.json()) == {"id", "schemas"}
    assert_no_password(tenant.client.get("/Users", params={"attributes": "userName,password"}))


def test_password_is_not_returned_in_lists_or_searches(tenant, directory):
    assert_no_password(tenant.client.get("/Users"))
    assert_no_password(tenant.client.get("/Users", params={"filter": 'userName eq "alice"'}))
    body = {"schemas": [SEARCH_REQUEST], "filter": 'userName eq "alice"'}
    assert_no_password(tenant.client.post("/Users/.search", json=body))
    assert_no_password(tenant.client.post("/.search", json={"schemas": [SEARCH_REQUEST]}))


def test_password_is_not_returned_on_replace(tenant, directory):
    uid = directory["bob"]["id"]
    body = {"schemas": [USER], "userName": "bob", "password": SECRET}
    assert_no_password(tenant.client.put(f"/Users/{uid}", json=body))
    assert_no_password(tenant.client.get(f"/Users/{uid}"))


def test_password_is_not_returned_on_patch_with_a_path(tenant, directory):
    uid = directory["bob"]["id"]
    op = {"op": "replace", "path": "password", "value": SECRET}
    assert_no_password(tenant.client.patch(f"/Users/{uid}", json=patch(op)))
    assert_no_password(tenant.client.get(f"/Users/{uid}"))


def test_password_is_not_returned_on_patch_without_a_path(tenant, directory):
    uid = directory["carol"]["id"]
    op = {"op": "replace", "value": {"password": SECRET, "title": "Lead"}}
    r = tenant.client.patch(f"/Users/{uid}", json=patch(op))
    assert_no_password(r)
    assert r.json()["title"] == "Lead"
