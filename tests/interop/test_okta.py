"""Okta (Lifecycle Management SCIM client and its OIN SPEC test), replayed.

Each body is a request from the interop notes, §2; its comment gives the request id
and the source: OKTA-REF (the SCIM 2.0 protocol reference), OKTA-SPEC (the Runscope
"Okta SCIM 2.0 SPEC Test" Okta publishes), OKTA-FAQ, or [INFERRED].
"""

from __future__ import annotations

import json

import pytest

from .replay import (
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

# Headers of the SPEC test's GETs, and of its POSTs [DOC-TEST, OKTA-SPEC].
SPEC_GET_HEADERS = {
    "User-Agent": "OKTA SCIM Integration",
    "Accept": "application/scim+json",
    "Accept-Charset": "utf-8",
    "Content-Type": "application/scim+json; charset=utf-8",
}
SPEC_POST_HEADERS = {
    "User-Agent": "OKTA SCIM Integration",
    "Content-Type": "application/json",
    "Accept": "application/scim+json; charset=utf-8",
}
CLIENT_HEADERS = {"User-Agent": "Okta SCIM Client 1.0.0"}  # real provisioning [DOC, OKTA-REF]

# O6 [DOC-TEST, OKTA-SPEC] create, template variables filled in.
O6_SPEC_CREATE_USER = (
    '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],'
    '"userName":"Runscope300Hfluaklab151@example.com",'
    '"name":{"givenName":"Runscope300","familyName":"Hfluaklab151"},'
    '"emails":[{"primary":true,"value":"Runscope300Hfluaklab151@example.com","type":"work"}],'
    '"displayName":"Runscope300 Hfluaklab151","active":true}'
)

# O12 [DOC, OKTA-REF] create with the password placeholder and read-only "groups": [].
O12_CREATE_USER = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "userName": "test.user@okta.local",
    "name": {"givenName": "Test", "familyName": "User"},
    "emails": [{"primary": True, "value": "test.user@okta.local", "type": "work"}],
    "displayName": "Test User",
    "locale": "en-US",
    "externalId": "00ujl29u0le5T6Aj10h7",
    "groups": [],
    "password": "1mz050nq",
    "active": True,
}

# O15 [DOC, OKTA-REF] full PUT echoing the read-only id, meta and groups of its GET.
O15_PUT_USER = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "id": "23a35c27-23d3-4c03-b4c5-6443c09e7173",
    "userName": "test.user@okta.local",
    "name": {"givenName": "Another", "middleName": "Excited", "familyName": "User"},
    "emails": [
        {
            "primary": True,
            "value": "test.user@okta.local",
            "type": "work",
            "display": "test.user@okta.local",
        }
    ],
    "active": True,
    "groups": [],
    "meta": {"resourceType": "User"},
}

# O16 [DOC, OKTA-REF] deactivation: path-less replace.
O16_DEACTIVATE = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{"op": "replace", "value": {"active": False}}],
}

# O17 [INFERRED from O16] reactivation.
O17_REACTIVATE = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{"op": "replace", "value": {"active": True}}],
}

# O18 [INFERRED] password sync.
O18_PASSWORD_SYNC = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{"op": "replace", "value": {"password": "N3wPassw0rd!"}}],
}

# O19 [DOC that PUT is used, OKTA-REF/OKTA-FAQ; body INFERRED] PUT with active false.
O19_PUT_DEACTIVATE = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "id": "23a35c27-23d3-4c03-b4c5-6443c09e7173",
    "userName": "test.user@okta.local",
    "name": {"givenName": "Another", "middleName": "", "familyName": "User"},
    "emails": [
        {
            "primary": True,
            "value": "test.user@okta.local",
            "type": "work",
            "display": "test.user@okta.local",
        }
    ],
    "active": False,
    "groups": [],
    "meta": {"resourceType": "User"},
}

# O20 [DOC, OKTA-REF] group push.
O20_CREATE_GROUP = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
    "displayName": "Test SCIMv2",
    "members": [],
}

