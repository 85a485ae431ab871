"""JumpCloud (Identity Management, custom SCIM integration), replayed.

Each body is a request from the interop notes, §3; its comment gives the request id
and the source. JumpCloud publishes little wire detail: the user bodies are sanitized
real captures (SC-RUST: ShiftControl-io/scim-v2-rust, src/test_data/provider_samples/),
the group bodies are weaker third-party observations or [INFERRED].

JumpCloud also provisions Profit.co, whose SCIM API (the ``profitco`` profile) serves
users only, on its own base path, wants an email as userName and refuses DELETE:
JumpCloud then falls back to deactivating (active=false).
"""

from __future__ import annotations

import pytest

from .replay import (
    ENTERPRISE,
    LIST_RESPONSE,
    assert_scim_error,
    create,
    get,
    member_ids,
    search,
    seed_user,
    send,
    swap,
)

# J3 [3P-OBS, SC-RUST jumpcloud_create_user.json] the activation test user; keys sorted.
J3_CREATE_USER = {
    "active": True,
    "addresses": [
        {
            "country": "US",
            "locality": "locality",
            "postalCode": "80027",
            "primary": True,
            "region": "region",
            "streetAddress": "street-address",
            "type": "work",
        }
    ],
    "displayName": "displayname",
    "emails": [{"primary": True, "type": "work", "value": "testuser@example.io"}],
    "externalId": "66e2d689590450d073d2df3b",
    "locale": "en-US",
    "name": {"familyName": "lastname", "givenName": "firstname"},
    "phoneNumbers": [{"primary": True, "type": "work", "value": "tel:+1-555-555-5555"}],
    "preferredLanguage": "en-US",
    "schemas": [
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    ],
    "userName": "testuser@example.io",
}

# J4 [3P-OBS, SC-RUST jumpcloud_put_user_full.json] full PUT: [] clears, id echoed.
J4_PUT_USER_FULL = {
    "active": True,
    "addresses": [],
    "displayName": "John Doe",
    "emails": [{"primary": True, "type": "work", "value": "john.doe@example.io"}],
    "externalId": "664447f5c0c418f2d05e5318",
    "id": "d500eedc-4dbc-494e-978a-56da891f179a",
    "locale": "en-US",
    "name": {"familyName": "Doe", "givenName": "John"},
    "phoneNumbers": [],
    "photos": [{"value": "https://img.example.com/2a27d237-db8c-4f82-84fb-5824dfaedc87.png"}],
    "preferredLanguage": "en-US",
    "schemas": [
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        "urn:ietf:params:scim:schemas:core:2.0:User",
    ],
    "title": "Captain",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "C-Suite"},
    "userName": "john.doe@example.com",
}

# J5 [3P-OBS, SC-RUST jumpcloud_put_user_minimal.json] "emails": null.
J5_PUT_USER_MINIMAL = {
    "active": True,
    "emails": None,
    "id": "5107a4e4-0b11-4e77-8dcf-c8c6978d40ac",
    "name": {"familyName": "lastname", "givenName": "firstname"},
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "userName": "testuser@example.io",
}

# J6 [INFERRED from JC-CUSTOM and BW-JC's active mapping] deactivation by PUT.
J6_PUT_DEACTIVATE = {
    "active": False,
    "emails": [{"primary": True, "type": "work", "value": "john.doe@example.io"}],
    "id": "d500eedc-4dbc-494e-978a-56da891f179a",
    "name": {"familyName": "Doe", "givenName": "John"},
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "userName": "john.doe@example.com",
}

# J6 PATCH form [3P-OBS, weak: scim-v2-rust PatchOp fixtures].
J6_PATCH_DEACTIVATE = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{"op": "replace", "path": "active", "value": False}],
}

# J10 [behaviour DOC (JC-APP); body INFERRED] groups are created once they have members.
J10_CREATE_GROUP = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
    "displayName": "Engineering",
    "members": [{"value": "d500eedc-4dbc-494e-978a-56da891f179a"}],
}

# J11 [3P-OBS, weak: UNIMONI; scim-v2-rust fixtures] members carry only "value".
J11_ADD_MEMBER = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [
        {
            "op": "add",
            "path": "members",
            "value": [{"value": "d500eedc-4dbc-494e-978a-56da891f179a"}],
        }
    ],
}

