"""PATCH over HTTP (RFC 7644 §3.5.2): 200 with the resource, atomic, precise errors."""

from __future__ import annotations

from .helpers import ENTERPRISE, assert_scim_error, create, patch, sample, user


def _full_user(tenant):
    return create(tenant.client, "/Users", sample("rfc7643_8.3_enterprise_user.json"))


def test_successful_patch_answers_200_with_the_updated_resource(tenant):
    u = _full_user(tenant)
    r = tenant.client.patch(
        f"/Users/{u['id']}", json=patch({"op": "replace", "path": "title", "value": "Chief"})
    )
    assert r.status_code == 200
    assert r.json()["title"] == "Chief"
    assert r.headers["etag"] == r.json()["meta"]["version"] != u["meta"]["version"]


def test_value_filter_path_with_sub_attribute(tenant):
    u = _full_user(tenant)
    op = {"op": "replace", "path": 'emails[type eq "work"].value', "value": "new@example.com"}
    r = tenant.client.patch(f"/Users/{u['id']}", json=patch(op))
    assert r.json()["emails"][0]["value"] == "new@example.com"
    found = tenant.client.get('/Users?filter=emails.value eq "new@example.com"').json()
    assert found["totalResults"] == 1


def test_extension_urn_path(tenant):
    u = _full_user(tenant)
    op = {"op": "replace", "path": f"{ENTERPRISE}:department", "value": "Sales"}
    r = tenant.client.patch(f"/Users/{u['id']}", json=patch(op))
    assert r.json()[ENTERPRISE]["department"] == "Sales"
    r = tenant.client.patch(
        f"/Users/{u['id']}", json=patch({"op": "remove", "path": f"{ENTERPRISE}:manager"})
    )
    assert "manager" not in r.json()[ENTERPRISE]


def test_operation_without_path_merges_attributes(tenant):
    u = _full_user(tenant)
    op = {"op": "replace", "value": {"active": False, "name": {"givenName": "Babs"}}}
    body = tenant.client.patch(f"/Users/{u['id']}", json=patch(op)).json()
    assert body["active"] is False
    assert body["name"]["givenName"] == "Babs" and body["name"]["familyName"] == "Jensen"


def test_add_sub_attribute_path(tenant):
    u = create(tenant.client, "/Users", user("sub@example.com"))
    op = {"op": "add", "path": "name.familyName", "value": "Doe"}
    body = tenant.client.patch(f"/Users/{u['id']}", json=patch(op)).json()
    assert body["name"] == {"familyName": "Doe"}


def test_unresolvable_path_is_invalid_path(tenant):
    u = create(tenant.client, "/Users", user("bad@example.com"))
    op = {"op": "replace", "path": "noSuchAttribute", "value": "x"}
    assert_scim_error(tenant.client.patch(f"/Users/{u['id']}", json=patch(op)), 400, "invalidPath")


def test_filter_matching_nothing_is_no_target(tenant):
    u = _full_user(tenant)
    op = {"op": "replace", "path": 'emails[type eq "fax"].value', "value": "x@y.io"}
    assert_scim_error(tenant.client.patch(f"/Users/{u['id']}", json=patch(op)), 400, "noTarget")


def test_remove_without_path_is_no_target(tenant):
    u = create(tenant.client, "/Users", user("np@example.com"))
    r = tenant.client.patch(f"/Users/{u['id']}", json=patch({"op": "remove"}))
    assert_scim_error(r, 400, "noTarget")


def test_read_only_attribute_cannot_be_patched(tenant):
    u = create(tenant.client, "/Users", user("id@example.com"))
    op = {"op": "replace", "path": "id", "value": "mine"}
    assert_scim_error(tenant.client.patch(f"/Users/{u['id']}", json=patch(op)), 400, "mutability")


def test_patch_is_atomic_when_a_later_operation_fails(tenant):
    u = _full_user(tenant)
    ops = patch(
        {"op": "replace", "path": "title", "value": "Changed"},
        {"op": "replace", "path": "noSuchAttribute", "value": "x"},
    )
    assert_scim_error(tenant.client.patch(f"/Users/{u['id']}", json=ops), 400)
    got = tenant.client.get(f"/Users/{u['id']}").json()
    assert got["title"] == "Tour Guide"
    assert got["meta"]["version"] == u["meta"]["version"]


def test_patch_producing_invalid_resource_is_rejected_whole(tenant):
    u = create(tenant.client, "/Users", user("inv@example.com"))
    ops = patch({"op": "replace", "path": "active", "value": "not-a-boolean"})
    assert_scim_error(tenant.client.patch(f"/Users/{u['id']}", json=ops), 400)
    assert "active" not in tenant.client.get(f"/Users/{u['id']}").json()


def test_patch_username_to_existing_one_is_a_uniqueness_conflict(tenant):
    create(tenant.client, "/Users", user("taken@example.com"))
    u = create(tenant.client, "/Users", user("free@example.com"))
    op = {"op": "replace", "path": "userName", "value": "TAKEN@example.com"}
    r = tenant.client.patch(f"/Users/{u['id']}", json=patch(op))
    assert_scim_error(r, 409, "uniqueness")


def test_patch_with_stale_if_match_is_412(tenant):
    u = create(tenant.client, "/Users", user("pm@example.com"))
    op = patch({"op": "replace", "path": "title", "value": "x"})
    tenant.client.patch(f"/Users/{u['id']}", json=op)
    r = tenant.client.patch(
        f"/Users/{u['id']}", json=op, headers={"If-Match": u["meta"]["version"]}
    )
    assert_scim_error(r, 412)


def test_malformed_patch_request_is_rejected(tenant):
    u = create(tenant.client, "/Users", user("mp@example.com"))
    for body in ({"Operations": "x"}, {"schemas": ["wrong"], "Operations": []}, [1, 2]):
        r = tenant.client.patch(f"/Users/{u['id']}", json=body)
        assert_scim_error(r, 400)


def test_write_responses_honour_attributes_parameters(tenant):
    u = _full_user(tenant)
    op = patch({"op": "replace", "path": "title", "value": "T2"})
    r = tenant.client.patch(f"/Users/{u['id']}?attributes=title", json=op)
    assert set(r.json()) == {"schemas", "id", "title"}
    assert r.headers["etag"].startswith('W/"')
    r = tenant.client.post("/Users?excludedAttributes=emails,name", json=user("x@example.com"))
    assert r.status_code == 201 and "location" in r.headers and "meta" in r.json()