# O22 [DOC, OKTA-REF] rename: path-less replace whose value carries the read-only id.
O22_RENAME_GROUP = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [
        {
            "op": "replace",
            "value": {"id": "abf4dd94-a4c0-4f67-89c9-76b03340cb9b", "displayName": "Test SCIMv2"},
        }
    ],
}

# O23 [DOC, OKTA-REF] membership delta: remove by filter, add with display.
O23_MEMBERSHIP_DELTA = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [
        {"op": "remove", "path": 'members[value eq "89bb1940-b905-4575-9e7f-6f887cfb368e"]'},
        {
            "op": "add",
            "path": "members",
            "value": [
                {"value": "23a35c27-23d3-4c03-b4c5-6443c09e7173", "display": "test.user@okta.local"}
            ],
        },
    ],
}

# O24 [DOC, OKTA-REF] full membership push; "Push now" on an empty group sends [].
O24_REPLACE_MEMBERS = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [
        {
            "op": "replace",
            "path": "members",
            "value": [
                {
                    "value": "23a35c27-23d3-4c03-b4c5-6443c09e7173",
                    "display": "test.user@okta.local",
                },
                {
                    "value": "89bb1940-b905-4575-9e7f-6f887cfb368e",
                    "display": "test.user@okta.local",
                },
            ],
        }
    ],
}
O24_EMPTY_MEMBERS = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{"op": "replace", "path": "members", "value": []}],
}

# O25 [DOC, OKTA-REF] AIW apps: membership by a full group PUT, no id in the body.
O25_PUT_GROUP = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
    "displayName": "Test SCIMv2",
    "members": [
        {"value": "23a35c27-23d3-4c03-b4c5-6443c09e7173", "display": "test.user@okta.local"}
    ],
}

OKTA_USER_ID = "23a35c27-23d3-4c03-b4c5-6443c09e7173"
OKTA_OTHER_USER_ID = "89bb1940-b905-4575-9e7f-6f887cfb368e"
OKTA_GROUP_ID = "abf4dd94-a4c0-4f67-89c9-76b03340cb9b"


@pytest.fixture
def okta_user(client):
    """The user Okta provisions (O12); its id replaces the captured one."""
    return create(client, "/Users", O12_CREATE_USER)["id"]


@pytest.fixture
def okta_group(client):
    return create(client, "/Groups", O20_CREATE_GROUP)["id"]


def _spec_create(client):
    r = client.post("/Users", content=O6_SPEC_CREATE_USER, headers=SPEC_POST_HEADERS)
    assert r.status_code == 201, r.text
    return r.json()


# --- the SPEC test (OIN submission) --------------------------------------------------------


def test_okta_spec_users_endpoint_returns_numeric_paging_and_a_complete_first_user(client):
    # O1 [DOC-TEST, OKTA-SPEC]: the suite needs one existing user first.
    _spec_create(client)
    r = client.get("/Users?count=1&startIndex=1", headers=SPEC_GET_HEADERS)
    assert r.status_code == 200, r.text
    body = r.json()
    assert LIST_RESPONSE in body["schemas"]
    assert all(isinstance(body[k], int) for k in ("itemsPerPage", "startIndex", "totalResults"))
    first = body["Resources"][0]
    assert first["id"] and first["userName"] and first["active"] is True
    assert first["name"]["familyName"] and first["name"]["givenName"]
    assert first["emails"][0]["value"]


def test_okta_test_api_credentials_on_empty_tenant_lists_nothing(client):
    # O1b [3P-OBS, Delinea]
    r = client.get("/Users?startIndex=1&count=2", headers=CLIENT_HEADERS)
    assert r.status_code == 200, r.text
    assert (r.json()["totalResults"], r.json()["Resources"]) == (0, [])


def test_okta_spec_get_first_user_by_id(client):
    # O2 [DOC-TEST, OKTA-SPEC]
    created = _spec_create(client)
    got = get(client, f"/Users/{created['id']}")
    assert got["userName"] == "Runscope300Hfluaklab151@example.com"


