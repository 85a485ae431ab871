"""Users over HTTP: create, read, replace, delete (RFC 7643 §4.1, RFC 7644 §3)."""

from __future__ import annotations

from .helpers import ENTERPRISE, USER, assert_scim_error, create, sample, user


def test_create_answers_201_with_location_etag_and_meta(tenant):
    r = tenant.client.post("/Users", json=sample("rfc7643_8.1_minimal_user.json"))
    assert r.status_code == 201
    body = r.json()
    meta = body["meta"]
    assert r.headers["location"] == meta["location"] == f"{tenant.base}/Users/{body['id']}"
    assert r.headers["etag"] == meta["version"]
    assert meta["resourceType"] == "User"
    assert meta["created"] == meta["lastModified"]
    assert {"created", "lastModified", "version", "location", "resourceType"} <= meta.keys()


def test_create_ignores_read_only_id_and_meta_in_the_body(tenant):
    body = create(tenant.client, "/Users", sample("rfc7643_8.1_minimal_user.json"))
    assert body["id"] != "2819c223-7f76-453a-919d-413861904646"
    assert body["meta"]["created"] != "2010-01-23T04:56:22Z"
    assert not body["meta"]["location"].startswith("https://example.com")


def test_full_rfc_user_round_trips_without_password_or_groups(tenant):
    sent = sample("rfc7643_8.2_full_user.json")
    body = create(tenant.client, "/Users", sent)
    got = tenant.client.get(f"/Users/{body['id']}").json()
    assert "password" not in body and "password" not in got
    assert "groups" not in got  # read-only: derived from real memberships only
    for key in ("name", "emails", "addresses", "phoneNumbers", "ims", "photos", "x509Certificates"):
        assert got[key] == sent[key]
    assert got["active"] is True and got["title"] == "Tour Guide"


def test_enterprise_extension_is_stored_and_listed_in_schemas(tenant):
    body = create(tenant.client, "/Users", sample("rfc7643_8.3_enterprise_user.json"))
    assert body["schemas"] == [USER, ENTERPRISE]
    ext = body[ENTERPRISE]
    assert ext["department"] == "Tour Operations"
    assert "displayName" not in ext["manager"]  # readOnly sub-attribute ignored on input


def test_password_is_never_returned(tenant):
    body = create(tenant.client, "/Users", user("pw@example.com", password="s3cret!"))
    assert "password" not in body
    for r in (
        tenant.client.get(f"/Users/{body['id']}"),
        tenant.client.get(f"/Users/{body['id']}?attributes=password"),
        tenant.client.get("/Users"),
    ):
        assert "s3cret" not in r.text and '"password"' not in r.text


def test_missing_required_username_is_rejected(tenant):
    r = tenant.client.post("/Users", json={"schemas": [USER], "displayName": "x"})
    body = assert_scim_error(r, 400, "invalidValue")
    assert "userName" in body["detail"]


def test_username_is_unique_per_tenant_regardless_of_case(tenant):
    create(tenant.client, "/Users", user("Case@Example.com"))
    r = tenant.client.post("/Users", json=user("case@example.COM"))
    assert_scim_error(r, 409, "uniqueness")


def test_wrong_types_are_rejected_precisely(tenant):
    for field, value in [("userName", 5), ("active", "perhaps"), ("emails", "x"), ("name", [])]:
        r = tenant.client.post("/Users", json=user("t@example.com", **{field: value}))
        body = assert_scim_error(r, 400)
        assert field in body["detail"]


def test_unknown_schema_carrying_data_is_rejected(tenant):
    body = user("u@example.com")
    body["schemas"].append("urn:example:unknown")
    body["urn:example:unknown"] = {"x": 1}
    assert_scim_error(tenant.client.post("/Users", json=body), 400)


