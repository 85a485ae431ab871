"""The `profitco` profile over real HTTP: users only, no deletion, userName is an email."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import assert_scim_error

ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK_URN = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
SEARCH_URN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
PROFITCO_ROOT = "/app/rest/platform/auth/scim/v2"


def create_user(t, user_name: str, **attrs: Any) -> dict:
    r = t.client.post("/Users", json={"schemas": [USER_URN], "userName": user_name, **attrs})
    assert r.status_code == 201, r.text
    return r.json()


def patch_body(*ops: dict) -> dict:
    return {"schemas": [PATCH_URN], "Operations": list(ops)}


def get_ok(t, path: str, **kw: Any) -> dict:
    r = t.client.get(path, **kw)
    assert r.status_code == 200, r.text
    return r.json()


# --- users only -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/Groups"),
        ("POST", "/Groups"),
        ("GET", "/Groups/00000000-0000-0000-0000-000000000000"),
        ("PATCH", "/Groups/00000000-0000-0000-0000-000000000000"),
        ("DELETE", "/Groups/00000000-0000-0000-0000-000000000000"),
        ("POST", "/Groups/.search"),
    ],
)
def test_groups_endpoint_is_404(profitco, method, path):
    body = {"schemas": [GROUP_URN], "displayName": "Nope"}
    if path.endswith(".search"):
        body = {"schemas": [SEARCH_URN]}
    r = profitco.client.request(method, path, json=None if method in ("GET", "DELETE") else body)
    assert_scim_error(r, 404)


def test_groups_endpoint_is_404_on_the_profitco_path(profitco, provider):
    assert_scim_error(profitco.client.get(f"{provider.url}{PROFITCO_ROOT}/Groups"), 404)


def test_bulk_cannot_create_groups(profitco):
    op = {"method": "POST", "path": "/Groups", "bulkId": "g", "data": {"displayName": "Nope"}}
    r = profitco.client.post("/Bulk", json={"schemas": [BULK_URN], "Operations": [op]})
    assert r.status_code == 200, r.text
    (result,) = r.json()["Operations"]
    assert result["status"] == "404"
    assert result["response"]["schemas"] == [ERROR_URN]


def test_resource_types_list_only_user(profitco):
    body = get_ok(profitco, "/ResourceTypes")
    assert [rt["id"] for rt in body["Resources"]] == ["User"]
    assert body["totalResults"] == 1
    assert body["Resources"][0]["schemaExtensions"] == [
        {"schema": ENTERPRISE_URN, "required": False}
    ]


def test_group_resource_type_is_404(profitco):
    assert_scim_error(profitco.client.get("/ResourceTypes/Group"), 404)


def test_schemas_list_no_group_schema(profitco):
    ids = {s["id"] for s in get_ok(profitco, "/Schemas")["Resources"]}
    assert GROUP_URN not in ids
    assert ids == {USER_URN, ENTERPRISE_URN}


def test_group_schema_is_404(profitco):
    assert_scim_error(profitco.client.get(f"/Schemas/{GROUP_URN}"), 404)


def test_user_schema_has_no_groups_attribute(profitco):
    schema = get_ok(profitco, f"/Schemas/{USER_URN}")
    names = {a["name"] for a in schema["attributes"]}
    assert "groups" not in names
    assert {"userName", "title", "active", "emails"} <= names


def test_user_schema_in_the_list_has_no_groups_attribute(profitco):
    (user,) = [s for s in get_ok(profitco, "/Schemas")["Resources"] if s["id"] == USER_URN]
    assert "groups" not in {a["name"] for a in user["attributes"]}


def test_users_never_carry_a_groups_attribute(profitco):
    user = create_user(profitco, "no-groups@profit.co")
    assert "groups" not in get_ok(profitco, f"/Users/{user['id']}")
    assert_scim_error(
        profitco.client.get(f"/Users/{user['id']}", params={"attributes": "groups"}), 400
    )


def test_groups_filter_is_refused(profitco):
    r = profitco.client.get("/Users", params={"filter": 'groups.value eq "x"'})
    assert_scim_error(r, 400)


def test_root_search_only_covers_users(profitco):
    create_user(profitco, "root-search@profit.co")
    r = profitco.client.post("/.search", json={"schemas": [SEARCH_URN]})
    assert r.status_code == 200, r.text
    assert r.json()["totalResults"] == 1


# --- no deletion ------------------------------------------------------------------------------


def test_delete_of_a_user_is_refused_with_a_scim_error(profitco):
    user = create_user(profitco, "keep.me@profit.co")
    r = profitco.client.delete(f"/Users/{user['id']}")
    err = assert_scim_error(r, 405)
    detail = err["detail"].lower()
    assert "delet" in detail and "not supported" in detail
    assert "active" in detail and "false" in detail


def test_refused_delete_leaves_the_user_in_place(profitco):
    user = create_user(profitco, "still.here@profit.co")
    before = get_ok(profitco, f"/Users/{user['id']}")
    profitco.client.delete(f"/Users/{user['id']}")
    assert get_ok(profitco, f"/Users/{user['id']}") == before
    flt = {"filter": 'userName eq "still.here@profit.co"'}
    assert get_ok(profitco, "/Users", params=flt)["totalResults"] == 1


def test_delete_of_an_unknown_user_is_404(profitco):
    assert_scim_error(profitco.client.delete("/Users/00000000-0000-0000-0000-000000000000"), 404)


def test_bulk_delete_of_a_user_is_refused(profitco):
    user = create_user(profitco, "bulk.keep@profit.co")
    op = {"method": "DELETE", "path": f"/Users/{user['id']}"}
    r = profitco.client.post("/Bulk", json={"schemas": [BULK_URN], "Operations": [op]})
    assert r.status_code == 200, r.text
    (result,) = r.json()["Operations"]
    assert result["status"] == "405"
    assert "active" in result["response"]["detail"]
    assert profitco.client.get(f"/Users/{user['id']}").status_code == 200


def test_deactivation_by_patch_active_false_works(profitco):
    user = create_user(profitco, "leaver@profit.co", active=True)
    r = profitco.client.patch(
        f"/Users/{user['id']}", json=patch_body({"op": "replace", "path": "active", "value": False})
    )
    assert r.status_code == 200, r.text
    assert r.json()["active"] is False
    assert get_ok(profitco, f"/Users/{user['id']}")["active"] is False
    inactive = get_ok(profitco, "/Users", params={"filter": "active eq false"})
    assert [u["id"] for u in inactive["Resources"]] == [user["id"]]


def test_deactivation_by_path_less_patch_with_string_false_works(profitco):
    """Entra ID's shape: {"op": "Replace", "value": {"active": "False"}}."""
    user = create_user(profitco, "entra.leaver@profit.co", active=True)
    body = patch_body({"op": "Replace", "value": {"active": "False"}})
    r = profitco.client.patch(f"/Users/{user['id']}", json=body)
    assert r.status_code == 200, r.text
    assert get_ok(profitco, f"/Users/{user['id']}")["active"] is False


