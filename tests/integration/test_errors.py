"""SCIM errors over real HTTP (RFC 7644 §3.12): every failure is a SCIM Error body.

Also: oversized and hostile bodies are refused without harming the server, and a
failed write never leaves a resource half-changed.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .helpers import assert_scim_error

ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK_URN = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
SEARCH_URN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
MAX_BODY = 262_144  # the test provider's max_body_bytes (tests/conftest.py)


def create_user(tenant, user_name: str, **attrs: Any) -> dict:
    r = tenant.client.post("/Users", json={"schemas": [USER_URN], "userName": user_name, **attrs})
    assert r.status_code == 201, r.text
    return r.json()


def count_users(tenant, user_name: str) -> int:
    r = tenant.client.get("/Users", params={"filter": f'userName eq "{user_name}"'})
    assert r.status_code == 200, r.text
    return int(r.json()["totalResults"])


def fresh_client(tenant) -> httpx.Client:
    """A client on its own connection (a 500 may close the shared keep-alive one)."""
    return httpx.Client(
        base_url=tenant.base, headers={"Authorization": f"Bearer {tenant.token}"}, timeout=30
    )


# --- malformed and mistyped bodies -------------------------------------------------------


def test_malformed_json_is_400_invalid_syntax(tenant):
    r = tenant.client.post("/Users", content=b'{"userName": "broken",')
    assert_scim_error(r, 400, "invalidSyntax")


def test_invalid_utf8_body_is_400_invalid_syntax(tenant):
    r = tenant.client.post("/Users", content=b'{"userName": "\xff\xfe"}')
    assert_scim_error(r, 400, "invalidSyntax")


def test_trailing_garbage_after_json_is_400_invalid_syntax(tenant):
    r = tenant.client.post("/Users", content=b'{"userName": "trailing"} junk')
    assert_scim_error(r, 400, "invalidSyntax")
    assert count_users(tenant, "trailing") == 0


@pytest.mark.parametrize("body", [[], ["userName"], "a string", 42, True, None])
def test_body_that_is_not_a_json_object_is_400_invalid_syntax(tenant, body):
    r = tenant.client.post("/Users", json=body)
    assert_scim_error(r, 400, "invalidSyntax")


@pytest.mark.parametrize("body", [[], "x", 1])
def test_put_body_that_is_not_a_json_object_is_400(tenant, body):
    user = create_user(tenant, "put-not-object")
    r = tenant.client.put(f"/Users/{user['id']}", json=body)
    assert_scim_error(r, 400, "invalidSyntax")


@pytest.mark.parametrize("body", [[], "x", {"schemas": [PATCH_URN], "Operations": "x"}])
def test_patch_body_that_is_not_a_patch_request_is_400(tenant, body):
    user = create_user(tenant, "patch-not-object")
    r = tenant.client.patch(f"/Users/{user['id']}", json=body)
    assert_scim_error(r, 400)


@pytest.mark.parametrize(
    "attrs",
    [
        {"userName": 123},
        {"userName": "wrong-active", "active": "maybe"},
        {"userName": "wrong-name", "name": "x"},
        {"userName": "wrong-given", "name": {"givenName": 5}},
        {"userName": "wrong-email-item", "emails": [5]},
        {"userName": "wrong-primary", "emails": [{"value": "a@b.c", "primary": "yes"}]},
        {"userName": ["a-list"]},
        {"userName": {"an": "object"}},
    ],
    ids=lambda a: "-".join(f"{k}={v!r}" for k, v in a.items() if k != "userName") or "userName",
)
def test_value_of_the_wrong_type_is_400_invalid_value(tenant, attrs):
    r = tenant.client.post("/Users", json={"schemas": [USER_URN], **attrs})
    assert_scim_error(r, 400, "invalidValue")


def test_emails_given_as_a_string_is_400_invalid_value(tenant):
    r = tenant.client.post(
        "/Users", json={"schemas": [USER_URN], "userName": "wrong-emails", "emails": "x"}
    )
    assert_scim_error(r, 400, "invalidValue")
    assert count_users(tenant, "wrong-emails") == 0


def test_two_primary_emails_are_400_invalid_value(tenant):
    emails = [{"value": "a@x.io", "primary": True}, {"value": "b@x.io", "primary": True}]
    r = tenant.client.post("/Users", json={"userName": "two-primaries", "emails": emails})
    assert_scim_error(r, 400, "invalidValue")


def test_group_display_name_of_the_wrong_type_is_400_invalid_value(tenant):
    r = tenant.client.post("/Groups", json={"schemas": [GROUP_URN], "displayName": 5})
    assert_scim_error(r, 400, "invalidValue")


def test_unknown_schema_urn_carrying_data_is_400(tenant):
    nope = "urn:example:params:scim:schemas:Nope"
    body = {"schemas": [USER_URN, nope], "userName": "urnless", nope: {"colour": "teal"}}
    r = tenant.client.post("/Users", json=body)
    err = assert_scim_error(r, 400)
    assert err.get("scimType") in ("invalidValue", "invalidSyntax")
    assert count_users(tenant, "urnless") == 0


def test_schemas_without_the_core_schema_is_400(tenant):
    r = tenant.client.post("/Users", json={"schemas": [ENTERPRISE_URN], "userName": "no-core"})
    assert_scim_error(r, 400)


def test_unknown_attribute_is_400(tenant):
    r = tenant.client.post("/Users", json={"userName": "odd-attr", "favouriteColour": "teal"})
    assert_scim_error(r, 400)
    assert count_users(tenant, "odd-attr") == 0


def test_missing_user_name_is_400_invalid_value(tenant):
    r = tenant.client.post("/Users", json={"schemas": [USER_URN], "displayName": "No Name"})
    assert_scim_error(r, 400, "invalidValue")


def test_null_user_name_is_400_invalid_value(tenant):
    r = tenant.client.post("/Users", json={"schemas": [USER_URN], "userName": None})
    assert_scim_error(r, 400, "invalidValue")


def test_missing_group_display_name_is_400_invalid_value(tenant):
    r = tenant.client.post("/Groups", json={"schemas": [GROUP_URN], "members": []})
    assert_scim_error(r, 400, "invalidValue")


def test_put_without_user_name_is_400_invalid_value(tenant):
    user = create_user(tenant, "put-no-username")
    r = tenant.client.put(f"/Users/{user['id']}", json={"schemas": [USER_URN], "title": "x"})
    assert_scim_error(r, 400, "invalidValue")


def test_patch_removing_user_name_is_400(tenant):
    user = create_user(tenant, "patch-remove-username")
    body = {"schemas": [PATCH_URN], "Operations": [{"op": "remove", "path": "userName"}]}
    r = tenant.client.patch(f"/Users/{user['id']}", json=body)
    assert_scim_error(r, 400)


def test_patch_with_unknown_op_is_400(tenant):
    user = create_user(tenant, "patch-move")
    body = {"schemas": [PATCH_URN], "Operations": [{"op": "move", "path": "title"}]}
    r = tenant.client.patch(f"/Users/{user['id']}", json=body)
    assert_scim_error(r, 400)


def test_patch_with_invalid_path_is_400_invalid_path(tenant):
    user = create_user(tenant, "patch-bad-path")
    ops = [{"op": "replace", "path": "emails[type eq", "value": "x"}]
    r = tenant.client.patch(
        f"/Users/{user['id']}", json={"schemas": [PATCH_URN], "Operations": ops}
    )
    assert_scim_error(r, 400, "invalidPath")


def test_patch_remove_without_path_is_400_no_target(tenant):
    user = create_user(tenant, "patch-remove-nopath")
    body = {"schemas": [PATCH_URN], "Operations": [{"op": "remove"}]}
    r = tenant.client.patch(f"/Users/{user['id']}", json=body)
    assert_scim_error(r, 400, "noTarget")


def test_patch_of_a_read_only_attribute_is_400_mutability(tenant):
    user = create_user(tenant, "patch-id")
    ops = [{"op": "replace", "path": "id", "value": "another-id"}]
    r = tenant.client.patch(
        f"/Users/{user['id']}", json={"schemas": [PATCH_URN], "Operations": ops}
    )
    assert_scim_error(r, 400, "mutability")


# --- size and depth limits ------------------------------------------------------------------


def _oversized_user() -> bytes:
    return b'{"userName": "huge", "displayName": "' + b"x" * (MAX_BODY + 1) + b'"}'


def test_body_over_the_limit_with_content_length_is_413(tenant):
    r = tenant.client.post("/Users", content=_oversized_user())
    assert "content-length" in {k.lower() for k in r.request.headers}
    assert_scim_error(r, 413)
    assert count_users(tenant, "huge") == 0


def test_body_over_the_limit_sent_chunked_is_413(tenant):
    data = _oversized_user()

    def chunks():
        for i in range(0, len(data), 16_384):
            yield data[i : i + 16_384]

    r = tenant.client.post("/Users", content=chunks())
    assert r.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in {k.lower() for k in r.request.headers}
    assert_scim_error(r, 413)
    assert count_users(tenant, "huge") == 0


def test_body_just_under_the_limit_is_accepted(tenant):
    just_under = b'{"userName": "fits", "displayName": "' + b"y" * (MAX_BODY - 100) + b'"}'
    assert len(just_under) <= MAX_BODY
    assert tenant.client.post("/Users", content=just_under).status_code == 201


def test_bulk_body_over_the_limit_is_413(tenant):
    op = {"method": "POST", "path": "/Users", "bulkId": "a", "data": {"userName": "bulk-huge"}}
    op["data"]["displayName"] = "z" * (MAX_BODY + 1)
    r = tenant.client.post("/Bulk", json={"schemas": [BULK_URN], "Operations": [op]})
    assert_scim_error(r, 413)


def test_json_nested_10000_levels_is_400_and_server_stays_up(tenant):
    r = tenant.client.post("/Users", content=b"[" * 10_000 + b"]" * 10_000)
    assert_scim_error(r, 400, "invalidSyntax")
    assert tenant.client.get("/Users").status_code == 200


def test_object_nested_10000_levels_is_400_and_server_stays_up(tenant):
    r = tenant.client.post("/Users", content=b'{"a":' * 10_000 + b"1" + b"}" * 10_000)
    assert_scim_error(r, 400, "invalidSyntax")
    assert tenant.client.get("/ServiceProviderConfig").status_code == 200


def test_json_nested_100_levels_is_400_and_server_stays_up(tenant):
    deep = b"[" * 100 + b'"x"' + b"]" * 100
    r = tenant.client.post("/Users", content=b'{"userName": "deep100", "emails": ' + deep + b"}")
    assert_scim_error(r, 400, "invalidSyntax")
    assert count_users(tenant, "deep100") == 0


def test_deeply_nested_patch_value_is_400(tenant):
    user = create_user(tenant, "deep-patch")
    deep = b"[" * 100 + b"1" + b"]" * 100
    body = b'{"schemas": ["' + PATCH_URN.encode() + b'"], "Operations": [{"op": "add", '
    body += b'"path": "title", "value": ' + deep + b"}]}"
    r = tenant.client.patch(f"/Users/{user['id']}", content=body)
    assert_scim_error(r, 400, "invalidSyntax")


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_empty_body_is_400(tenant, method):
    user = create_user(tenant, f"empty-{method.lower()}")
    url = "/Users" if method == "POST" else f"/Users/{user['id']}"
    r = tenant.client.request(method, url, content=b"")
    assert_scim_error(r, 400, "invalidSyntax")


def test_whitespace_only_body_is_400(tenant):
    r = tenant.client.post("/Users", content=b"  \n\t ")
    assert_scim_error(r, 400, "invalidSyntax")


# --- content types --------------------------------------------------------------------------


def test_post_sent_as_application_json_is_accepted(tenant):
    r = tenant.client.post(
        "/Users",
        json={"schemas": [USER_URN], "userName": "plain-json"},
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 201, r.text
    assert r.headers["content-type"].startswith("application/scim+json")


def test_patch_sent_as_application_json_is_accepted(tenant):
    user = create_user(tenant, "plain-json-patch")
    ops = [{"op": "replace", "path": "title", "value": "Engineer"}]
    r = tenant.client.patch(
        f"/Users/{user['id']}",
        json={"schemas": [PATCH_URN], "Operations": ops},
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["title"] == "Engineer"


def test_errors_are_served_as_scim_json_even_when_json_was_sent(tenant):
    r = tenant.client.post("/Users", content=b"{", headers={"Content-Type": "application/json"})
    assert_scim_error(r, 400, "invalidSyntax")


# --- unknown endpoints and methods --------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/Widgets", "/Widgets/123", "/Users/abc/extra", "/Users/abc/extra/more", "/v1/Users"]
)
def test_unknown_endpoint_is_404_scim_error(tenant, path):
    assert_scim_error(tenant.client.get(path), 404)


def test_path_outside_the_scim_root_is_404_scim_error(tenant, provider):
    r = tenant.client.get(f"{provider.url}/not/scim/at/all")
    assert_scim_error(r, 404)


def test_unknown_user_id_is_404_scim_error(tenant):
    assert_scim_error(tenant.client.get("/Users/00000000-0000-0000-0000-000000000000"), 404)


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_write_to_unknown_user_id_is_404_scim_error(tenant, method):
    body = {"schemas": [USER_URN], "userName": "ghost"}
    if method == "PATCH":
        body = {
            "schemas": [PATCH_URN],
            "Operations": [{"op": "add", "path": "title", "value": "x"}],
        }
    url = "/Users/00000000-0000-0000-0000-000000000000"
    r = tenant.client.request(method, url, json=None if method == "DELETE" else body)
    assert_scim_error(r, 404)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/Users"),
        ("PATCH", "/Users"),
        ("DELETE", "/Users"),
        ("PUT", "/Groups"),
        ("DELETE", "/ServiceProviderConfig"),
        ("POST", "/ServiceProviderConfig"),
        ("GET", "/Bulk"),
        ("DELETE", "/Bulk"),
        ("GET", "/.search"),
        ("GET", "/Users/.search"),
    ],
)
def test_unsupported_method_is_405_scim_error(tenant, method, path):
    r = tenant.client.request(method, path, json={} if method in ("PUT", "PATCH", "POST") else None)
    assert_scim_error(r, 405)


def test_post_to_a_resource_id_is_405_scim_error(tenant):
    user = create_user(tenant, "post-to-id")
    r = tenant.client.post(f"/Users/{user['id']}", json={"userName": "post-to-id"})
    assert_scim_error(r, 405)


# --- authentication ---------------------------------------------------------------------------


def _assert_401(r: httpx.Response) -> None:
    assert_scim_error(r, 401)
    assert r.headers.get("www-authenticate", "").lower().startswith("bearer")


def test_missing_token_is_401_with_www_authenticate(tenant):
    _assert_401(httpx.get(f"{tenant.base}/Users"))


def test_basic_auth_scheme_is_401_with_www_authenticate(tenant):
    _assert_401(httpx.get(f"{tenant.base}/Users", auth=("admin", tenant.token)))


def test_token_sent_without_a_scheme_is_401(tenant):
    _assert_401(httpx.get(f"{tenant.base}/Users", headers={"Authorization": tenant.token}))


def test_invalid_token_is_401_with_www_authenticate(tenant):
    headers = {"Authorization": "Bearer scim_this-is-not-a-real-token"}
    _assert_401(httpx.get(f"{tenant.base}/Users", headers=headers))


def test_bearer_scheme_without_a_token_is_401(tenant):
    _assert_401(httpx.get(f"{tenant.base}/Users", headers={"Authorization": "Bearer"}))


def test_token_with_an_extra_character_is_401(tenant):
    headers = {"Authorization": f"Bearer {tenant.token}x"}
    _assert_401(httpx.get(f"{tenant.base}/Users", headers=headers))


def test_unauthenticated_write_is_401_and_creates_nothing(tenant):
    r = httpx.post(f"{tenant.base}/Users", json={"userName": "anonymous"})
    _assert_401(r)
    assert count_users(tenant, "anonymous") == 0


def test_unknown_endpoint_without_token_is_401_not_404(tenant):
    _assert_401(httpx.get(f"{tenant.base}/Widgets"))


def test_discovery_without_token_is_401(tenant):
    _assert_401(httpx.get(f"{tenant.base}/ServiceProviderConfig"))


def test_bearer_scheme_is_case_insensitive(tenant):
    r = httpx.get(f"{tenant.base}/Users", headers={"Authorization": f"bearer {tenant.token}"})
    assert r.status_code == 200


# --- nothing returns 500 ----------------------------------------------------------------------

ODD_QUERIES = [
    {"filter": "((("},
    {"filter": "userName eq"},
    {"filter": "userName eq 5"},
    {"filter": 'active eq "x"'},
    {"filter": 'meta.lastModified gt "not a date"'},
    {"filter": 'emails[type eq "work"].value eq "a"'},
    {"filter": "nosuchattribute eq 1"},
    {"filter": "urn:nope:nope eq 1"},
    {"filter": 'userName eq "' + "a" * 5000 + '"'},
    {"filter": " or ".join(['userName eq "x"'] * 500)},
    {"sortBy": "]["},
    {"sortBy": "emails"},
    {"sortBy": "nosuchattribute"},
    {"sortOrder": "sideways"},
    {"count": "abc"},
    {"count": "-5"},
    {"count": "99999999999999999999999"},
    {"startIndex": "abc"},
    {"startIndex": "0"},
    {"startIndex": "-3"},
    {"cursor": "junk"},
    {"cursor": "", "startIndex": "1"},
    {"attributes": "[[["},
    {"attributes": "urn:x"},
    {"excludedAttributes": "name.nosuch"},
]


@pytest.mark.parametrize("params", ODD_QUERIES, ids=lambda p: str(p)[:60])
def test_odd_query_parameters_never_give_500(tenant, params):
    with fresh_client(tenant) as client:
        r = client.get("/Users", params=params)
    assert r.status_code < 500, r.text
    if r.status_code >= 400:
        assert_scim_error(r, r.status_code)


ODD_BODIES = [
    {"userName": "x", "emails": [[1]]},
    {"userName": "x", "schemas": "x"},
    {"userName": "x", "schemas": [5]},
    {"userName": "x", "schemas": []},
    {"userName": "x", "meta": "x"},
    {"userName": "x", "groups": "x"},
    {"userName": "x", "password": 5},
    {"userName": "x", ENTERPRISE_URN: "x"},
    {"userName": "x", ENTERPRISE_URN: {"manager": "x"}},
    {"userName": "x", ENTERPRISE_URN: {"nosuch": 1}},
    {"userName": "x", "addresses": [{"country": 5}]},
    {"userName": 1.5},
    {"userName": True},
]


@pytest.mark.parametrize("body", ODD_BODIES, ids=lambda b: str(b)[:60])
def test_odd_user_bodies_never_give_500(tenant, body):
    user = create_user(tenant, "odd-bodies-target")
    with fresh_client(tenant) as client:
        for r in (client.post("/Users", json=body), client.put(f"/Users/{user['id']}", json=body)):
            assert r.status_code < 500, r.text
            if r.status_code >= 400:
                assert_scim_error(r, r.status_code)


ODD_PATCH_OPS = [
    [{"op": "add"}],
    [{"op": 5}],
    [{"op": ["add"]}],
    [{"op": "add", "path": ["x"], "value": 1}],
    [{"op": "replace", "path": 5, "value": 1}],
    [{"op": "replace", "value": 5}],
    [{"op": "replace", "value": [1]}],
    [{"op": "add", "path": "name.givenName.x", "value": "a"}],
    [{"op": "add", "path": "urn:x:y", "value": "A"}],
    [{"op": "add", "value": {"": 1}}],
    [{"op": "add", "value": {"name.": 1}}],
    [{"op": "add", "value": {ENTERPRISE_URN: "x"}}],
    [{"op": "remove", "path": "emails", "value": [None]}],
    [{"op": "replace", "path": 'emails[value eq "nobody"].type', "value": "home"}],
    [[1]],
    "x",
]


@pytest.mark.parametrize("ops", ODD_PATCH_OPS, ids=lambda o: str(o)[:60])
def test_odd_patch_operations_never_give_500(tenant, ops):
    user = create_user(tenant, "odd-patch-target", emails=[{"value": "a@b.c", "type": "work"}])
    with fresh_client(tenant) as client:
        r = client.patch(f"/Users/{user['id']}", json={"schemas": [PATCH_URN], "Operations": ops})
    assert r.status_code < 500, r.text
    if r.status_code >= 400:
        assert_scim_error(r, r.status_code)


ODD_SEARCHES = [
    {},
    {"schemas": SEARCH_URN},
    {"schemas": [SEARCH_URN], "filter": 5},
    {"schemas": [SEARCH_URN], "attributes": [5]},
    {"schemas": [SEARCH_URN], "attributes": {"a": 1}},
    {"schemas": [SEARCH_URN], "count": True},
    {"schemas": [SEARCH_URN], "startIndex": "x"},
    {"schemas": [SEARCH_URN], "sortBy": "emails"},
    {"schemas": [SEARCH_URN], "filter": 'members.value eq "x"'},
]


@pytest.mark.parametrize("body", ODD_SEARCHES, ids=lambda b: str(b)[:60])
@pytest.mark.parametrize("path", ["/.search", "/Users/.search", "/Groups/.search"])
def test_odd_search_requests_never_give_500(tenant, path, body):
    with fresh_client(tenant) as client:
        r = client.post(path, json=body)
    assert r.status_code < 500, r.text
    if r.status_code >= 400:
        assert_scim_error(r, r.status_code)


def _bulk(*ops: dict, **extra: Any) -> dict:
    return {"schemas": [BULK_URN], "Operations": list(ops), **extra}


ODD_BULKS = [
    {"schemas": [5], "Operations": []},
    {"schemas": BULK_URN, "Operations": []},
    _bulk(),
    {"schemas": [BULK_URN], "Operations": "x"},
    _bulk({"method": 5, "path": "/Users"}),
    _bulk({"method": ["POST"], "path": "/Users"}),
    _bulk({"method": "POST", "path": 5, "bulkId": "a"}),
    _bulk({"method": "POST", "path": "/Users", "bulkId": "a", "data": None}),
    _bulk({"method": "PUT", "path": "/Users/nope", "data": "x"}),
    _bulk({"method": "DELETE", "path": "/Users/"}),
    _bulk({"method": "POST", "path": "/Widgets", "bulkId": "a", "data": {}}),
    _bulk(
        {"method": "POST", "path": "/Users", "bulkId": "a", "data": {"userName": "b1"}},
        failOnErrors=True,
    ),
    _bulk(
        {"method": "POST", "path": "/Users", "bulkId": "a", "data": {"userName": "b2"}},
        failOnErrors=1.5,
    ),
    _bulk({"method": "POST", "path": "/Users", "bulkId": 5, "data": {"userName": "b3"}}),
]


@pytest.mark.parametrize("body", ODD_BULKS, ids=lambda b: str(b)[:60])
def test_odd_bulk_requests_never_give_500(tenant, body):
    with fresh_client(tenant) as client:
        r = client.post("/Bulk", json=body)
    assert r.status_code < 500, r.text
    if r.status_code >= 400:
        assert_scim_error(r, r.status_code)


@pytest.mark.parametrize("bulk_id", [["x"], {"a": 1}])
def test_bulk_with_a_non_string_bulk_id_is_refused_not_500(tenant, bulk_id):
    op = {"method": "POST", "path": "/Users", "bulkId": bulk_id, "data": {"userName": "bk"}}
    with fresh_client(tenant) as client:
        r = client.post("/Bulk", json=_bulk(op))
    assert r.status_code < 500, r.text
    if r.status_code >= 400:
        assert_scim_error(r, 400)
    else:
        assert r.json()["Operations"][0]["status"] == "400"


def test_huge_start_index_is_an_empty_page_not_500(tenant):
    create_user(tenant, "huge-start-index")
    with fresh_client(tenant) as client:
        r = client.get("/Users", params={"startIndex": "99999999999999999999999"})
    assert r.status_code == 200, r.text
    assert r.json()["Resources"] == []


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_group_member_without_value_is_400_not_500(tenant, method):
    group = tenant.client.post("/Groups", json={"displayName": f"no-value-{method}"}).json()
    member = {"display": "Nobody"}
    with fresh_client(tenant) as client:
        if method == "POST":
            r = client.post("/Groups", json={"displayName": "g2", "members": [member]})
        elif method == "PUT":
            body = {"displayName": group["displayName"], "members": [member]}
            r = client.put(f"/Groups/{group['id']}", json=body)
        else:
            ops = [{"op": "add", "path": "members", "value": [member]}]
            body = {"schemas": [PATCH_URN], "Operations": ops}
            r = client.patch(f"/Groups/{group['id']}", json=body)
    assert_scim_error(r, 400)


@pytest.mark.parametrize(
    "attrs",
    [
        {"userName": "u" * 600},
        {"userName": "long-external-id", "externalId": "e" * 600},
    ],
    ids=["userName", "externalId"],
)
def test_user_string_longer_than_the_index_column_is_not_500(tenant, attrs):
    with fresh_client(tenant) as client:
        r = client.post("/Users", json=attrs)
    assert r.status_code < 500, r.text
    if r.status_code >= 400:
        assert_scim_error(r, 400, "invalidValue")


def test_group_display_name_longer_than_the_index_column_is_not_500(tenant):
    with fresh_client(tenant) as client:
        r = client.post("/Groups", json={"displayName": "g" * 600})
    assert r.status_code < 500, r.text
    if r.status_code >= 400:
        assert_scim_error(r, 400, "invalidValue")


def test_nul_character_in_user_name_is_not_500(tenant):
    with fresh_client(tenant) as client:
        r = client.post("/Users", json={"userName": "nul\u0000byte"})
    assert r.status_code < 500, r.text
    if r.status_code >= 400:
        assert_scim_error(r, 400)


def test_nul_character_in_a_filter_value_is_not_500(tenant):
    with fresh_client(tenant) as client:
        r = client.get("/Users", params={"filter": 'externalId eq "a\u0000b"'})
    assert r.status_code < 500, r.text
    if r.status_code >= 400:
        assert_scim_error(r, 400)


def test_nul_character_in_a_resource_id_is_404_not_500(tenant):
    with fresh_client(tenant) as client:
        r = client.get("/Users/a%00b")
    assert_scim_error(r, 404)


# --- never a half-applied write -----------------------------------------------------------


def _snapshot(tenant, rid: str, endpoint: str = "Users") -> tuple[dict, str]:
    r = tenant.client.get(f"/{endpoint}/{rid}")
    assert r.status_code == 200, r.text
    return r.json(), r.headers["etag"]


def test_patch_whose_second_operation_fails_leaves_the_user_unchanged(tenant):
    user = create_user(tenant, "atomic-patch", displayName="Before", title="Old")
    before, etag = _snapshot(tenant, user["id"])
    ops = [
        {"op": "replace", "path": "displayName", "value": "After"},
        {"op": "replace", "path": "active", "value": "maybe"},
    ]
    r = tenant.client.patch(
        f"/Users/{user['id']}", json={"schemas": [PATCH_URN], "Operations": ops}
    )
    assert_scim_error(r, 400, "invalidValue")
    after, etag_after = _snapshot(tenant, user["id"])
    assert after == before
    assert etag_after == etag
    assert after["meta"]["version"] == before["meta"]["version"]


def test_patch_whose_last_operation_has_a_bad_path_leaves_the_user_unchanged(tenant):
    user = create_user(tenant, "atomic-patch-path", title="Old")
    before, etag = _snapshot(tenant, user["id"])
    ops = [
        {"op": "replace", "path": "title", "value": "New"},
        {"op": "add", "path": "emails", "value": [{"value": "n@x.io"}]},
        {"op": "remove", "path": "nosuchattribute"},
    ]
    r = tenant.client.patch(
        f"/Users/{user['id']}", json={"schemas": [PATCH_URN], "Operations": ops}
    )
    assert_scim_error(r, 400)
    assert _snapshot(tenant, user["id"]) == (before, etag)


def test_patch_that_fails_on_uniqueness_leaves_the_user_unchanged(tenant):
    create_user(tenant, "taken-name")
    user = create_user(tenant, "atomic-unique", displayName="Before")
    before, etag = _snapshot(tenant, user["id"])
    ops = [
        {"op": "replace", "path": "displayName", "value": "After"},
        {"op": "replace", "path": "userName", "value": "taken-name"},
    ]
    r = tenant.client.patch(
        f"/Users/{user['id']}", json={"schemas": [PATCH_URN], "Operations": ops}
    )
    assert_scim_error(r, 409, "uniqueness")
    assert _snapshot(tenant, user["id"]) == (before, etag)


def test_group_patch_whose_second_operation_fails_keeps_its_members(tenant):
    alice = create_user(tenant, "atomic-alice")
    bob = create_user(tenant, "atomic-bob")
    r = tenant.client.post(
        "/Groups", json={"displayName": "atomic-group", "members": [{"value": alice["id"]}]}
    )
    assert r.status_code == 201, r.text
    gid = r.json()["id"]
    before, etag = _snapshot(tenant, gid, "Groups")
    ops = [
        {"op": "add", "path": "members", "value": [{"value": bob["id"]}]},
        {"op": "replace", "path": "displayName", "value": 5},
    ]
    r = tenant.client.patch(f"/Groups/{gid}", json={"schemas": [PATCH_URN], "Operations": ops})
    assert_scim_error(r, 400)
    assert _snapshot(tenant, gid, "Groups") == (before, etag)


def test_put_with_an_invalid_body_leaves_the_user_unchanged(tenant):
    user = create_user(tenant, "atomic-put", displayName="Before", active=True)
    before, etag = _snapshot(tenant, user["id"])
    body = {"schemas": [USER_URN], "userName": "atomic-put-renamed", "displayName": "After"}
    body["name"] = "not-an-object"
    r = tenant.client.put(f"/Users/{user['id']}", json=body)
    assert_scim_error(r, 400, "invalidValue")
    assert _snapshot(tenant, user["id"]) == (before, etag)
    assert count_users(tenant, "atomic-put-renamed") == 0


def test_put_that_fails_on_uniqueness_leaves_the_user_unchanged(tenant):
    create_user(tenant, "put-taken")
    user = create_user(tenant, "atomic-put-unique", displayName="Before")
    before, etag = _snapshot(tenant, user["id"])
    body = {"schemas": [USER_URN], "userName": "PUT-TAKEN", "displayName": "After"}
    r = tenant.client.put(f"/Users/{user['id']}", json=body)
    assert_scim_error(r, 409, "uniqueness")
    assert _snapshot(tenant, user["id"]) == (before, etag)


def test_create_that_violates_uniqueness_leaves_no_record(tenant):
    create_user(tenant, "only-once@example.com")
    body = {"schemas": [USER_URN], "userName": "only-once@example.com", "displayName": "Twin"}
    assert_scim_error(tenant.client.post("/Users", json=body), 409, "uniqueness")
    assert count_users(tenant, "only-once@example.com") == 1
    r = tenant.client.get("/Users", params={"filter": 'displayName eq "Twin"'})
    assert r.json()["totalResults"] == 0


def test_invalid_create_leaves_no_record(tenant):
    body = {"schemas": [USER_URN], "userName": "never-created", "active": "maybe"}
    assert_scim_error(tenant.client.post("/Users", json=body), 400, "invalidValue")
    assert count_users(tenant, "never-created") == 0


def test_stale_if_match_is_412_and_leaves_the_user_unchanged(tenant):
    user = create_user(tenant, "stale-etag", title="Old")
    before, etag = _snapshot(tenant, user["id"])
    ops = [{"op": "replace", "path": "title", "value": "New"}]
    r = tenant.client.patch(
        f"/Users/{user['id']}",
        json={"schemas": [PATCH_URN], "Operations": ops},
        headers={"If-Match": 'W/"999"'},
    )
    assert_scim_error(r, 412)
    assert _snapshot(tenant, user["id"]) == (before, etag)
