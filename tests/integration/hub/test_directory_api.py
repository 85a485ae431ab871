"""The directory's REST API over HTTP: users, states, CSV import, groups and members."""

from __future__ import annotations

import httpx
import pytest

from .conftest import unique


def new_user(api, **fields):
    name = fields.pop("username", None) or unique("api")
    body = {"username": name, "email": f"{name}@example.com"} | fields
    response = api.post("/users", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def new_group(api, **fields):
    response = api.post("/groups", json={"name": unique("Api group ")} | fields)
    assert response.status_code == 201, response.text
    return response.json()


def walk(api, path, **params):
    """Every item of a paged list, following ``next_cursor``; and the number of pages."""
    items, pages, after = [], 0, None
    while True:
        response = api.get(path, params=params | ({"after": after} if after else {}))
        assert response.status_code == 200, response.text
        items += response.json()["items"]
        pages += 1
        if (after := response.json()["next_cursor"]) is None:
            return items, pages


# --- authentication and the OpenAPI document ------------------------------------------------


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer shk_not-a-key"}])
def test_requests_without_a_valid_key_get_401(hub_server, headers):
    for method, path in [("GET", "/users"), ("POST", "/groups"), ("POST", "/users/import")]:
        response = httpx.request(method, f"{hub_server.url}/api/v1{path}", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"] == "unauthorized"


def test_the_openapi_document_lists_every_directory_path(hub_server):
    document = httpx.get(f"{hub_server.url}/openapi.json").json()
    paths = {p.removeprefix("/api/v1") for p in document["paths"]}
    assert {
        "/users",
        "/users/import",
        "/users/{ref}",
        "/users/{ref}/suspend",
        "/users/{ref}/activate",
        "/users/{ref}/groups",
        "/groups",
        "/groups/{ref}",
        "/groups/{ref}/members",
        "/groups/{ref}/members/remove",
    } <= paths
    users = document["paths"]["/api/v1/users/{ref}"]
    assert set(users) >= {"get", "patch", "delete"}
    assert "text/csv" in document["paths"]["/api/v1/users/import"]["post"]["requestBody"]["content"]


# --- users ----------------------------------------------------------------------------------


def test_create_user_returns_201_with_location_and_the_user(api):
    name = unique("Loc")
    response = api.post(
        "/users",
        json={
            "username": name,
            "email": f"{name}@example.com",
            "jobTitle": "Dev",
            "state": "STAGED",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["username"], body["job_title"], body["state"]) == (name, "Dev", "STAGED")
    assert response.headers["Location"] == f"/api/v1/users/{body['id']}"
    assert api.get(response.headers["Location"].removeprefix("/api/v1")).json() == body


def test_get_user_by_username_in_any_case_and_404_for_unknown(api):
    user = new_user(api)
    assert api.get(f"/users/{user['username'].upper()}").json()["id"] == user["id"]
    response = api.get("/users/nobody-at-all")
    assert response.status_code == 404
    assert response.json() == {
        "error": "not_found",
        "detail": "No user with id or username 'nobody-at-all'",
    }


def test_a_duplicate_username_is_409_naming_the_field(api):
    user = new_user(api)
    response = api.post(
        "/users", json={"username": user["username"].upper(), "email": f"{unique()}@example.com"}
    )
    assert response.status_code == 409
    assert response.json()["error"] == "conflict"
    assert "username" in response.json()["detail"]


def test_an_invalid_email_is_422_with_the_reason(api):
    response = api.post("/users", json={"username": unique(), "email": "nope"})
    assert response.status_code == 422
    assert response.json()["error"] == "invalid"
    assert "Invalid email 'nope'" in response.json()["detail"]


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (b'{"username": "x", "email": ', "body"),
        (b'{"username": 123, "email": "a@example.com"}', "username"),
        (b'{"email": "a@example.com"}', "username"),
        (b'{"username": "x", "email": "a@example.com", "state": "ACTIVE"}', "state"),
        (b'{"username": "x", "email": "a@example.com", "password": "p"}', "password"),
    ],
)
def test_malformed_json_or_wrong_types_are_422_naming_the_field(api, content, field):
    response = api.post("/users", content=content, headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.json()["error"] == "invalid"
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_list_users_pages_with_cursors_and_filters_by_search_and_state(api):
    stem = unique("lst")
    for n in range(5):
        new_user(api, username=f"{stem}-{n}", state="SUSPENDED" if n % 2 else "ACTIVATED")
    items, pages = walk(api, "/users", q=stem.upper(), limit=2)
    assert [u["username"] for u in items] == [f"{stem}-{n}" for n in range(5)]
    assert pages == 3
    suspended, _ = walk(api, "/users", q=stem, state="SUSPENDED")
    assert [u["username"] for u in suspended] == [f"{stem}-1", f"{stem}-3"]


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": 501}, {"state": "ACTIVE"}, {"after": "garbage!"}]
)
def test_list_users_refuses_bad_parameters_with_422(api, params):
    assert api.get("/users", params=params).status_code == 422


def test_patch_changes_only_the_fields_sent(api):
    user = new_user(api, firstname="Ann", department="Ops")
    response = api.patch(f"/users/{user['id']}", json={"department": "R&D", "jobTitle": "Lead"})
    assert response.status_code == 200
    body = response.json()
    assert (body["firstname"], body["department"], body["job_title"]) == ("Ann", "R&D", "Lead")
    assert body["updated"] > user["updated"]


def test_patch_refuses_taken_emails_nulls_and_the_state(api):
    taken, user = new_user(api), new_user(api)
    conflict = api.patch(f"/users/{user['id']}", json={"email": taken["email"]})
    assert conflict.status_code == 409
    assert "email" in conflict.json()["detail"]
    assert api.patch(f"/users/{user['id']}", json={"firstname": None}).status_code == 422
    assert api.patch(f"/users/{user['id']}", json={"state": "SUSPENDED"}).status_code == 422
    assert api.patch("/users/nobody-at-all", json={"firstname": "X"}).status_code == 404


def test_suspend_and_activate_change_the_state(api):
    user = new_user(api, state="STAGED")
    refused = api.post(f"/users/{user['id']}/suspend")
    assert refused.status_code == 409
    assert refused.json()["error"] == "refused"
    assert "STAGED" in refused.json()["detail"]
    assert api.post(f"/users/{user['id']}/activate").json()["state"] == "ACTIVATED"
    assert api.post(f"/users/{user['username']}/suspend").json()["state"] == "SUSPENDED"
    assert api.get(f"/users/{user['id']}").json()["state"] == "SUSPENDED"
    assert api.post("/users/nobody-at-all/activate").status_code == 404


def test_delete_user_is_204_and_then_404(api):
    user = new_user(api)
    response = api.delete(f"/users/{user['username']}")
    assert response.status_code == 204
    assert response.content == b""
    assert api.get(f"/users/{user['id']}").status_code == 404
    assert api.delete(f"/users/{user['id']}").status_code == 404


def test_a_users_groups_are_listed_by_name(api):
    user = new_user(api)
    group = new_group(api)
    api.post(f"/groups/{group['id']}/members", json={"users": [user["id"]]})
    groups = api.get(f"/users/{user['username']}/groups").json()
    assert [(g["name"], g["member_count"]) for g in groups] == [(group["name"], 1)]
    assert api.get("/users/nobody-at-all/groups").status_code == 404


# --- CSV import -----------------------------------------------------------------------------


def test_import_creates_good_rows_and_reports_bad_ones_with_200(api):
    good, bad = unique("imp"), unique("imp")
    body = f"username,email,jobTitle\n{good},{good}@example.com,Dev\n{bad},broken,\n"
    response = api.post(
        "/users/import", content=body.encode(), headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 200
    report = response.json()
    assert [(u["username"], u["job_title"]) for u in report["created"]] == [(good, "Dev")]
    (error,) = report["errors"]
    assert (error["line"], error["username"]) == (3, bad)
    assert "Invalid email" in error["detail"]
    assert api.get(f"/users/{good}").status_code == 200
    assert api.get(f"/users/{bad}").status_code == 404


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        (b"username,firstname\nx,y\n", "Missing required column(s) email"),
        ("username,email\nzo\u00eb,z@example.com\n".encode("latin-1"), "not UTF-8"),
    ],
)
def test_import_of_an_unusable_file_is_422_and_writes_nothing(api, content, detail):
    response = api.post("/users/import", content=content, headers={"Content-Type": "text/csv"})
    assert response.status_code == 422
    assert detail in response.json()["detail"]