def test_deactivation_by_put_active_false_works(profitco):
    user = create_user(profitco, "put.leaver@profit.co", active=True)
    body = {"schemas": [USER_URN], "userName": "put.leaver@profit.co", "active": False}
    r = profitco.client.put(f"/Users/{user['id']}", json=body)
    assert r.status_code == 200, r.text
    assert get_ok(profitco, f"/Users/{user['id']}")["active"] is False


def test_reactivation_works(profitco):
    user = create_user(profitco, "returner@profit.co", active=False)
    body = patch_body({"op": "replace", "path": "active", "value": True})
    assert profitco.client.patch(f"/Users/{user['id']}", json=body).status_code == 200
    assert get_ok(profitco, f"/Users/{user['id']}")["active"] is True


# --- userName is an email ---------------------------------------------------------------------

NOT_EMAILS = ["jdoe", "jdoe@", "@profit.co", "j doe@profit.co", "jdoe@localhost", ""]


@pytest.mark.parametrize("user_name", NOT_EMAILS)
def test_post_with_a_non_email_user_name_is_400_invalid_value(profitco, user_name):
    r = profitco.client.post("/Users", json={"schemas": [USER_URN], "userName": user_name})
    assert_scim_error(r, 400, "invalidValue")
    assert get_ok(profitco, "/Users")["totalResults"] == 0


def test_put_with_a_non_email_user_name_is_400_invalid_value(profitco):
    user = create_user(profitco, "put.email@profit.co")
    r = profitco.client.put(
        f"/Users/{user['id']}", json={"schemas": [USER_URN], "userName": "jdoe"}
    )
    assert_scim_error(r, 400, "invalidValue")
    assert get_ok(profitco, f"/Users/{user['id']}")["userName"] == "put.email@profit.co"


def test_patch_with_a_non_email_user_name_is_400_invalid_value(profitco):
    user = create_user(profitco, "patch.email@profit.co")
    body = patch_body({"op": "replace", "path": "userName", "value": "jdoe"})
    assert_scim_error(profitco.client.patch(f"/Users/{user['id']}", json=body), 400, "invalidValue")
    assert get_ok(profitco, f"/Users/{user['id']}")["userName"] == "patch.email@profit.co"


