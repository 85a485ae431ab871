"""Bulk (RFC 7644 §3.7): bulkId references, failOnErrors, atomic operations."""

from __future__ import annotations

from .helpers import BULK, GROUP, assert_scim_error, create, patch, user


def _bulk(client, operations, fail_on_errors=None):
    body = {"schemas": [BULK], "Operations": operations}
    if fail_on_errors is not None:
        body["failOnErrors"] = fail_on_errors
    r = client.post("/Bulk", json=body)
    assert r.status_code == 200, r.text
    return r.json()["Operations"]


def test_bulk_creates_a_user_and_a_group_referencing_it_by_bulk_id(tenant):
    results = _bulk(
        tenant.client,
        [
            {
                "method": "POST",
                "path": "/Groups",
                "bulkId": "g1",
                "data": {
                    "schemas": [GROUP],
                    "displayName": "Bulk",
                    "members": [{"value": "bulkId:u1"}],
                },
            },
            {"method": "POST", "path": "/Users", "bulkId": "u1", "data": user("bulk@example.com")},
        ],
    )
    assert sorted(r["status"] for r in results) == ["201", "201"]
    by_id = {r["bulkId"]: r for r in results}
    group = tenant.client.get(by_id["g1"]["location"]).json()
    user_id = by_id["u1"]["location"].rsplit("/", 1)[1]
    assert [m["value"] for m in group["members"]] == [user_id]
    assert by_id["g1"]["version"] == group["meta"]["version"]


def test_bulk_put_patch_delete_and_path_references(tenant):
    u = create(tenant.client, "/Users", user("b2@example.com"))
    results = _bulk(
        tenant.client,
        [
            {
                "method": "PATCH",
                "path": f"/Users/{u['id']}",
                "data": patch({"op": "replace", "path": "title", "value": "T"}),
            },
            {"method": "POST", "path": "/Users", "bulkId": "n", "data": user("b3@example.com")},
            {"method": "PUT", "path": "/Users/bulkId:n", "data": user("b3@example.com", title="X")},
            {"method": "DELETE", "path": f"/Users/{u['id']}"},
        ],
    )
    assert [r["status"] for r in results] == ["200", "201", "200", "204"]
    assert tenant.client.get(f"/Users/{u['id']}").status_code == 404
    listed = tenant.client.get('/Users?filter=userName eq "b3@example.com"').json()
    assert listed["Resources"][0]["title"] == "X"


def test_fail_on_errors_stops_processing(tenant):
    results = _bulk(
        tenant.client,
        [
            {"method": "POST", "path": "/Users", "bulkId": "a", "data": {"schemas": []}},
            {"method": "DELETE", "path": "/Users/nope"},
            {"method": "POST", "path": "/Users", "bulkId": "c", "data": user("never@example.com")},
        ],
        fail_on_errors=2,
    )
    assert [r["status"] for r in results] == ["400", "404"]
    assert results[0]["response"]["status"] == "400"
    assert tenant.client.get("/Users").json()["totalResults"] == 0


def test_each_failed_operation_is_reported_and_others_still_apply(tenant):
    results = _bulk(
        tenant.client,
        [
            {"method": "POST", "path": "/Users", "bulkId": "a", "data": user("dup@example.com")},
            {"method": "POST", "path": "/Users", "bulkId": "b", "data": user("DUP@example.com")},
            {"method": "POST", "path": "/Users", "bulkId": "c", "data": user("ok@example.com")},
        ],
    )
    assert [r["status"] for r in results] == ["201", "409", "201"]
    assert results[1]["response"]["scimType"] == "uniqueness"


def test_circular_bulk_id_references_are_conflicts(tenant):
    results = _bulk(
        tenant.client,
        [
            {
                "method": "POST",
                "path": "/Groups",
                "bulkId": "x",
                "data": {
                    "schemas": [GROUP],
                    "displayName": "X",
                    "members": [{"value": "bulkId:y"}],
                },
            },
            {
                "method": "POST",
                "path": "/Groups",
                "bulkId": "y",
                "data": {
                    "schemas": [GROUP],
                    "displayName": "Y",
                    "members": [{"value": "bulkId:x"}],
                },
            },
        ],
    )
    assert [r["status"] for r in results] == ["409", "409"]
    assert tenant.client.get("/Groups").json()["totalResults"] == 0


def test_malformed_bulk_requests_are_rejected(tenant):
    for body in (
        {"Operations": []},
        {"schemas": [BULK], "Operations": "x"},
        {"schemas": [BULK], "Operations": [], "failOnErrors": 0},
    ):
        assert_scim_error(tenant.client.post("/Bulk", json=body), 400)


def test_bulk_operation_with_bad_method_or_path_fails_alone(tenant):
    results = _bulk(
        tenant.client,
        [
            {"method": "GET", "path": "/Users"},
            {"method": "POST", "path": "/Nope", "bulkId": "z", "data": user("z@example.com")},
            {"method": "PUT", "path": "/Users"},
        ],
    )
    assert [r["status"] for r in results] == ["400", "404", "400"]