# J12 [3P-OBS, weak: UNIMONI; scim-v2-rust jumpcloud_remove_member_with_value]
J12_REMOVE_MEMBER_VALUE_ARRAY = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [
        {
            "op": "remove",
            "path": "members",
            "value": [{"value": "d500eedc-4dbc-494e-978a-56da891f179a"}],
        }
    ],
}

# J12, RFC filter form [INFERRED from WINDMILL's fix title].
J12_REMOVE_MEMBER_FILTER = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [
        {"op": "remove", "path": 'members[value eq "d500eedc-4dbc-494e-978a-56da891f179a"]'}
    ],
}

# J13 [DOC that renames happen (JC-APP); body INFERRED]
J13_RENAME_GROUP = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{"op": "replace", "path": "displayName", "value": "Engineering Platform"}],
}

JC_USER_ID = "d500eedc-4dbc-494e-978a-56da891f179a"
JC_MINIMAL_USER_ID = "5107a4e4-0b11-4e77-8dcf-c8c6978d40ac"
PROFITCO_PREFIX = "/app/rest/platform/auth/scim/v2"


@pytest.fixture
def jc_user(client):
    return create(client, "/Users", J3_CREATE_USER)["id"]


@pytest.fixture
def jc_group(client):
    """A group as JumpCloud creates it: with its first member already in it (J10)."""
    first = seed_user(client, "first@example.io")
    return create(client, "/Groups", swap(J10_CREATE_GROUP, {JC_USER_ID: first}))["id"], first


# --- connection check and lookups ----------------------------------------------------------


def test_jumpcloud_activation_get_users_on_empty_tenant_is_an_empty_list(client):
    # J1 [INFERRED, third-party integrator docs]
    body = get(client, "/Users")
    assert body["schemas"] == [LIST_RESPONSE]
    assert (body["totalResults"], body["Resources"]) == (0, [])


def test_jumpcloud_test_user_probe_finds_nobody_then_the_created_user(client):
    # J2 [INFERRED]: the Test User Email must not exist yet; then it is created.
    flt = 'userName eq "testuser@example.io"'
    assert search(client, "/Users", flt) == []
    uid = create(client, "/Users", J3_CREATE_USER)["id"]
    assert [u["id"] for u in search(client, "/Users", flt)] == [uid]


def test_jumpcloud_import_pages_and_matches_by_username(client, jc_user):
    # J8 [DOC that import exists; queries INFERRED]
    page = get(client, "/Users", startIndex="1", count="100")
    assert [u["id"] for u in page["Resources"]] == [jc_user]
    assert search(client, "/Users", 'userName eq "TESTUSER@example.io"')[0]["id"] == jc_user


# --- users -------------------------------------------------------------------------------


def test_jumpcloud_create_user_stores_tel_uri_address_and_external_id(client):
    created = create(client, "/Users", J3_CREATE_USER)
    stored = get(client, f"/Users/{created['id']}")
    for key in ("addresses", "emails", "phoneNumbers", "name", "externalId", "locale"):
        assert stored[key] == J3_CREATE_USER[key]
    assert stored["phoneNumbers"][0]["value"] == "tel:+1-555-555-5555"


def test_jumpcloud_full_put_replaces_user_and_clears_empty_arrays(client, jc_user):
    send(client, "PUT", f"/Users/{jc_user}", swap(J4_PUT_USER_FULL, {JC_USER_ID: jc_user}))
    stored = get(client, f"/Users/{jc_user}")
    assert "addresses" not in stored and "phoneNumbers" not in stored
    assert stored["userName"] == "john.doe@example.com"
    assert stored["emails"] == J4_PUT_USER_FULL["emails"]
    assert stored["photos"] == J4_PUT_USER_FULL["photos"]
    assert stored[ENTERPRISE] == {"department": "C-Suite"}
    assert stored["id"] == jc_user


def test_jumpcloud_minimal_put_with_null_emails_clears_emails(client, jc_user):
    send(
        client, "PUT", f"/Users/{jc_user}", swap(J5_PUT_USER_MINIMAL, {JC_MINIMAL_USER_ID: jc_user})
    )
    stored = get(client, f"/Users/{jc_user}")
    assert "emails" not in stored and "addresses" not in stored
    assert stored["name"] == {"familyName": "lastname", "givenName": "firstname"}
    assert stored["active"] is True