def test_path_less_patch_with_a_non_email_user_name_is_400_invalid_value(profitco):
    user = create_user(profitco, "pathless.email@profit.co")
    body = patch_body({"op": "replace", "value": {"userName": "jdoe"}})
    assert_scim_error(profitco.client.patch(f"/Users/{user['id']}", json=body), 400, "invalidValue")


def test_bulk_create_with_a_non_email_user_name_is_refused(profitco):
    op = {"method": "POST", "path": "/Users", "bulkId": "u", "data": {"userName": "jdoe"}}
    r = profitco.client.post("/Bulk", json={"schemas": [BULK_URN], "Operations": [op]})
    (result,) = r.json()["Operations"]
    assert result["status"] == "400"
    assert result["response"]["scimType"] == "invalidValue"


def test_email_user_names_are_accepted(profitco):
    for name in ("a@b.co", "first.last+tag@sub.profit.co"):
        assert create_user(profitco, name)["userName"] == name


def test_generic_profile_accepts_a_non_email_user_name(tenant):
    assert create_user(tenant, "jdoe")["userName"] == "jdoe"


def test_email_user_name_is_unique_regardless_of_case(profitco):
    create_user(profitco, "Unique.Person@Profit.co")
    r = profitco.client.post("/Users", json={"userName": "unique.person@profit.co"})
    assert_scim_error(r, 409, "uniqueness")


# --- department and title -------------------------------------------------------------------


def test_department_lives_in_the_enterprise_extension_and_title_in_title(profitco):
    user = create_user(
        profitco,
        "engineer@profit.co",
        schemas=[USER_URN, ENTERPRISE_URN],
        title="Staff Engineer",
        **{ENTERPRISE_URN: {"department": "Engineering"}},
    )
    got = get_ok(profitco, f"/Users/{user['id']}")
    assert got["title"] == "Staff Engineer"
    assert got[ENTERPRISE_URN]["department"] == "Engineering"
    assert ENTERPRISE_URN in got["schemas"]
    assert "department" not in got


def _seed_people(profitco) -> dict[str, str]:
    people = {
        "eng@profit.co": ("Engineering", "Staff Engineer"),
        "sales@profit.co": ("Sales", "Account Executive"),
        "eng2@profit.co": ("Engineering", "Engineering Manager"),
    }
    ids = {}
    for name, (department, title) in people.items():
        ids[name] = create_user(
            profitco,
            name,
            schemas=[USER_URN, ENTERPRISE_URN],
            title=title,
            **{ENTERPRISE_URN: {"department": department}},
        )["id"]
    return ids


def test_filter_by_enterprise_department(profitco):
    ids = _seed_people(profitco)
    flt = f'{ENTERPRISE_URN}:department eq "Engineering"'
    body = get_ok(profitco, "/Users", params={"filter": flt})
    assert {u["id"] for u in body["Resources"]} == {ids["eng@profit.co"], ids["eng2@profit.co"]}


def test_filter_by_title(profitco):
    ids = _seed_people(profitco)
    body = get_ok(profitco, "/Users", params={"filter": 'title eq "Account Executive"'})
    assert [u["id"] for u in body["Resources"]] == [ids["sales@profit.co"]]


def test_filter_by_department_and_title(profitco):
    ids = _seed_people(profitco)
    flt = f'{ENTERPRISE_URN}:department eq "Engineering" and title eq "Staff Engineer"'
    body = get_ok(profitco, "/Users", params={"filter": flt})
    assert [u["id"] for u in body["Resources"]] == [ids["eng@profit.co"]]


def test_department_can_be_changed_by_patch_with_the_urn_path(profitco):
    user = create_user(
        profitco,
        "mover@profit.co",
        schemas=[USER_URN, ENTERPRISE_URN],
        **{ENTERPRISE_URN: {"department": "Sales"}},
    )
    path = f"{ENTERPRISE_URN}:department"
    body = patch_body({"op": "replace", "path": path, "value": "Finance"})
    assert profitco.client.patch(f"/Users/{user['id']}", json=body).status_code == 200
    flt = f'{ENTERPRISE_URN}:department eq "Finance"'
    assert get_ok(profitco, "/Users", params={"filter": flt})["totalResults"] == 1


def test_title_can_be_changed_by_patch(profitco):
    user = create_user(profitco, "promoted@profit.co", title="Engineer")
    body = patch_body({"op": "replace", "path": "title", "value": "Senior Engineer"})
    assert profitco.client.patch(f"/Users/{user['id']}", json=body).status_code == 200
    body = get_ok(profitco, "/Users", params={"filter": 'title eq "Senior Engineer"'})
    assert [u["id"] for u in body["Resources"]] == [user["id"]]