@pytest.mark.parametrize(
    "user_name", ["abcdefgh@example.com", "Runscope300Hfluaklab151@example.com"]
)
def test_okta_spec_lookup_of_unknown_username_is_an_empty_list(client, user_name):
    # O3, O5 [DOC-TEST, OKTA-SPEC]: the filter arrives unencoded with literal quotes.
    r = client.get(f'/Users?filter=userName eq "{user_name}"', headers=SPEC_GET_HEADERS)
    assert r.status_code == 200, r.text
    assert r.json()["totalResults"] == 0


@pytest.mark.parametrize("rid", ["010101001010101011001010101011", "00919288221112222"])
def test_okta_spec_unknown_non_uuid_id_is_a_scim_404_with_string_status(client, rid):
    # O4 [DOC-TEST, OKTA-SPEC]
    assert_scim_error(client.get(f"/Users/{rid}", headers=SPEC_GET_HEADERS), 404)


def test_okta_spec_create_returns_the_user_with_the_same_name(client):
    # O6 [DOC-TEST, OKTA-SPEC]: Content-Type application/json on the POST.
    created = _spec_create(client)
    sent = json.loads(O6_SPEC_CREATE_USER)
    assert "urn:ietf:params:scim:schemas:core:2.0:User" in created["schemas"]
    stored = get(client, f"/Users/{created['id']}")
    assert (stored["userName"], stored["name"], stored["active"]) == (
        sent["userName"],
        sent["name"],
        True,
    )


def test_okta_spec_duplicate_create_is_a_409_and_stores_nothing(client):
    # O7 [DOC-TEST, OKTA-SPEC]
    _spec_create(client)
    r = client.post("/Users", content=O6_SPEC_CREATE_USER, headers=SPEC_POST_HEADERS)
    assert_scim_error(r, 409)
    assert get(client, "/Users")["totalResults"] == 1


def test_okta_spec_username_filter_ignores_case(client):
    # O8 [DOC-TEST, OKTA-SPEC]
    created = _spec_create(client)
    r = client.get(
        '/Users?filter=userName eq "RUNSCOPE300HFLUAKLAB151@EXAMPLE.COM"', headers=SPEC_GET_HEADERS
    )
    assert r.status_code == 200, r.text
    assert [u["id"] for u in r.json()["Resources"]] == [created["id"]]


def test_okta_spec_authorization_without_scheme_is_a_scim_401(client):
    # O9 [DOC-TEST, OKTA-SPEC]
    r = client.get(
        '/Users?filter=userName eq "RUNSCOPE300HFLUAKLAB151@EXAMPLE.COM"',
        headers={**SPEC_GET_HEADERS, "Authorization": "non-token"},
    )
    assert_scim_error(r, 401)


def test_okta_spec_list_groups_without_paging(client, okta_group):
    # O10 [DOC-TEST, OKTA-SPEC]
    body = get(client, "/Groups")
    assert body["totalResults"] == 1
    assert [g["id"] for g in body["Resources"]] == [okta_group]


# --- provisioning users ------------------------------------------------------------------


def test_okta_existence_check_with_encoded_filter_and_paging_finds_user(client, okta_user):
    # O11 [DOC, OKTA-REF]
    r = client.get(
        "/Users?filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100",
        headers=CLIENT_HEADERS,
    )
    assert r.status_code == 200, r.text
    assert [u["id"] for u in r.json()["Resources"]] == [okta_user]


def test_okta_create_user_with_password_placeholder_and_empty_groups(client):
    created = create(client, "/Users", O12_CREATE_USER)
    stored = get(client, f"/Users/{created['id']}")
    assert "password" not in created and "password" not in stored
    assert "groups" not in stored
    assert stored["externalId"] == "00ujl29u0le5T6Aj10h7"
    assert stored["emails"] == O12_CREATE_USER["emails"]