# --- groups ---------------------------------------------------------------------------------


def test_create_group_returns_201_with_location_and_a_duplicate_is_409(api):
    name = unique("Created ")
    response = api.post("/groups", json={"name": name, "description": "d"})
    assert response.status_code == 201
    group = response.json()
    assert (group["name"], group["description"], group["member_count"]) == (name, "d", 0)
    assert response.headers["Location"] == f"/api/v1/groups/{group['id']}"
    assert api.get(f"/groups/{name.upper()}").json() == group
    duplicate = api.post("/groups", json={"name": name.lower()})
    assert duplicate.status_code == 409
    assert api.post("/groups", json={"name": ""}).status_code == 422
    assert api.post("/groups", json={"name": 7}).status_code == 422


def test_list_groups_pages_with_cursors_and_searches(api):
    stem = unique("Pg ")
    names = [f"{stem}{n}" for n in range(3)]
    for name in names:
        new_group(api, name=name)
    items, pages = walk(api, "/groups", q=stem, limit=2)
    assert [g["name"] for g in items] == names
    assert pages == 2


def test_members_are_added_listed_and_removed(api):
    group = new_group(api)
    ann, bob = new_user(api), new_user(api)
    path = f"/groups/{group['name']}/members"
    added = api.post(path, json={"users": [ann["id"], bob["username"]]})
    assert added.status_code == 200
    assert sorted(added.json()["changed"]) == sorted([ann["username"], bob["username"]])
    again = api.post(path, json={"users": [ann["username"]]}).json()
    assert (again["changed"], again["unchanged"]) == ([], [ann["username"]])
    assert again["group"]["member_count"] == 2
    members, pages = walk(api, path, limit=1)
    by_username = sorted([ann, bob], key=lambda u: u["username"].lower())
    assert [m["id"] for m in members] == [u["id"] for u in by_username]
    assert pages == 2
    removed = api.post(f"{path}/remove", json={"users": [ann["id"]]}).json()
    assert (removed["changed"], removed["group"]["member_count"]) == ([ann["username"]], 1)


