"""Groups and membership (RFC 7643 §4.2): members live in their own table."""

from __future__ import annotations

import json

from .helpers import ERROR, assert_scim_error, create, group, patch, sample, user


def _users(client, n, prefix="m"):
    return [create(client, "/Users", user(f"{prefix}{i}@example.com"))["id"] for i in range(n)]


def test_rfc_group_with_existing_members_round_trips(tenant):
    ids = _users(tenant.client, 2)
    body = sample("rfc7643_8.4_group.json")
    for member, uid in zip(body["members"], ids, strict=True):
        member["value"] = uid
    created = create(tenant.client, "/Groups", body)
    got = tenant.client.get(f"/Groups/{created['id']}").json()
    assert {m["value"] for m in got["members"]} == set(ids)
    for m in got["members"]:
        assert m["type"] == "User"
        assert m["$ref"] == f"{tenant.base}/Users/{m['value']}"
        assert m["display"] in ("Babs Jensen", "Mandy Pepperidge")


def test_unknown_member_is_rejected_and_nothing_is_created(tenant):
    r = tenant.client.post("/Groups", json=group("G", ["no-such-user"]))
    assert_scim_error(r, 400, "invalidValue")
    assert tenant.client.get("/Groups").json()["totalResults"] == 0


def test_users_show_their_groups(tenant):
    uid = _users(tenant.client, 1)[0]
    gid = create(tenant.client, "/Groups", group("Tour Guides", [uid]))["id"]
    groups = tenant.client.get(f"/Users/{uid}").json()["groups"]
    assert groups == [
        {
            "value": gid,
            "display": "Tour Guides",
            "type": "direct",
            "$ref": f"{tenant.base}/Groups/{gid}",
        }
    ]


def test_patch_adds_and_removes_members_without_touching_others(tenant):
    a, b, c = _users(tenant.client, 3)
    gid = create(tenant.client, "/Groups", group("G", [a]))["id"]
    add = patch({"op": "add", "path": "members", "value": [{"value": b}, {"value": c}]})
    r = tenant.client.patch(f"/Groups/{gid}", json=add)
    assert r.status_code == 200
    assert {m["value"] for m in r.json()["members"]} == {a, b, c}
    rm = patch({"op": "remove", "path": f'members[value eq "{b}"]'})
    r = tenant.client.patch(f"/Groups/{gid}", json=rm)
    assert {m["value"] for m in r.json()["members"]} == {a, c}


def test_patch_remove_all_members(tenant):
    a, b = _users(tenant.client, 2)
    gid = create(tenant.client, "/Groups", group("G", [a, b]))["id"]
    r = tenant.client.patch(f"/Groups/{gid}", json=patch({"op": "remove", "path": "members"}))
    assert "members" not in r.json()


def test_replace_members_swaps_the_whole_list(tenant):
    a, b = _users(tenant.client, 2)
    gid = create(tenant.client, "/Groups", group("G", [a]))["id"]
    op = patch({"op": "replace", "path": "members", "value": [{"value": b}]})
    r = tenant.client.patch(f"/Groups/{gid}", json=op)
    assert [m["value"] for m in r.json()["members"]] == [b]


def test_groups_can_be_nested(tenant):
    inner = create(tenant.client, "/Groups", group("Inner"))["id"]
    outer = create(tenant.client, "/Groups", group("Outer", [inner]))
    assert outer["members"][0]["type"] == "Group"
    assert outer["members"][0]["$ref"].endswith(f"/Groups/{inner}")


def test_deleting_a_user_removes_it_from_its_groups(tenant):
    a, b = _users(tenant.client, 2)
    gid = create(tenant.client, "/Groups", group("G", [a, b]))["id"]
    tenant.client.delete(f"/Users/{a}")
    members = tenant.client.get(f"/Groups/{gid}").json()["members"]
    assert [m["value"] for m in members] == [b]


def test_excluded_members_are_not_returned(tenant):
    (a,) = _users(tenant.client, 1)
    gid = create(tenant.client, "/Groups", group("G", [a]))["id"]
    got = tenant.client.get(f"/Groups/{gid}?excludedAttributes=members").json()
    assert "members" not in got and got["displayName"] == "G"
    listed = tenant.client.get("/Groups?excludedAttributes=members").json()["Resources"]
    assert all("members" not in g for g in listed)


def test_rename_group_keeps_members(tenant):
    (a,) = _users(tenant.client, 1)
    gid = create(tenant.client, "/Groups", group("Old", [a]))["id"]
    op = patch({"op": "replace", "path": "displayName", "value": "New"})
    r = tenant.client.patch(f"/Groups/{gid}", json=op)
    assert r.json()["displayName"] == "New"
    assert [m["value"] for m in r.json()["members"]] == [a]
    assert tenant.client.get(f"/Users/{a}").json()["groups"][0]["display"] == "New"


def test_group_without_display_name_is_rejected(tenant):
    r = tenant.client.post("/Groups", json={"schemas": [group("x")["schemas"][0]]})
    assert r.json()["schemas"] == [ERROR]
    assert_scim_error(r, 400, "invalidValue")


def test_large_group_membership_change_is_applied_incrementally(tenant):
    ids = _users(tenant.client, 60, prefix="big")
    gid = create(tenant.client, "/Groups", group("Big", ids[:50]))["id"]
    op = patch(
        {"op": "add", "path": "members", "value": [{"value": i} for i in ids[50:]]},
        {"op": "remove", "path": f'members[value eq "{ids[0]}"]'},
    )
    r = tenant.client.patch(f"/Groups/{gid}?excludedAttributes=members", json=op)
    assert r.status_code == 200
    got = tenant.client.get(f"/Groups/{gid}").json()["members"]
    assert {m["value"] for m in got} == set(ids[1:])


def test_membership_changes_give_both_sides_a_new_etag(tenant):
    (a,) = _users(tenant.client, 1)
    user_etag = tenant.client.get(f"/Users/{a}").headers["etag"]
    gid = create(tenant.client, "/Groups", group("G", [a]))["id"]
    r = tenant.client.get(f"/Users/{a}", headers={"If-None-Match": user_etag})
    assert r.status_code == 200 and r.json()["groups"][0]["value"] == gid
    group_etag = tenant.client.get(f"/Groups/{gid}").headers["etag"]
    tenant.client.delete(f"/Users/{a}")
    r = tenant.client.get(f"/Groups/{gid}", headers={"If-None-Match": group_etag})
    assert r.status_code == 200 and "members" not in r.json()


def test_renaming_a_group_gives_its_members_a_new_etag(tenant):
    (a,) = _users(tenant.client, 1)
    gid = create(tenant.client, "/Groups", group("Old", [a]))["id"]
    user_etag = tenant.client.get(f"/Users/{a}").headers["etag"]
    op = patch({"op": "replace", "path": "displayName", "value": "New"})
    tenant.client.patch(f"/Groups/{gid}", json=op)
    r = tenant.client.get(f"/Users/{a}", headers={"If-None-Match": user_etag})
    assert r.status_code == 200 and r.json()["groups"][0]["display"] == "New"


def test_meta_version_can_be_filtered(tenant):
    (a,) = _users(tenant.client, 1)
    version = tenant.client.get(f"/Users/{a}").json()["meta"]["version"]
    found = tenant.client.get("/Users", params={"filter": f"meta.version eq {json.dumps(version)}"})
    assert [u["id"] for u in found.json()["Resources"]] == [a]