def test_okta_import_pages_through_users_in_a_stable_order(client):
    # O13 [DOC, OKTA-REF]
    for i in range(5):
        seed_user(client, f"user{i}@okta.local")
    first = get(client, "/Users", startIndex="1", count="3")
    second = get(client, "/Users", startIndex="4", count="3")
    ids = [u["id"] for u in first["Resources"] + second["Resources"]]
    assert first["totalResults"] == second["totalResults"] == 5
    assert len(set(ids)) == 5
    assert [u["id"] for u in get(client, "/Users", startIndex="1", count="3")["Resources"]] == ids[
        :3
    ]


def test_okta_put_echoing_id_meta_and_groups_updates_user_and_keeps_memberships(
    client, okta_user, okta_group
):
    # O14 then O15 [DOC, OKTA-REF]: GET, edit, PUT back; "groups": [] must not unassign.
    send(
        client,
        "PATCH",
        f"/Groups/{okta_group}",
        swap(O24_REPLACE_MEMBERS, {OKTA_USER_ID: okta_user, OKTA_OTHER_USER_ID: okta_user}),
    )
    get(client, f"/Users/{okta_user}")
    r = send(client, "PUT", f"/Users/{okta_user}", swap(O15_PUT_USER, {OKTA_USER_ID: okta_user}))
    assert r.status_code == 200
    stored = get(client, f"/Users/{okta_user}")
    assert stored["name"] == {"givenName": "Another", "middleName": "Excited", "familyName": "User"}
    assert stored["emails"] == O15_PUT_USER["emails"]
    assert [g["value"] for g in stored["groups"]] == [okta_group]
    assert member_ids(client, okta_group) == {okta_user}


def test_okta_deactivate_by_pathless_replace_sets_active_false(client, okta_user):
    send(client, "PATCH", f"/Users/{okta_user}", O16_DEACTIVATE)
    stored = get(client, f"/Users/{okta_user}")
    assert stored["active"] is False
    assert stored["userName"] == "test.user@okta.local"


def test_okta_reactivate_by_pathless_replace_sets_active_true(client, okta_user):
    send(client, "PATCH", f"/Users/{okta_user}", O16_DEACTIVATE)
    send(client, "PATCH", f"/Users/{okta_user}", O17_REACTIVATE)
    assert get(client, f"/Users/{okta_user}")["active"] is True


def test_okta_password_sync_is_accepted_and_never_returned(client, okta_user):
    before = get(client, f"/Users/{okta_user}")
    r = send(client, "PATCH", f"/Users/{okta_user}", O18_PASSWORD_SYNC)
    assert "N3wPassw0rd" not in r.text
    after = get(client, f"/Users/{okta_user}")
    assert "password" not in after
    assert {k: v for k, v in after.items() if k != "meta"} == {
        k: v for k, v in before.items() if k != "meta"
    }


def test_okta_put_with_active_false_deactivates_user(client, okta_user):
    send(client, "PUT", f"/Users/{okta_user}", swap(O19_PUT_DEACTIVATE, {OKTA_USER_ID: okta_user}))
    stored = get(client, f"/Users/{okta_user}")
    assert stored["active"] is False
    assert stored["name"]["givenName"] == "Another"


def test_okta_create_user_with_empty_groups_on_users_only_profile_is_accepted(profitco):
    # O12 against a profile that serves no groups (Profit.co): "groups": [] carries no data.
    created = create(profitco.client, "/Users", O12_CREATE_USER)
    stored = get(profitco.client, f"/Users/{created['id']}")
    assert stored["userName"] == "test.user@okta.local"
    assert "groups" not in stored


def test_okta_put_echoing_empty_groups_on_users_only_profile_updates_user(profitco):
    uid = create(profitco.client, "/Users", O12_CREATE_USER)["id"]
    send(profitco.client, "PUT", f"/Users/{uid}", swap(O19_PUT_DEACTIVATE, {OKTA_USER_ID: uid}))
    assert get(profitco.client, f"/Users/{uid}")["active"] is False


# --- groups ------------------------------------------------------------------------------


def test_okta_push_group_with_empty_members_creates_empty_group(client):
    created = create(client, "/Groups", O20_CREATE_GROUP)
    stored = get(client, f"/Groups/{created['id']}")
    assert stored["displayName"] == "Test SCIMv2"
    assert "members" not in stored