def test_adding_unknown_members_is_404_listing_them_and_changes_nothing(api):
    group, ann = new_group(api), new_user(api)
    response = api.post(
        f"/groups/{group['id']}/members", json={"users": [ann["id"], "ghost-a", "ghost-b"]}
    )
    assert response.status_code == 404
    assert "'ghost-a', 'ghost-b'" in response.json()["detail"]
    assert api.get(f"/groups/{group['id']}").json()["member_count"] == 0


def test_member_bodies_must_name_at_least_one_user(api):
    group = new_group(api)
    for body in ({"users": []}, {"users": "ann"}, {}):
        assert api.post(f"/groups/{group['id']}/members", json=body).status_code == 422
    assert api.post("/groups/no-such-group/members", json={"users": ["x"]}).status_code == 404


def test_delete_group_is_204_keeps_its_users_and_then_404(api):
    group, ann = new_group(api), new_user(api)
    api.post(f"/groups/{group['id']}/members", json={"users": [ann["id"]]})
    assert api.delete(f"/groups/{group['name']}").status_code == 204
    assert api.get(f"/groups/{group['id']}").status_code == 404
    assert api.get(f"/groups/{group['id']}/members").status_code == 404
    assert api.get(f"/users/{ann['id']}").status_code == 200
    assert api.delete(f"/groups/{group['id']}").status_code == 404