def test_jumpcloud_deactivate_by_put_sets_active_false(client, jc_user):
    send(client, "PUT", f"/Users/{jc_user}", swap(J6_PUT_DEACTIVATE, {JC_USER_ID: jc_user}))
    assert get(client, f"/Users/{jc_user}")["active"] is False


def test_jumpcloud_deactivate_by_patch_sets_active_false(client, jc_user):
    send(client, "PATCH", f"/Users/{jc_user}", J6_PATCH_DEACTIVATE)
    stored = get(client, f"/Users/{jc_user}")
    assert stored["active"] is False
    assert stored["userName"] == "testuser@example.io"


def test_jumpcloud_delete_of_test_user_removes_it(client, jc_user):
    # J7 [DOC, JC-CUSTOM]
    assert client.delete(f"/Users/{jc_user}").status_code == 204
    assert_scim_error(client.get(f"/Users/{jc_user}"), 404)


def test_jumpcloud_password_in_put_is_accepted_and_never_returned(client, jc_user):
    # J15 [INFERRED]: "Sync password" most likely sends password in the PUT body.
    body = {**swap(J4_PUT_USER_FULL, {JC_USER_ID: jc_user}), "password": "Sup3rSecret!"}
    r = send(client, "PUT", f"/Users/{jc_user}", body)
    assert "Sup3rSecret" not in r.text
    stored = get(client, f"/Users/{jc_user}")
    assert "password" not in stored
    assert stored["title"] == "Captain"


# --- groups ------------------------------------------------------------------------------


def test_jumpcloud_take_over_group_by_name(client, jc_group):
    # J9 [INFERRED]
    gid, _ = jc_group
    assert [g["id"] for g in search(client, "/Groups", 'displayName eq "Engineering"')] == [gid]


def test_jumpcloud_create_group_with_minimal_member_objects(client, jc_group):
    gid, first = jc_group
    members = get(client, f"/Groups/{gid}")["members"]
    assert [(m["value"], m["type"], m["display"]) for m in members] == [
        (first, "User", "first@example.io")
    ]


def test_jumpcloud_repeated_member_adds_are_idempotent(client, jc_group):
    gid, first = jc_group
    other = seed_user(client, "other@example.io")
    for uid in (other, other, first):
        send(client, "PATCH", f"/Groups/{gid}", swap(J11_ADD_MEMBER, {JC_USER_ID: uid}))
    assert member_ids(client, gid) == {first, other}


def test_jumpcloud_remove_member_by_value_array_removes_only_that_member(client, jc_group):
    gid, first = jc_group
    other = seed_user(client, "other@example.io")
    send(client, "PATCH", f"/Groups/{gid}", swap(J11_ADD_MEMBER, {JC_USER_ID: other}))
    send(
        client, "PATCH", f"/Groups/{gid}", swap(J12_REMOVE_MEMBER_VALUE_ARRAY, {JC_USER_ID: first})
    )
    assert member_ids(client, gid) == {other}


def test_jumpcloud_remove_member_by_filter_path_removes_only_that_member(client, jc_group):
    gid, first = jc_group
    other = seed_user(client, "other@example.io")
    send(client, "PATCH", f"/Groups/{gid}", swap(J11_ADD_MEMBER, {JC_USER_ID: other}))
    send(client, "PATCH", f"/Groups/{gid}", swap(J12_REMOVE_MEMBER_FILTER, {JC_USER_ID: other}))
    assert member_ids(client, gid) == {first}


def test_jumpcloud_rename_group_by_patch_keeps_members(client, jc_group):
    gid, first = jc_group
    send(client, "PATCH", f"/Groups/{gid}", J13_RENAME_GROUP)
    stored = get(client, f"/Groups/{gid}")
    assert stored["displayName"] == "Engineering Platform"
    assert member_ids(client, gid) == {first}


def test_jumpcloud_rename_group_by_put_sets_name_and_members(client, jc_group):
    # J13 note [INFERRED]: a full PUT is equally plausible.
    gid, _ = jc_group
    other = seed_user(client, "other@example.io")
    body = {**swap(J10_CREATE_GROUP, {JC_USER_ID: other}), "displayName": "Engineering Platform"}
    send(client, "PUT", f"/Groups/{gid}", body)
    assert get(client, f"/Groups/{gid}")["displayName"] == "Engineering Platform"
    assert member_ids(client, gid) == {other}