def test_okta_import_groups_shows_member_display(client, okta_group, okta_user):
    # O21 [DOC, OKTA-REF]
    send(client, "PUT", f"/Groups/{okta_group}", swap(O25_PUT_GROUP, {OKTA_USER_ID: okta_user}))
    page = get(client, "/Groups", startIndex="1", count="100")
    assert [g["id"] for g in page["Resources"]] == [okta_group]
    assert page["Resources"][0]["members"][0]["display"] == "test.user@okta.local"


def test_okta_link_group_by_display_name(client, okta_group):
    # O21b [INFERRED]
    found = search(client, "/Groups", 'displayName eq "Test SCIMv2"', startIndex="1", count="100")
    assert [g["id"] for g in found] == [okta_group]


def test_okta_rename_with_id_in_value_changes_display_name_only(client, okta_group):
    body = swap(O22_RENAME_GROUP, {OKTA_GROUP_ID: okta_group})
    body["Operations"][0]["value"]["displayName"] = "Test SCIMv2 renamed"
    send(client, "PATCH", f"/Groups/{okta_group}", body)
    stored = get(client, f"/Groups/{okta_group}")
    assert (stored["id"], stored["displayName"]) == (okta_group, "Test SCIMv2 renamed")


def test_okta_rename_with_unchanged_name_succeeds(client, okta_group):
    # O22 note: sent on every membership update, usually with the same name.
    send(
        client,
        "PATCH",
        f"/Groups/{okta_group}",
        swap(O22_RENAME_GROUP, {OKTA_GROUP_ID: okta_group}),
    )
    assert get(client, f"/Groups/{okta_group}")["displayName"] == "Test SCIMv2"


def test_okta_membership_delta_removes_by_filter_then_adds_with_display(client, okta_group):
    old, new = seed_user(client, "old@okta.local"), seed_user(client, "new@okta.local")
    ids = {OKTA_USER_ID: new, OKTA_OTHER_USER_ID: old}
    send(client, "PUT", f"/Groups/{okta_group}", swap(O25_PUT_GROUP, {OKTA_USER_ID: old}))
    send(client, "PATCH", f"/Groups/{okta_group}", swap(O23_MEMBERSHIP_DELTA, ids))
    members = get(client, f"/Groups/{okta_group}")["members"]
    assert [(m["value"], m["display"]) for m in members] == [(new, "test.user@okta.local")]


def test_okta_replace_members_sets_exactly_those_members_and_empty_array_empties(
    client, okta_group
):
    a, b, c = (seed_user(client, f"{n}@okta.local") for n in "abc")
    send(client, "PUT", f"/Groups/{okta_group}", swap(O25_PUT_GROUP, {OKTA_USER_ID: c}))
    send(
        client,
        "PATCH",
        f"/Groups/{okta_group}",
        swap(O24_REPLACE_MEMBERS, {OKTA_USER_ID: a, OKTA_OTHER_USER_ID: b}),
    )
    assert member_ids(client, okta_group) == {a, b}
    send(client, "PATCH", f"/Groups/{okta_group}", O24_EMPTY_MEMBERS)
    assert member_ids(client, okta_group) == set()


def test_okta_group_put_without_id_in_body_sets_members(client, okta_group, okta_user):
    send(client, "PUT", f"/Groups/{okta_group}", swap(O25_PUT_GROUP, {OKTA_USER_ID: okta_user}))
    stored = get(client, f"/Groups/{okta_group}")
    assert stored["id"] == okta_group
    assert member_ids(client, okta_group) == {okta_user}


def test_okta_delete_group_removes_it_and_the_users_membership(client, okta_group, okta_user):
    # O26 [DOC, OKTA-REF]
    send(client, "PUT", f"/Groups/{okta_group}", swap(O25_PUT_GROUP, {OKTA_USER_ID: okta_user}))
    assert client.delete(f"/Groups/{okta_group}").status_code == 204
    assert_scim_error(client.get(f"/Groups/{okta_group}"), 404)
    assert "groups" not in get(client, f"/Users/{okta_user}")
