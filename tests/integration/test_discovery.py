"""Discovery endpoints over real HTTP (RFC 7644 §4, RFC 7643 §5-§7, RFC 9865 §4).

Each advertised capability is checked against what the provider really does.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
BULK_URN = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SPC_URN = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_URN = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_URN = "urn:ietf:params:scim:schemas:core:2.0:Schema"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
MAX_BODY = 262_144  # the test provider's max_body_bytes (tests/conftest.py)
ATTRIBUTE_KEYS = (
    "name",
    "type",
    "multiValued",
    "required",
    "caseExact",
    "mutability",
    "returned",
    "uniqueness",
)
TYPES = {"string", "boolean", "decimal", "integer", "dateTime", "binary", "reference", "complex"}


def assert_scim_error(r: httpx.Response, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/scim+json")
    body = r.json()
    assert body["schemas"] == [ERROR_URN]
    assert body["status"] == str(status)
    assert body["detail"]
    return body


def get_ok(tenant, path: str, **kw: Any) -> dict:
    r = tenant.client.get(path, **kw)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/scim+json")
    return r.json()


@pytest.fixture
def spc(tenant) -> dict:
    return get_ok(tenant, "/ServiceProviderConfig")


def create_user(tenant, user_name: str, **attrs: Any) -> dict:
    r = tenant.client.post("/Users", json={"schemas": [USER_URN], "userName": user_name, **attrs})
    assert r.status_code == 201, r.text
    return r.json()


def bulk_create_users(tenant, names: list[str]) -> None:
    ops = [
        {"method": "POST", "path": "/Users", "bulkId": f"b{i}", "data": {"userName": name}}
        for i, name in enumerate(names)
    ]
    r = tenant.client.post("/Bulk", json={"schemas": [BULK_URN], "Operations": ops})
    assert r.status_code == 200, r.text
    assert {op["status"] for op in r.json()["Operations"]} == {"201"}


def walk_attributes(attributes: list[dict], prefix: str = "") -> list[tuple[str, dict]]:
    out = []
    for attr in attributes:
        out.append((prefix + attr["name"], attr))
        out.extend(walk_attributes(attr.get("subAttributes", []), prefix + attr["name"] + "."))
    return out


def attribute(schema: dict, name: str) -> dict:
    return next(a for a in schema["attributes"] if a["name"] == name)


# --- served, addressable, read-only --------------------------------------------------------


def test_service_provider_config_is_served(spc):
    assert spc["schemas"] == [SPC_URN]
    assert spc["meta"]["resourceType"] == "ServiceProviderConfig"


def test_service_provider_config_location_is_its_url(tenant, spc):
    assert spc["meta"]["location"] == f"{tenant.base}/ServiceProviderConfig"


def test_resource_types_are_a_list_response(tenant):
    body = get_ok(tenant, "/ResourceTypes")
    assert body["schemas"] == [LIST_URN]
    assert body["totalResults"] == len(body["Resources"]) == body["itemsPerPage"]
    assert body["startIndex"] == 1
    assert all(rt["schemas"] == [RESOURCE_TYPE_URN] for rt in body["Resources"])


def test_schemas_are_a_list_response(tenant):
    body = get_ok(tenant, "/Schemas")
    assert body["schemas"] == [LIST_URN]
    assert body["totalResults"] == len(body["Resources"]) == body["itemsPerPage"]
    assert body["startIndex"] == 1
    assert all(s["schemas"] == [SCHEMA_URN] for s in body["Resources"])


@pytest.mark.parametrize("name", ["User", "Group"])
def test_each_resource_type_is_addressable_by_id(tenant, name):
    listed = {rt["id"]: rt for rt in get_ok(tenant, "/ResourceTypes")["Resources"]}
    one = get_ok(tenant, f"/ResourceTypes/{name}")
    assert one == listed[name]
    assert one["meta"]["location"] == f"{tenant.base}/ResourceTypes/{name}"
    assert one["meta"]["resourceType"] == "ResourceType"


@pytest.mark.parametrize("urn", [USER_URN, GROUP_URN, ENTERPRISE_URN])
def test_each_schema_is_addressable_by_id(tenant, urn):
    listed = {s["id"]: s for s in get_ok(tenant, "/Schemas")["Resources"]}
    one = get_ok(tenant, f"/Schemas/{urn}")
    assert one == listed[urn]
    assert one["meta"]["location"] == f"{tenant.base}/Schemas/{urn}"
    assert one["meta"]["resourceType"] == "Schema"


def test_every_listed_schema_is_addressable_at_its_location(tenant):
    for schema in get_ok(tenant, "/Schemas")["Resources"]:
        assert get_ok(tenant, schema["meta"]["location"])["id"] == schema["id"]


def test_every_resource_type_names_a_served_schema(tenant):
    schema_ids = {s["id"] for s in get_ok(tenant, "/Schemas")["Resources"]}
    for rt in get_ok(tenant, "/ResourceTypes")["Resources"]:
        assert rt["schema"] in schema_ids
        assert {e["schema"] for e in rt["schemaExtensions"]} <= schema_ids


@pytest.mark.parametrize(
    "path",
    [
        "/ResourceTypes/Widget",
        "/ResourceTypes/ServiceProviderConfig",
        "/Schemas/urn:ietf:params:scim:schemas:core:2.0:Widget",
        "/Schemas/Widget",
    ],
)
def test_unknown_discovery_id_is_404(tenant, path):
    assert_scim_error(tenant.client.get(path), 404)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize(
    "path",
    [
        "/ServiceProviderConfig",
        "/ResourceTypes",
        "/ResourceTypes/User",
        "/Schemas",
        f"/Schemas/{USER_URN}",
    ],
)
def test_writes_to_discovery_endpoints_are_405(tenant, method, path):
    r = tenant.client.request(method, path, json=None if method == "DELETE" else {})
    assert_scim_error(r, 405)


def test_discovery_write_changes_nothing(tenant):
    before = get_ok(tenant, "/Schemas")
    tenant.client.put(f"/Schemas/{USER_URN}", json={"id": USER_URN, "attributes": []})
    assert get_ok(tenant, "/Schemas") == before


# --- what is advertised is what is implemented ------------------------------------------------


def test_patch_is_advertised_and_works(tenant, spc):
    assert spc["patch"]["supported"] is True
    user = create_user(tenant, "patchable")
    body = {"schemas": [PATCH_URN], "Operations": [{"op": "add", "path": "title", "value": "CTO"}]}
    r = tenant.client.patch(f"/Users/{user['id']}", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["title"] == "CTO"


def test_bulk_is_advertised_with_its_limits(spc):
    bulk = spc["bulk"]
    assert bulk["supported"] is True
    assert isinstance(bulk["maxOperations"], int) and bulk["maxOperations"] > 0
    assert bulk["maxPayloadSize"] == MAX_BODY


def test_bulk_works(tenant, spc):
    bulk_create_users(tenant, ["bulk-a", "bulk-b"])
    assert get_ok(tenant, "/Users")["totalResults"] == 2


def test_bulk_over_max_operations_is_413(tenant, spc):
    limit = spc["bulk"]["maxOperations"]
    ops = [{"method": "DELETE", "path": f"/Users/{i}"} for i in range(limit + 1)]
    body = {"schemas": [BULK_URN], "Operations": ops}
    assert len(httpx.Request("POST", "http://x", json=body).content) < MAX_BODY
    assert_scim_error(tenant.client.post("/Bulk", json=body), 413)


def test_bulk_over_max_payload_size_is_413(tenant, spc):
    size = spc["bulk"]["maxPayloadSize"]
    data = {"userName": "big-bulk", "displayName": "x" * size}
    op = {"method": "POST", "path": "/Users", "bulkId": "a", "data": data}
    r = tenant.client.post("/Bulk", json={"schemas": [BULK_URN], "Operations": [op]})
    assert_scim_error(r, 413)


def test_filter_is_advertised_and_works(tenant, spc):
    assert spc["filter"]["supported"] is True
    assert isinstance(spc["filter"]["maxResults"], int) and spc["filter"]["maxResults"] > 0
    create_user(tenant, "findme")
    create_user(tenant, "other")
    body = get_ok(tenant, "/Users", params={"filter": 'userName eq "findme"'})
    assert [u["userName"] for u in body["Resources"]] == ["findme"]


def test_no_response_holds_more_than_max_results(tenant, spc):
    """RFC 7644 §3.4.2.4: a count above the maximum gets the maximum (filter.maxResults)."""
    max_results = spc["filter"]["maxResults"]
    assert spc["pagination"]["maxPageSize"] == max_results
    names = [f"mr-{i:05d}" for i in range(max_results + 1)]
    per_request = spc["bulk"]["maxOperations"]
    for start in range(0, len(names), per_request):
        bulk_create_users(tenant, names[start : start + per_request])
    params = {"filter": 'userName sw "mr-"', "count": str(max_results + 500)}
    body = get_ok(tenant, "/Users", params=params)
    assert body["totalResults"] == max_results + 1
    assert body["itemsPerPage"] == len(body["Resources"]) == max_results
    assert len(get_ok(tenant, "/Users")["Resources"]) == spc["pagination"]["defaultPageSize"]


def test_sort_is_advertised_and_works(tenant, spc):
    assert spc["sort"]["supported"] is True
    for name in ("sort-b", "sort-c", "sort-a"):
        create_user(tenant, name)
    up = get_ok(tenant, "/Users", params={"sortBy": "userName"})
    assert [u["userName"] for u in up["Resources"]] == ["sort-a", "sort-b", "sort-c"]
    down = get_ok(tenant, "/Users", params={"sortBy": "userName", "sortOrder": "descending"})
    assert [u["userName"] for u in down["Resources"]] == ["sort-c", "sort-b", "sort-a"]


def test_etag_is_advertised_and_works(tenant, spc):
    assert spc["etag"]["supported"] is True
    user = create_user(tenant, "etagged")
    r = tenant.client.get(f"/Users/{user['id']}")
    etag = r.headers["etag"]
    assert etag == r.json()["meta"]["version"]
    assert (
        tenant.client.get(f"/Users/{user['id']}", headers={"If-None-Match": etag}).status_code
        == 304
    )
    body = {"schemas": [PATCH_URN], "Operations": [{"op": "add", "path": "title", "value": "x"}]}
    stale = tenant.client.patch(f"/Users/{user['id']}", json=body, headers={"If-Match": 'W/"0"'})
    assert_scim_error(stale, 412)
    ok = tenant.client.patch(f"/Users/{user['id']}", json=body, headers={"If-Match": etag})
    assert ok.status_code == 200
    assert ok.headers["etag"] != etag


def test_change_password_is_advertised_unsupported(spc):
    assert spc["changePassword"]["supported"] is False


def test_pagination_is_advertised_per_rfc_9865(spc):
    pagination = spc["pagination"]
    assert pagination["cursor"] is True
    assert pagination["index"] is True
    assert pagination["defaultPaginationMethod"] in ("cursor", "index")
    for key in ("defaultPageSize", "maxPageSize", "cursorTimeout"):
        assert isinstance(pagination[key], int) and pagination[key] > 0, key
    assert pagination["defaultPageSize"] <= pagination["maxPageSize"]


def test_cursor_pagination_works_as_advertised(tenant, spc):
    for i in range(5):
        create_user(tenant, f"cursor-{i}")
    seen: list[str] = []
    page = get_ok(tenant, "/Users", params={"cursor": "", "count": "2"})
    while True:
        assert "startIndex" not in page
        seen.extend(u["userName"] for u in page["Resources"])
        if "nextCursor" not in page:
            break
        page = get_ok(tenant, "/Users", params={"cursor": page["nextCursor"], "count": "2"})
    assert sorted(seen) == [f"cursor-{i}" for i in range(5)]
    assert len(seen) == 5


def test_index_pagination_works_as_advertised(tenant):
    for i in range(3):
        create_user(tenant, f"index-{i}")
    page = get_ok(tenant, "/Users", params={"startIndex": "2", "count": "1", "sortBy": "userName"})
    assert page["startIndex"] == 2
    assert page["totalResults"] == 3
    assert [u["userName"] for u in page["Resources"]] == ["index-1"]


def test_authentication_scheme_is_oauth_bearer_token(spc):
    schemes = spc["authenticationSchemes"]
    assert [s["type"] for s in schemes] == ["oauthbearertoken"]
    assert schemes[0]["name"] and schemes[0]["description"]


def test_generic_resource_types_are_user_with_enterprise_extension_and_group(tenant):
    types = {rt["id"]: rt for rt in get_ok(tenant, "/ResourceTypes")["Resources"]}
    assert set(types) == {"User", "Group"}
    user, group = types["User"], types["Group"]
    assert (user["name"], user["endpoint"], user["schema"]) == ("User", "/Users", USER_URN)
    assert user["schemaExtensions"] == [{"schema": ENTERPRISE_URN, "required": False}]
    assert (group["name"], group["endpoint"], group["schema"]) == ("Group", "/Groups", GROUP_URN)
    assert group.get("schemaExtensions", []) == []


def test_generic_schemas_are_user_enterprise_and_group(tenant):
    ids = {s["id"] for s in get_ok(tenant, "/Schemas")["Resources"]}
    assert ids == {USER_URN, ENTERPRISE_URN, GROUP_URN}


def test_every_resource_type_endpoint_is_served(tenant):
    for rt in get_ok(tenant, "/ResourceTypes")["Resources"]:
        assert get_ok(tenant, rt["endpoint"])["schemas"] == [LIST_URN]


@pytest.mark.parametrize("urn", [USER_URN, ENTERPRISE_URN, GROUP_URN])
def test_schema_attribute_definitions_are_complete(tenant, urn):
    schema = get_ok(tenant, f"/Schemas/{urn}")
    assert schema["attributes"]
    for path, attr in walk_attributes(schema["attributes"]):
        for key in ATTRIBUTE_KEYS:
            assert key in attr, f"{urn} {path} lacks {key}"
        assert attr["type"] in TYPES, path
        assert isinstance(attr["multiValued"], bool), path
        assert isinstance(attr["required"], bool), path
        assert isinstance(attr["caseExact"], bool), path
        assert attr["mutability"] in ("readOnly", "readWrite", "immutable", "writeOnly"), path
        assert attr["returned"] in ("always", "never", "default", "request"), path
        assert attr["uniqueness"] in ("none", "server", "global"), path
        assert (attr["type"] == "complex") == bool(attr.get("subAttributes")), path


def test_user_name_is_advertised_required_and_unique(tenant):
    user_name = attribute(get_ok(tenant, f"/Schemas/{USER_URN}"), "userName")
    assert user_name["required"] is True
    assert user_name["uniqueness"] == "server"
    create_user(tenant, "unique-check")
    r = tenant.client.post("/Users", json={"userName": "UNIQUE-CHECK"})
    assert r.status_code == 409


def test_group_display_name_is_advertised_required(tenant):
    display = attribute(get_ok(tenant, f"/Schemas/{GROUP_URN}"), "displayName")
    assert display["required"] is True
    assert tenant.client.post("/Groups", json={"members": []}).status_code == 400


def test_password_is_advertised_write_only_and_never_returned(tenant):
    password = attribute(get_ok(tenant, f"/Schemas/{USER_URN}"), "password")
    assert password["returned"] == "never"
    assert password["mutability"] == "writeOnly"
    created = create_user(tenant, "with-password", password="s3cret-Passw0rd!")
    assert "password" not in created
    rid = created["id"]
    assert "password" not in get_ok(tenant, f"/Users/{rid}")
    assert "password" not in get_ok(tenant, f"/Users/{rid}", params={"attributes": "password"})
    listed = get_ok(tenant, "/Users", params={"attributes": "userName,password"})
    assert all("password" not in u for u in listed["Resources"])
    assert "s3cret-Passw0rd!" not in tenant.client.get(f"/Users/{rid}").text


def test_id_is_returned_always(tenant):
    rid = create_user(tenant, "always-id")["id"]
    assert get_ok(tenant, f"/Users/{rid}", params={"attributes": "userName"})["id"] == rid
    assert get_ok(tenant, f"/Users/{rid}", params={"excludedAttributes": "id"})["id"] == rid
    listed = get_ok(tenant, "/Users", params={"attributes": "displayName"})
    assert [u["id"] for u in listed["Resources"]] == [rid]


def test_id_if_described_is_described_as_returned_always(tenant):
    for schema in get_ok(tenant, "/Schemas")["Resources"]:
        for attr in schema["attributes"]:
            if attr["name"] == "id":
                assert attr["returned"] == "always"


def test_read_only_groups_attribute_is_ignored_on_write(tenant):
    groups = attribute(get_ok(tenant, f"/Schemas/{USER_URN}"), "groups")
    assert groups["mutability"] == "readOnly"
    user = create_user(tenant, "no-self-groups", groups=[{"value": "made-up"}])
    assert "groups" not in get_ok(tenant, f"/Users/{user['id']}")


def test_multi_valued_flags_match_the_user_document(tenant):
    schema = get_ok(tenant, f"/Schemas/{USER_URN}")
    assert attribute(schema, "emails")["multiValued"] is True
    assert attribute(schema, "userName")["multiValued"] is False
    user = create_user(tenant, "mv-check", emails=[{"value": "mv@x.io", "type": "work"}])
    assert isinstance(get_ok(tenant, f"/Users/{user['id']}")["emails"], list)