def test_jumpcloud_delete_managed_group_removes_it(client, jc_group):
    # J14 [DOC, JC-APP and JC-CUSTOM]
    gid, first = jc_group
    assert client.delete(f"/Groups/{gid}").status_code == 204
    assert_scim_error(client.get(f"/Groups/{gid}"), 404)
    assert "groups" not in get(client, f"/Users/{first}")


# --- JumpCloud provisioning Profit.co (profile "profitco") ---------------------------------


def _profitco_url(profitco, path):
    """Profit.co's own base path, as an admin would paste it into JumpCloud."""
    return profitco.base.replace("/scim/v2", PROFITCO_PREFIX) + path


def test_jumpcloud_activation_on_profitco_base_path_lists_no_users(profitco):
    r = profitco.client.get(_profitco_url(profitco, "/Users"))
    assert r.status_code == 200, r.text
    assert (r.json()["totalResults"], r.json()["Resources"]) == (0, [])


def test_jumpcloud_create_user_on_profitco_stores_email_username(profitco):
    r = profitco.client.post(_profitco_url(profitco, "/Users"), json=J3_CREATE_USER)
    assert r.status_code == 201, r.text
    stored = get(profitco.client, f"/Users/{r.json()['id']}")
    assert stored["userName"] == "testuser@example.io"
    assert stored["emails"] == J3_CREATE_USER["emails"]
    assert r.json()["meta"]["location"].startswith(_profitco_url(profitco, "/Users/"))


def test_jumpcloud_create_user_on_profitco_with_non_email_username_is_refused(profitco):
    r = profitco.client.post("/Users", json={**J3_CREATE_USER, "userName": "testuser"})
    assert_scim_error(r, 400)
    assert get(profitco.client, "/Users")["totalResults"] == 0


def test_jumpcloud_delete_on_profitco_is_refused_with_advice_to_deactivate(profitco):
    # J7 [INFERRED]: a 405 (not a 500) so JumpCloud falls back to deactivation.
    uid = create(profitco.client, "/Users", J3_CREATE_USER)["id"]
    error = assert_scim_error(profitco.client.delete(_profitco_url(profitco, f"/Users/{uid}")), 405)
    assert "active" in error["detail"] and "false" in error["detail"]
    assert get(profitco.client, f"/Users/{uid}")["active"] is True


def test_jumpcloud_deactivate_on_profitco_by_put_sets_active_false(profitco):
    uid = create(profitco.client, "/Users", J3_CREATE_USER)["id"]
    send(profitco.client, "PUT", f"/Users/{uid}", swap(J6_PUT_DEACTIVATE, {JC_USER_ID: uid}))
    stored = get(profitco.client, f"/Users/{uid}")
    assert stored["active"] is False
    assert stored["userName"] == "john.doe@example.com"


def test_jumpcloud_deactivate_on_profitco_by_patch_sets_active_false(profitco):
    uid = create(profitco.client, "/Users", J3_CREATE_USER)["id"]
    r = profitco.client.patch(_profitco_url(profitco, f"/Users/{uid}"), json=J6_PATCH_DEACTIVATE)
    assert r.status_code == 200, r.text
    assert get(profitco.client, f"/Users/{uid}")["active"] is False


def test_jumpcloud_full_and_minimal_puts_on_profitco_update_user(profitco):
    uid = create(profitco.client, "/Users", J3_CREATE_USER)["id"]
    send(profitco.client, "PUT", f"/Users/{uid}", swap(J4_PUT_USER_FULL, {JC_USER_ID: uid}))
    assert get(profitco.client, f"/Users/{uid}")[ENTERPRISE] == {"department": "C-Suite"}
    send(
        profitco.client,
        "PUT",
        f"/Users/{uid}",
        swap(J5_PUT_USER_MINIMAL, {JC_MINIMAL_USER_ID: uid}),
    )
    stored = get(profitco.client, f"/Users/{uid}")
    assert stored["userName"] == "testuser@example.io"
    assert "emails" not in stored and ENTERPRISE not in stored


def test_jumpcloud_group_requests_on_profitco_are_a_scim_404(profitco):
    # J9/J10 against a users-only API: a clean SCIM error, nothing created.
    assert_scim_error(
        profitco.client.get("/Groups", params={"filter": 'displayName eq "Engineering"'}), 404
    )
    assert_scim_error(profitco.client.post("/Groups", json=J10_CREATE_GROUP), 404)