def test_put_replaces_the_resource_and_bumps_version(tenant):
    created = create(tenant.client, "/Users", user("put@example.com", title="A", nickName="n"))
    r = tenant.client.put(f"/Users/{created['id']}", json=user("put@example.com", title="B"))
    assert r.status_code == 200
    body = r.json()
    assert body["title"] == "B" and "nickName" not in body
    assert body["meta"]["version"] != created["meta"]["version"]
    assert body["meta"]["created"] == created["meta"]["created"]
    assert r.headers["etag"] == body["meta"]["version"]


def test_put_ignores_id_and_meta_in_the_body(tenant):
    created = create(tenant.client, "/Users", user("ro@example.com"))
    body = user("ro@example.com", id="other", meta={"created": "2000-01-01T00:00:00Z"})
    r = tenant.client.put(f"/Users/{created['id']}", json=body)
    assert r.json()["id"] == created["id"]
    assert r.json()["meta"]["created"] == created["meta"]["created"]


def test_put_that_changes_nothing_keeps_the_version(tenant):
    created = create(tenant.client, "/Users", user("same@example.com", title="T"))
    r = tenant.client.put(f"/Users/{created['id']}", json=user("same@example.com", title="T"))
    assert r.json()["meta"]["version"] == created["meta"]["version"]


def test_delete_answers_204_then_404(tenant):
    created = create(tenant.client, "/Users", user("del@example.com"))
    assert tenant.client.delete(f"/Users/{created['id']}").status_code == 204
    assert_scim_error(tenant.client.get(f"/Users/{created['id']}"), 404)
    assert_scim_error(tenant.client.delete(f"/Users/{created['id']}"), 404)


def test_stale_if_match_answers_412_and_changes_nothing(tenant):
    created = create(tenant.client, "/Users", user("etag@example.com", title="A"))
    url = f"/Users/{created['id']}"
    tenant.client.put(url, json=user("etag@example.com", title="B"))
    stale = {"If-Match": created["meta"]["version"]}
    r = tenant.client.put(url, json=user("etag@example.com", title="C"), headers=stale)
    assert_scim_error(r, 412)
    assert_scim_error(tenant.client.delete(url, headers=stale), 412)
    assert tenant.client.get(url).json()["title"] == "B"


def test_matching_if_match_is_accepted(tenant):
    created = create(tenant.client, "/Users", user("ok@example.com"))
    url = f"/Users/{created['id']}"
    r = tenant.client.put(
        url,
        json=user("ok@example.com", title="X"),
        headers={"If-Match": created["meta"]["version"]},
    )
    assert r.status_code == 200


def test_matching_if_none_match_answers_304(tenant):
    created = create(tenant.client, "/Users", user("inm@example.com"))
    url = f"/Users/{created['id']}"
    r = tenant.client.get(url, headers={"If-None-Match": created["meta"]["version"]})
    assert r.status_code == 304 and r.content == b""
    r = tenant.client.get(url, headers={"If-None-Match": 'W/"999"'})
    assert r.status_code == 200


def test_etag_header_is_sent_even_when_meta_is_projected_out(tenant):
    created = create(tenant.client, "/Users", user("proj@example.com"))
    r = tenant.client.get(f"/Users/{created['id']}?attributes=userName")
    assert "meta" not in r.json()
    assert r.headers["etag"] == created["meta"]["version"]


def test_requests_sent_as_application_json_are_accepted(tenant):
    r = tenant.client.post(
        "/Users", json=user("json@example.com"), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 201
    assert r.headers["content-type"].startswith("application/scim+json")


def test_nulls_mean_unassigned(tenant):
    created = create(tenant.client, "/Users", user("null@example.com", title=None, nickName="n"))
    assert "title" not in created
    r = tenant.client.put(f"/Users/{created['id']}", json=user("null@example.com", nickName=None))
    assert "nickName" not in r.json()


def test_two_primary_emails_are_rejected(tenant):
    emails = [{"value": "a@x.io", "primary": True}, {"value": "b@x.io", "primary": True}]
    assert_scim_error(tenant.client.post("/Users", json=user("p@x.io", emails=emails)), 400)
