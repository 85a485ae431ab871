"""Tenants over real HTTP: isolation, per-tenant uniqueness, token lifecycle and storage."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from conftest import Tenant, make_tenant
from scimhub.storage.tables import tokens
from scimhub.storage.tenants import TenantError, TenantStore

from .helpers import assert_scim_error

ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH_URN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
PROFITCO_ROOT = "/app/rest/platform/auth/scim/v2"


def create_user(t: Tenant, user_name: str, **attrs: object) -> dict:
    r = t.client.post("/Users", json={"schemas": [USER_URN], "userName": user_name, **attrs})
    assert r.status_code == 201, r.text
    return r.json()


def create_group(t: Tenant, name: str, members: tuple[str, ...] = ()) -> dict:
    body = {"schemas": [GROUP_URN], "displayName": name, "members": [{"value": m} for m in members]}
    r = t.client.post("/Groups", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def patch_body(*ops: dict) -> dict:
    return {"schemas": [PATCH_URN], "Operations": list(ops)}


@pytest.fixture
def other(engine, provider) -> Iterator[Tenant]:
    """A second `generic` tenant on the same provider."""
    t = make_tenant(engine, provider)
    yield t
    t.client.close()


@pytest.fixture
def b_resources(other: Tenant) -> dict[str, dict]:
    """A user and a group (with that user as member) in tenant B."""
    user = create_user(other, "b-only@example.com", displayName="B Person")
    group = create_group(other, "B Team", (user["id"],))
    return {"Users": user, "Groups": group}


# --- isolation --------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["Users", "Groups"])
def test_get_of_another_tenants_resource_is_404(tenant, other, b_resources, endpoint):
    rid = b_resources[endpoint]["id"]
    assert_scim_error(tenant.client.get(f"/{endpoint}/{rid}"), 404)
    assert other.client.get(f"/{endpoint}/{rid}").status_code == 200


@pytest.mark.parametrize("endpoint", ["Users", "Groups"])
def test_put_of_another_tenants_resource_is_404_and_changes_nothing(
    tenant, other, b_resources, endpoint
):
    rid = b_resources[endpoint]["id"]
    before = other.client.get(f"/{endpoint}/{rid}").json()
    body = (
        {"schemas": [USER_URN], "userName": "hijacked@example.com"}
        if endpoint == "Users"
        else {"schemas": [GROUP_URN], "displayName": "Hijacked"}
    )
    assert_scim_error(tenant.client.put(f"/{endpoint}/{rid}", json=body), 404)
    assert other.client.get(f"/{endpoint}/{rid}").json() == before


@pytest.mark.parametrize("endpoint", ["Users", "Groups"])
def test_patch_of_another_tenants_resource_is_404_and_changes_nothing(
    tenant, other, b_resources, endpoint
):
    rid = b_resources[endpoint]["id"]
    before = other.client.get(f"/{endpoint}/{rid}").json()
    body = patch_body({"op": "replace", "path": "displayName", "value": "Hijacked"})
    assert_scim_error(tenant.client.patch(f"/{endpoint}/{rid}", json=body), 404)
    assert other.client.get(f"/{endpoint}/{rid}").json() == before


@pytest.mark.parametrize("endpoint", ["Users", "Groups"])
def test_delete_of_another_tenants_resource_is_404_and_deletes_nothing(
    tenant, other, b_resources, endpoint
):
    rid = b_resources[endpoint]["id"]
    assert_scim_error(tenant.client.delete(f"/{endpoint}/{rid}"), 404)
    assert other.client.get(f"/{endpoint}/{rid}").status_code == 200


def test_wrong_tenant_and_nonexistent_id_get_the_same_404(tenant, b_resources):
    """No oracle: a foreign id looks exactly like an id that does not exist."""
    foreign = tenant.client.get(f"/Users/{b_resources['Users']['id']}")
    missing = tenant.client.get("/Users/00000000-0000-0000-0000-000000000000")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json().keys() == missing.json().keys()


def test_list_never_shows_another_tenants_users(tenant, b_resources):
    mine = create_user(tenant, "a-only@example.com")
    r = tenant.client.get("/Users")
    assert r.status_code == 200
    assert [u["id"] for u in r.json()["Resources"]] == [mine["id"]]
    assert r.json()["totalResults"] == 1


def test_list_never_shows_another_tenants_groups(tenant, b_resources):
    r = tenant.client.get("/Groups")
    assert r.status_code == 200
    assert r.json()["totalResults"] == 0
    assert r.json()["Resources"] == []


def test_filter_never_matches_another_tenants_users(tenant, b_resources):
    for flt in (
        'userName eq "b-only@example.com"',
        f'id eq "{b_resources["Users"]["id"]}"',
        'displayName co "B"',
        "userName pr",
    ):
        r = tenant.client.get("/Users", params={"filter": flt})
        assert r.status_code == 200, r.text
        assert r.json()["totalResults"] == 0, flt


def test_filter_never_matches_another_tenants_groups(tenant, b_resources):
    member = b_resources["Users"]["id"]
    for flt in ('displayName eq "B Team"', f'members.value eq "{member}"'):
        r = tenant.client.get("/Groups", params={"filter": flt})
        assert r.status_code == 200, r.text
        assert r.json()["totalResults"] == 0, flt


def test_search_endpoints_never_show_another_tenants_resources(tenant, b_resources):
    body = {"schemas": [SEARCH_URN], "filter": 'displayName co "B"'}
    for path in ("/.search", "/Users/.search", "/Groups/.search"):
        r = tenant.client.post(path, json=body)
        assert r.status_code == 200, r.text
        assert r.json()["totalResults"] == 0, path


def test_group_cannot_take_another_tenants_user_as_member(tenant, b_resources):
    foreign = b_resources["Users"]["id"]
    r = tenant.client.post("/Groups", json={"displayName": "Mine", "members": [{"value": foreign}]})
    assert r.status_code in (400, 404), r.text
    assert_scim_error(r, r.status_code)
    assert tenant.client.get("/Groups").json()["totalResults"] == 0


def test_same_user_name_may_exist_in_two_tenants(tenant, other):
    a = create_user(tenant, "shared@example.com")
    b = create_user(other, "shared@example.com")
    assert a["id"] != b["id"]
    for t, user in ((tenant, a), (other, b)):
        r = t.client.get("/Users", params={"filter": 'userName eq "shared@example.com"'})
        assert [u["id"] for u in r.json()["Resources"]] == [user["id"]]


def test_user_name_taken_in_another_tenant_is_free_on_rename(tenant, other):
    create_user(other, "renamed@example.com")
    mine = create_user(tenant, "before-rename@example.com")
    body = patch_body({"op": "replace", "path": "userName", "value": "Renamed@Example.com"})
    r = tenant.client.patch(f"/Users/{mine['id']}", json=body)
    assert r.status_code == 200, r.text


# --- userName uniqueness within a tenant ------------------------------------------------------


def test_duplicate_user_name_on_post_is_409_uniqueness(tenant):
    create_user(tenant, "dup@example.com")
    body = {"schemas": [USER_URN], "userName": "dup@example.com"}
    assert_scim_error(tenant.client.post("/Users", json=body), 409, "uniqueness")


def test_user_name_differing_only_in_case_on_post_is_409_uniqueness(tenant):
    create_user(tenant, "Case.Person@Example.com")
    body = {"schemas": [USER_URN], "userName": "case.person@EXAMPLE.COM"}
    assert_scim_error(tenant.client.post("/Users", json=body), 409, "uniqueness")
    r = tenant.client.get("/Users", params={"filter": 'userName eq "case.person@example.com"'})
    assert r.json()["totalResults"] == 1


def test_put_to_another_users_name_in_other_case_is_409_uniqueness(tenant):
    create_user(tenant, "Owner@Example.com")
    second = create_user(tenant, "second@example.com")
    body = {"schemas": [USER_URN], "userName": "OWNER@example.com"}
    assert_scim_error(tenant.client.put(f"/Users/{second['id']}", json=body), 409, "uniqueness")
    assert tenant.client.get(f"/Users/{second['id']}").json()["userName"] == "second@example.com"


def test_patch_to_another_users_name_in_other_case_is_409_uniqueness(tenant):
    create_user(tenant, "Holder@Example.com")
    second = create_user(tenant, "patcher@example.com")
    body = patch_body({"op": "replace", "path": "userName", "value": "holder@EXAMPLE.com"})
    r = tenant.client.patch(f"/Users/{second['id']}", json=body)
    assert_scim_error(r, 409, "uniqueness")
    assert tenant.client.get(f"/Users/{second['id']}").json()["userName"] == "patcher@example.com"


def test_path_less_patch_to_another_users_name_is_409_uniqueness(tenant):
    create_user(tenant, "pathless-holder@example.com")
    second = create_user(tenant, "pathless@example.com")
    body = patch_body({"op": "replace", "value": {"userName": "PATHLESS-HOLDER@example.com"}})
    r = tenant.client.patch(f"/Users/{second['id']}", json=body)
    assert_scim_error(r, 409, "uniqueness")


def test_changing_the_case_of_ones_own_user_name_is_allowed(tenant):
    user = create_user(tenant, "self.case@example.com")
    body = patch_body({"op": "replace", "path": "userName", "value": "Self.Case@Example.com"})
    r = tenant.client.patch(f"/Users/{user['id']}", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["userName"] == "Self.Case@Example.com"


def test_user_name_is_free_again_after_the_user_is_deleted(tenant):
    user = create_user(tenant, "recycled@example.com")
    assert tenant.client.delete(f"/Users/{user['id']}").status_code == 204
    assert create_user(tenant, "Recycled@example.com")["id"] != user["id"]


# --- tokens -----------------------------------------------------------------------------------


def _token_row(engine, t: Tenant):
    (info,) = TenantStore(engine).list_tokens(t.name)
    with engine.connect() as conn:
        return conn.execute(select(tokens).where(tokens.c.id == info.id)).one()


def test_revoked_token_gets_401_within_the_auth_cache_ttl(engine, tenant):
    assert tenant.client.get("/Users").status_code == 200  # now cached by the provider
    (info,) = TenantStore(engine).list_tokens(tenant.name)
    TenantStore(engine).revoke_token(info.id)
    deadline = time.monotonic() + 3.0
    status = 200
    while time.monotonic() < deadline:
        status = tenant.client.get("/Users").status_code
        if status == 401:
            break
        time.sleep(0.1)
    assert status == 401
    r = tenant.client.get("/Users")
    assert_scim_error(r, 401)
    assert r.headers["www-authenticate"].lower().startswith("bearer")


def test_revoking_one_token_leaves_the_tenants_other_tokens_working(engine, provider, tenant):
    store = TenantStore(engine)
    second, info = store.create_token(tenant.name, label="second")
    store.revoke_token(info.id)
    headers = {"Authorization": f"Bearer {second}"}
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline:
        if httpx.get(f"{tenant.base}/Users", headers=headers).status_code == 401:
            break
        time.sleep(0.1)
    assert httpx.get(f"{tenant.base}/Users", headers=headers).status_code == 401
    assert tenant.client.get("/Users").status_code == 200


def test_a_second_token_of_a_tenant_sees_the_same_data(engine, tenant):
    user = create_user(tenant, "two-keys@example.com")
    second, _ = TenantStore(engine).create_token(tenant.name)
    r = httpx.get(
        f"{tenant.base}/Users/{user['id']}", headers={"Authorization": f"Bearer {second}"}
    )
    assert r.status_code == 200
    assert r.json()["userName"] == "two-keys@example.com"


def test_tokens_are_stored_only_as_hashes(engine, tenant):
    assert tenant.client.get("/Users").status_code == 200
    row = _token_row(engine, tenant)
    secret_part = tenant.token.removeprefix("scim_")
    for column, value in row._mapping.items():
        assert tenant.token not in str(value), column
        assert secret_part not in str(value), column
    assert row.token_hash != tenant.token
    assert len(row.prefix) < len(tenant.token) // 2


def test_plaintext_token_is_absent_from_the_sqlite_file(engine, backend, tenant):
    if backend != "sqlite":
        pytest.skip("the database file check applies to SQLite")
    assert tenant.client.get("/Users").status_code == 200
    db = Path(engine.url.database or "")
    files = [p for p in (db, Path(f"{db}-wal"), Path(f"{db}-journal")) if p.exists()]
    assert db in files
    secret_part = tenant.token.removeprefix("scim_").encode()
    for path in files:
        data = path.read_bytes()
        assert tenant.token.encode() not in data, path
        assert secret_part not in data, path


def test_last_used_is_set_after_a_request(engine, tenant):
    assert _token_row(engine, tenant).last_used is None
    assert tenant.client.get("/ServiceProviderConfig").status_code == 200
    assert _token_row(engine, tenant).last_used is not None


def test_failed_authentication_touches_no_token(engine, tenant):
    r = httpx.get(f"{tenant.base}/Users", headers={"Authorization": "Bearer scim_wrong"})
    assert r.status_code == 401
    assert _token_row(engine, tenant).last_used is None


# --- the Profit.co path -----------------------------------------------------------------------


def test_profitco_path_serves_the_same_users(tenant, provider):
    created = create_user(tenant, "both-paths@example.com", title="Engineer")
    std = tenant.client.get("/Users")
    alt = tenant.client.get(f"{provider.url}{PROFITCO_ROOT}/Users")
    assert std.status_code == alt.status_code == 200
    assert [u["id"] for u in alt.json()["Resources"]] == [created["id"]]
    assert alt.json()["totalResults"] == std.json()["totalResults"]


def test_profitco_path_meta_location_reflects_the_path_used(tenant, provider):
    created = create_user(tenant, "location@example.com")
    rid = created["id"]
    std = tenant.client.get(f"/Users/{rid}").json()
    alt = tenant.client.get(f"{provider.url}{PROFITCO_ROOT}/Users/{rid}").json()
    assert std["meta"]["location"] == f"{provider.url}/scim/v2/Users/{rid}"
    assert alt["meta"]["location"] == f"{provider.url}{PROFITCO_ROOT}/Users/{rid}"
    strip = lambda d: {**d, "meta": {k: v for k, v in d["meta"].items() if k != "location"}}  # noqa: E731
    assert strip(std) == strip(alt)


def test_create_on_the_profitco_path_answers_with_its_location(tenant, provider):
    r = tenant.client.post(
        f"{provider.url}{PROFITCO_ROOT}/Users",
        json={"schemas": [USER_URN], "userName": "created-alt@example.com"},
    )
    assert r.status_code == 201, r.text
    expected = f"{provider.url}{PROFITCO_ROOT}/Users/{r.json()['id']}"
    assert r.json()["meta"]["location"] == expected
    assert r.headers["location"] == expected
    assert tenant.client.get(f"/Users/{r.json()['id']}").status_code == 200


def test_profitco_path_list_locations_reflect_the_path(tenant, provider):
    create_user(tenant, "list-location@example.com")
    body = tenant.client.get(f"{provider.url}{PROFITCO_ROOT}/Users").json()
    for user in body["Resources"]:
        assert user["meta"]["location"].startswith(f"{provider.url}{PROFITCO_ROOT}/Users/")


def test_profitco_path_keeps_tenants_apart(tenant, other, provider, b_resources):
    rid = b_resources["Users"]["id"]
    assert_scim_error(tenant.client.get(f"{provider.url}{PROFITCO_ROOT}/Users/{rid}"), 404)
    r = tenant.client.get(f"{provider.url}{PROFITCO_ROOT}/Users")
    assert r.json()["totalResults"] == 0


def test_a_token_is_revoked_by_a_unique_prefix_and_an_ambiguous_one_is_refused(engine, tenant):
    store = TenantStore(engine)
    _, first = store.create_token(tenant.name, label="first")
    _, second = store.create_token(tenant.name, label="second")
    with pytest.raises(TenantError, match="matches several live tokens"):
        store.revoke_token("scim_")
    with pytest.raises(TenantError, match="matches no live token"):
        store.revoke_token("scim_%")  # a LIKE wildcard is taken literally
    assert store.revoke_token(first.prefix).id == first.id
    with pytest.raises(TenantError, match="matches no live token"):
        store.revoke_token(first.id)  # revoked already
    assert store.get_token(second.id).revoked is None
