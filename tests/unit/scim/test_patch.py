"""PATCH (RFC 7644 §3.5.2): request parsing and application to canonical documents."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from scimhub.scim.definitions import ENTERPRISE_URN, GROUP_RESOURCE, USER_RESOURCE, USER_URN
from scimhub.scim.errors import (
    InvalidFilter,
    InvalidPath,
    InvalidSyntax,
    InvalidValue,
    Mutability,
    NoTarget,
    ScimError,
)
from scimhub.scim.patch import (
    PATCH_OP_URN,
    PatchOperation,
    apply_patch,
    parse_patch_request,
    patch_targets_only,
)
from scimhub.scim.schema import Attribute, Extension, ResourceType, Schema

BABS = "2819c223-7f76-453a-919d-413861904646"
JAMES = "08e1d05d-121c-4561-8b96-473d93df9210"
MANAGER = "26118915-6090-4610-87e4-49d8ca9f808d"

#: RFC 7643 §8.2 full user, as stored (canonical names, no password).
FULL_USER: dict[str, Any] = {
    "schemas": [USER_URN, ENTERPRISE_URN],
    "id": BABS,
    "externalId": "701984",
    "userName": "bjensen@example.com",
    "name": {
        "formatted": "Ms. Barbara J Jensen, III",
        "familyName": "Jensen",
        "givenName": "Barbara",
        "middleName": "Jane",
        "honorificPrefix": "Ms.",
        "honorificSuffix": "III",
    },
    "displayName": "Babs Jensen",
    "nickName": "Babs",
    "profileUrl": "https://login.example.com/bjensen",
    "emails": [
        {"value": "bjensen@example.com", "type": "work", "primary": True},
        {"value": "babs@jensen.org", "type": "home"},
    ],
    "addresses": [
        {
            "type": "work",
            "streetAddress": "100 Universal City Plaza",
            "locality": "Hollywood",
            "region": "CA",
            "postalCode": "91608",
            "country": "USA",
            "formatted": "100 Universal City Plaza\nHollywood, CA 91608 USA",
            "primary": True,
        },
        {
            "type": "home",
            "streetAddress": "456 Hollywood Blvd",
            "locality": "Hollywood",
            "region": "CA",
            "postalCode": "91608",
            "country": "USA",
            "formatted": "456 Hollywood Blvd\nHollywood, CA 91608 USA",
        },
    ],
    "phoneNumbers": [
        {"value": "555-555-5555", "type": "work"},
        {"value": "555-555-4444", "type": "mobile"},
    ],
    "ims": [{"value": "someaimhandle", "type": "aim"}],
    "userType": "Employee",
    "title": "Tour Guide",
    "preferredLanguage": "en-US",
    "locale": "en-US",
    "timezone": "America/Los_Angeles",
    "active": True,
    "groups": [
        {
            "value": "e9e30dba-f08f-4109-8486-d5c6a331660a",
            "$ref": "https://example.com/v2/Groups/e9e30dba-f08f-4109-8486-d5c6a331660a",
            "display": "Tour Guides",
        }
    ],
    ENTERPRISE_URN: {
        "employeeNumber": "701984",
        "costCenter": "4130",
        "organization": "Universal Studios",
        "division": "Theme Park",
        "department": "Tour Operations",
        "manager": {
            "value": MANAGER,
            "$ref": f"../Users/{MANAGER}",
            "displayName": "John Smith",
        },
    },
    "meta": {
        "resourceType": "User",
        "created": "2010-01-23T04:56:22Z",
        "lastModified": "2011-05-13T04:42:34Z",
        "version": 'W/"3694e05e9dff591"',
        "location": f"https://example.com/v2/Users/{BABS}",
    },
}

GROUP: dict[str, Any] = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
    "id": "e9e30dba-f08f-4109-8486-d5c6a331660a",
    "displayName": "Tour Guides",
    "members": [
        {"value": BABS, "$ref": f"https://example.com/v2/Users/{BABS}", "display": "Babs Jensen"},
        {"value": MANAGER, "$ref": f"https://example.com/v2/Users/{MANAGER}", "display": "John"},
    ],
}
BABS_MEMBER = {
    "display": "Babs Jensen",
    "$ref": f"https://example.com/v2/Users/{BABS}",
    "value": BABS,
}
JAMES_MEMBER = {
    "display": "James Smith",
    "$ref": f"https://example.com/v2/Users/{JAMES}",
    "value": JAMES,
}


def body(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP_URN], "Operations": list(operations)}


def patch(
    doc: dict[str, Any], *operations: dict[str, Any], rtype: ResourceType = USER_RESOURCE
) -> dict[str, Any]:
    """Parse and apply; also check the input document is never modified."""
    before = copy.deepcopy(doc)
    result = apply_patch(doc, parse_patch_request(body(*operations)), rtype)
    assert doc == before
    return result


def user(**changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(FULL_USER)
    doc.update(changes)
    return {k: v for k, v in doc.items() if v is not None}


def emails(doc: dict[str, Any]) -> list[tuple[str, str | None, bool | None]]:
    return [(e["value"], e.get("type"), e.get("primary")) for e in doc.get("emails", [])]


# --- parsing -----------------------------------------------------------------------------


def test_parse_lowers_op_and_parses_paths():
    ops = parse_patch_request(
        body(
            {"op": "Add", "path": 'emails[type eq "work"].value', "value": "x@example.com"},
            {"op": "REMOVE", "path": "members"},
            {"op": "replace", "value": {"active": False}},
        )
    )
    assert [op.op for op in ops] == ["add", "remove", "replace"]
    assert ops[0].path is not None and ops[0].path.sub_attr == "value"
    assert ops[0].path.value_filter is not None
    assert ops[1].value is None and ops[2].path is None


def test_parse_matches_member_names_case_insensitively_and_ignores_unknown_ones():
    ops = parse_patch_request(
        {
            "SCHEMAS": [PATCH_OP_URN.upper()],
            "operations": [{"OP": "add", "Path": "title", "VALUE": "Boss", "comment": "hi"}],
            "extra": 1,
        }
    )
    assert ops[0].op == "add" and str(ops[0].path.attr) == "title"  # type: ignore[union-attr]
    assert ops[0].value == "Boss"


@pytest.mark.parametrize(
    "request_body",
    [
        [],
        {"Operations": [{"op": "add", "path": "title", "value": "x"}]},
        {"schemas": [USER_URN], "Operations": [{"op": "add", "path": "title", "value": "x"}]},
        {"schemas": PATCH_OP_URN, "Operations": [{"op": "add", "path": "title", "value": "x"}]},
        {"schemas": [PATCH_OP_URN]},
        {"schemas": [PATCH_OP_URN], "Operations": []},
        {"schemas": [PATCH_OP_URN], "Operations": {"op": "add"}},
        body("add"),
        body({"path": "title", "value": "x"}),
        body({"op": "move", "path": "title", "value": "x"}),
        body({"op": 1, "path": "title", "value": "x"}),
    ],
)
def test_malformed_requests_are_invalid_syntax(request_body: Any):
    with pytest.raises(InvalidSyntax):
        parse_patch_request(request_body)


def test_remove_without_path_is_no_target():
    with pytest.raises(NoTarget, match="path"):
        parse_patch_request(body({"op": "remove"}))


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "add", "path": "title"},
        {"op": "add", "path": "title", "value": None},
        {"op": "replace", "path": "title"},
        {"op": "add", "value": "x"},
        {"op": "replace", "value": [{"title": "x"}, {"title": "y"}]},
        {"op": "replace", "value": None},
    ],
)
def test_missing_or_shapeless_values_are_invalid_value(operation: dict[str, Any]):
    with pytest.raises(InvalidValue):
        parse_patch_request(body(operation))


@pytest.mark.parametrize("path", ["", "  ", 5, "emails[type eq]", 'emails[type eq "w"', "a..b"])
def test_bad_paths_are_invalid_path(path: Any):
    with pytest.raises(InvalidPath):
        parse_patch_request(body({"op": "add", "path": path, "value": "x"}))


def test_replace_with_explicit_null_value_parses():
    [op] = parse_patch_request(body({"op": "replace", "path": "title", "value": None}))
    assert op == PatchOperation("replace", op.path, None)


# --- add (RFC 7644 §3.5.2.1) -------------------------------------------------------------


def test_rfc_add_members_to_group():
    group = {**GROUP, "members": [GROUP["members"][1]]}
    result = patch(
        group, {"op": "add", "path": "members", "value": [BABS_MEMBER]}, rtype=GROUP_RESOURCE
    )
    assert [m["value"] for m in result["members"]] == [MANAGER, BABS]
    assert result["members"][1] == BABS_MEMBER


def test_add_member_already_present_by_value_changes_nothing():
    member = {"value": BABS.upper(), "display": "Someone else"}
    result = patch(GROUP, {"op": "add", "path": "members", "value": member}, rtype=GROUP_RESOURCE)
    assert result["members"] == GROUP["members"]


def test_add_to_absent_members_creates_the_list_from_a_single_object():
    group = {k: v for k, v in GROUP.items() if k != "members"}
    result = patch(
        group, {"op": "add", "path": "members", "value": {"value": JAMES}}, rtype=GROUP_RESOURCE
    )
    assert result["members"] == [{"value": JAMES}]


def test_rfc_add_without_path_appends_emails_and_sets_nickname():
    doc = user(nickName=None, emails=[FULL_USER["emails"][0]])
    value = {"emails": [{"value": "babs@jensen.org", "type": "home"}], "nickname": "Babs"}
    result = patch(doc, {"op": "add", "value": value})
    assert emails(result) == [
        ("bjensen@example.com", "work", True),
        ("babs@jensen.org", "home", None),
    ]
    assert result["nickName"] == "Babs" and "nickname" not in result


def test_add_of_a_value_already_present_changes_nothing():
    value = {"emails": [{"value": "BABS@jensen.org", "TYPE": "home"}]}
    assert patch(FULL_USER, {"op": "add", "value": value}) == FULL_USER


def test_add_single_valued_attribute_replaces_it():
    result = patch(FULL_USER, {"op": "add", "path": "Title", "value": "Head Guide"})
    assert result["title"] == "Head Guide" and "Title" not in result


def test_add_complex_attribute_merges_sub_attributes():
    result = patch(FULL_USER, {"op": "add", "path": "name", "value": {"GIVENNAME": "Babs"}})
    assert result["name"] == {**FULL_USER["name"], "givenName": "Babs"}


def test_add_sub_attribute_creates_the_complex_attribute():
    doc = user(name=None)
    result = patch(doc, {"op": "add", "path": "name.familyName", "value": "Jensen"})
    assert result["name"] == {"familyName": "Jensen"}


def test_add_with_value_filter_sets_sub_attribute_on_matching_elements():
    result = patch(
        FULL_USER, {"op": "add", "path": 'emails[type eq "work"].display', "value": "Work"}
    )
    assert result["emails"][0]["display"] == "Work" and "display" not in result["emails"][1]


def test_add_with_a_non_eq_value_filter_matching_nothing_is_no_target():
    with pytest.raises(NoTarget):
        patch(FULL_USER, {"op": "add", "path": 'emails[type co "oth"].value', "value": "x"})


def test_add_extension_attribute_by_urn_path():
    path = f"{ENTERPRISE_URN}:employeeNumber"
    result = patch(FULL_USER, {"op": "add", "path": path, "value": "42"})
    assert result[ENTERPRISE_URN]["employeeNumber"] == "42"


def test_add_extension_to_user_without_it_updates_schemas():
    doc = user(**{ENTERPRISE_URN: None, "schemas": [USER_URN]})
    path = f"{ENTERPRISE_URN.lower()}:DEPARTMENT"
    result = patch(doc, {"op": "add", "path": path, "value": "Tours"})
    assert result[ENTERPRISE_URN] == {"department": "Tours"}
    assert result["schemas"] == [USER_URN, ENTERPRISE_URN]


def test_add_whole_extension_object_merges_it():
    value = {"division": "Studios", "manager": {"value": JAMES}}
    result = patch(FULL_USER, {"op": "add", "path": ENTERPRISE_URN, "value": value})
    ext = result[ENTERPRISE_URN]
    assert ext["division"] == "Studios" and ext["department"] == "Tour Operations"
    assert ext["manager"] == {**FULL_USER[ENTERPRISE_URN]["manager"], "value": JAMES}


def test_add_without_path_accepts_extension_objects_and_qualified_names():
    value = {
        ENTERPRISE_URN: {"costCenter": "999"},
        f"{ENTERPRISE_URN}:organization": "Acme",
        f"{USER_URN}:title": "Boss",
        "name.givenName": "Barb",
    }
    result = patch(FULL_USER, {"op": "add", "value": value})
    assert result[ENTERPRISE_URN]["costCenter"] == "999"
    assert result[ENTERPRISE_URN]["organization"] == "Acme"
    assert result["title"] == "Boss" and result["name"]["givenName"] == "Barb"


def test_path_less_value_ignores_schemas_and_read_only_attributes():
    value = {
        "schemas": [USER_URN],
        "id": "other",
        "meta": {"version": "x"},
        "groups": [{"value": "g"}],
        USER_URN: {"displayName": "Barbara"},
    }
    result = patch(FULL_USER, {"op": "replace", "value": value})
    assert result == {**FULL_USER, "displayName": "Barbara"}


def test_read_only_sub_attributes_in_values_are_ignored():
    path = f"{ENTERPRISE_URN}:manager"
    result = patch(FULL_USER, {"op": "replace", "path": path, "value": {"displayName": "X"}})
    assert result == FULL_USER


# --- replace (RFC 7644 §3.5.2.3) ---------------------------------------------------------


def test_rfc_replace_members_of_group():
    value = [BABS_MEMBER, JAMES_MEMBER]
    result = patch(
        GROUP, {"op": "replace", "path": "members", "value": value}, rtype=GROUP_RESOURCE
    )
    assert result["members"] == value


def test_rfc_replace_work_address_selected_by_value_filter():
    value = {
        "type": "work",
        "streetAddress": "911 Universal City Plaza",
        "locality": "Hollywood",
        "region": "CA",
        "postalCode": "91608",
        "country": "US",
        "formatted": "911 Universal City Plaza\nHollywood, CA 91608 US",
        "primary": True,
    }
    result = patch(
        FULL_USER, {"op": "replace", "path": 'addresses[type eq "work"]', "value": value}
    )
    assert result["addresses"] == [value, FULL_USER["addresses"][1]]


def test_rfc_replace_sub_attribute_of_filtered_address():
    path = 'addresses[type eq "work"].streetAddress'
    result = patch(FULL_USER, {"op": "replace", "path": path, "value": "1010 Broadway Ave"})
    assert result["addresses"][0]["streetAddress"] == "1010 Broadway Ave"
    assert result["addresses"][0]["locality"] == "Hollywood"
    assert result["addresses"][1] == FULL_USER["addresses"][1]


def test_rfc_replace_without_path():
    value = {
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": True},
            {"value": "babs@jensen.org", "type": "home"},
        ],
        "nickname": "Babs",
    }
    doc = user(emails=[{"value": "old@example.com", "type": "other"}], nickName="B")
    result = patch(doc, {"op": "replace", "value": value})
    assert result["emails"] == value["emails"] and result["nickName"] == "Babs"


def test_replace_multi_valued_attribute_replaces_the_whole_list():
    value = {"value": "new@example.com", "type": "work"}
    result = patch(FULL_USER, {"op": "replace", "path": "emails", "value": value})
    assert result["emails"] == [value]


def test_replace_complex_attribute_merges_sub_attributes():
    result = patch(FULL_USER, {"op": "replace", "path": "name", "value": {"familyName": "Smith"}})
    assert result["name"] == {**FULL_USER["name"], "familyName": "Smith"}


def test_replace_absent_attribute_adds_it():
    result = patch(user(title=None), {"op": "replace", "path": "title", "value": "Guide"})
    assert result["title"] == "Guide"


def test_replace_with_value_filter_matching_nothing_is_no_target():
    with pytest.raises(NoTarget):
        patch(FULL_USER, {"op": "replace", "path": 'emails[type eq "other"]', "value": {}})


def test_replace_with_null_removes():
    result = patch(FULL_USER, {"op": "replace", "path": "nickName", "value": None})
    assert "nickName" not in result
    result = patch(
        FULL_USER, {"op": "replace", "value": {"title": None, "name": {"middleName": None}}}
    )
    assert "title" not in result and "middleName" not in result["name"]


def test_replace_sub_attribute_without_filter_sets_it_on_every_element():
    result = patch(FULL_USER, {"op": "replace", "path": "phoneNumbers.display", "value": "x"})
    assert [p["display"] for p in result["phoneNumbers"]] == ["x", "x"]


# --- remove (RFC 7644 §3.5.2.2) ----------------------------------------------------------


def test_rfc_remove_single_member():
    path = f'members[value eq "{BABS}"]'
    result = patch(GROUP, {"op": "remove", "path": path}, rtype=GROUP_RESOURCE)
    assert [m["value"] for m in result["members"]] == [MANAGER]


def test_rfc_remove_all_members():
    result = patch(GROUP, {"op": "remove", "path": "members"}, rtype=GROUP_RESOURCE)
    assert "members" not in result


def test_rfc_remove_all_members_then_add_new_ones():
    result = patch(
        GROUP,
        {"op": "remove", "path": "members"},
        {"op": "add", "path": "members", "value": [BABS_MEMBER, JAMES_MEMBER]},
        rtype=GROUP_RESOURCE,
    )
    assert result["members"] == [BABS_MEMBER, JAMES_MEMBER]


def test_rfc_remove_emails_selected_by_complex_filter():
    path = 'emails[type eq "work" and value ew "example.com"]'
    result = patch(FULL_USER, {"op": "remove", "path": path})
    assert emails(result) == [("babs@jensen.org", "home", None)]


def test_removing_the_last_matching_value_unassigns_the_attribute():
    result = patch(FULL_USER, {"op": "remove", "path": 'ims[type eq "aim"]'})
    assert "ims" not in result


def test_rfc_remove_manager_from_extension():
    result = patch(FULL_USER, {"op": "remove", "path": f"{ENTERPRISE_URN}:manager"})
    assert "manager" not in result[ENTERPRISE_URN]
    assert result[ENTERPRISE_URN]["department"] == "Tour Operations"


def test_remove_whole_extension_updates_schemas():
    result = patch(FULL_USER, {"op": "remove", "path": ENTERPRISE_URN})
    assert ENTERPRISE_URN not in result and result["schemas"] == [USER_URN]


def test_remove_sub_attribute_of_filtered_elements():
    result = patch(FULL_USER, {"op": "remove", "path": 'emails[type eq "work"].primary'})
    assert emails(result) == [
        ("bjensen@example.com", "work", None),
        ("babs@jensen.org", "home", None),
    ]


def test_remove_sub_attribute_of_complex_attribute():
    result = patch(FULL_USER, {"op": "remove", "path": "name.middleName"})
    assert "middleName" not in result["name"] and result["name"]["givenName"] == "Barbara"


@pytest.mark.parametrize(
    "path",
    ["title", 'emails[type eq "other"]', "x509Certificates", f"{ENTERPRISE_URN}:manager.value"],
)
def test_removing_what_is_not_there_succeeds(path: str):
    doc = user(title=None, **{ENTERPRISE_URN: {"department": "x"}})
    assert patch(doc, {"op": "remove", "path": path}) == doc


def test_remove_with_value_removes_only_the_given_members():
    operation = {"op": "remove", "path": "members", "value": [{"value": BABS}]}
    result = patch(GROUP, operation, rtype=GROUP_RESOURCE)
    assert [m["value"] for m in result["members"]] == [MANAGER]


# --- mutability ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "remove", "path": "userName"},
        {"op": "replace", "path": "userName", "value": None},
        {"op": "replace", "value": {"userName": None}},
    ],
)
def test_removing_a_required_attribute_is_mutability(operation: dict[str, Any]):
    with pytest.raises(Mutability, match="userName"):
        patch(FULL_USER, operation)


@pytest.mark.parametrize(
    ("op", "path"),
    [
        ("replace", "id"),
        ("remove", "id"),
        ("replace", "meta.lastModified"),
        ("add", "groups"),
        ("remove", 'groups[value eq "e9e30dba-f08f-4109-8486-d5c6a331660a"]'),
        ("replace", f"{ENTERPRISE_URN}:manager.displayName"),
    ],
)
def test_paths_to_read_only_attributes_are_mutability(op: str, path: str):
    with pytest.raises(Mutability, match="readOnly"):
        patch(FULL_USER, {"op": op, "path": path, "value": "x"})


def test_immutable_member_value_cannot_change():
    path = f'members[value eq "{BABS}"]'
    with pytest.raises(Mutability, match="immutable"):
        patch(
            GROUP, {"op": "replace", "path": path, "value": {"value": JAMES}}, rtype=GROUP_RESOURCE
        )
    with pytest.raises(Mutability, match="immutable"):
        patch(GROUP, {"op": "remove", "path": f"{path}.value"}, rtype=GROUP_RESOURCE)


def test_immutable_sub_attribute_may_be_added_when_unassigned():
    group = {**GROUP, "members": [{"value": BABS}]}
    operation = {"op": "add", "path": f'members[value eq "{BABS}"].display', "value": "Babs"}
    result = patch(group, operation, rtype=GROUP_RESOURCE)
    assert result["members"] == [{"value": BABS, "display": "Babs"}]


# --- primary (RFC 7643 §2.4) --------------------------------------------------------------


def test_adding_a_primary_value_demotes_the_previous_primary():
    value = {"value": "new@example.com", "type": "work", "primary": True}
    result = patch(FULL_USER, {"op": "add", "path": "emails", "value": value})
    assert [e[2] for e in emails(result)] == [False, None, True]


def test_setting_primary_through_a_filter_demotes_the_others():
    path = 'emails[type eq "home"].primary'
    result = patch(FULL_USER, {"op": "replace", "path": path, "value": True})
    assert [e[2] for e in emails(result)] == [False, True]


def test_two_primary_values_in_one_operation_are_invalid():
    value = [
        {"value": "a@example.com", "primary": True},
        {"value": "b@example.com", "primary": True},
    ]
    with pytest.raises(InvalidValue, match="primary"):
        patch(FULL_USER, {"op": "add", "path": "emails", "value": value})


# --- errors and atomicity -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("nosuch", InvalidPath),
        ("urn:example:unknown:2.0:User:thing", InvalidPath),
        (f"{ENTERPRISE_URN}:nosuch", InvalidPath),
        ("name.nosuch", InvalidPath),
        ('title[value eq "x"]', InvalidPath),
        ('name[givenName eq "x"]', InvalidPath),
        ('emails[type eq "work"].nosuch', InvalidPath),
        ('emails[nosuch eq "work"]', InvalidFilter),
        ("emails[primary gt true]", InvalidPath),
    ],
)
def test_paths_that_do_not_resolve(path: str, error: type[ScimError]):
    with pytest.raises(error):
        patch(FULL_USER, {"op": "replace", "path": path, "value": "x"})


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "add", "path": "title", "value": {"x": 1}},
        {"op": "add", "path": "name.givenName", "value": {"first": "B"}},
        {"op": "add", "path": "name", "value": "Barbara"},
        {"op": "add", "path": "emails", "value": ["a@example.com"]},
        {"op": "add", "path": 'emails[type eq "work"]', "value": "a@example.com"},
    ],
)
def test_structurally_impossible_values_are_invalid_value(operation: dict[str, Any]):
    with pytest.raises(InvalidValue):
        patch(FULL_USER, operation)


@pytest.mark.parametrize(
    "value",
    [{"nosuch": 1}, {"name": {"nosuch": 1}}, {ENTERPRISE_URN: {"nosuch": 1}}, {"urn:x:y": 1}],
)
def test_unknown_attributes_in_values_are_invalid_syntax(value: dict[str, Any]):
    with pytest.raises(InvalidSyntax):
        patch(FULL_USER, {"op": "add", "value": value})


def test_failed_operation_sequence_leaves_the_input_untouched():
    before = copy.deepcopy(FULL_USER)
    ops = parse_patch_request(
        body(
            {"op": "replace", "path": "displayName", "value": "Changed"},
            {"op": "remove", "path": "emails"},
            {"op": "add", "path": f"{ENTERPRISE_URN}:department", "value": "New"},
            {"op": "replace", "path": 'addresses[type eq "other"]', "value": {"locality": "X"}},
        )
    )
    with pytest.raises(NoTarget):
        apply_patch(FULL_USER, ops, USER_RESOURCE)
    assert before == FULL_USER


def test_operations_apply_in_order():
    result = patch(
        FULL_USER,
        {"op": "remove", "path": "emails"},
        {"op": "add", "path": "emails", "value": {"value": "new@example.com"}},
        {"op": "replace", "path": 'emails[value eq "NEW@example.com"].type', "value": "work"},
    )
    assert result["emails"] == [{"value": "new@example.com", "type": "work"}]


# --- patch_targets_only -------------------------------------------------------------------


def test_patch_targets_only_members():
    members = parse_patch_request(
        body(
            {"op": "add", "path": "members", "value": [{"value": JAMES}]},
            {"op": "remove", "path": f'Members[value eq "{BABS}"]'},
            {
                "op": "replace",
                "path": "urn:ietf:params:scim:schemas:core:2.0:Group:members",
                "value": [],
            },
        )
    )
    assert patch_targets_only(members, "members")
    mixed = [
        *members,
        *parse_patch_request(body({"op": "replace", "path": "displayName", "value": "x"})),
    ]
    assert not patch_targets_only(mixed, "members")
    no_path = parse_patch_request(body({"op": "add", "value": {"members": [{"value": JAMES}]}}))
    assert not patch_targets_only(no_path, "members")
    assert not patch_targets_only([], "members")


def test_declared_extension_without_data_stays_listed_in_schemas():
    doc = user(**{ENTERPRISE_URN: None})
    result = patch(doc, {"op": "replace", "path": "title", "value": "Guide"})
    assert result["schemas"] == [USER_URN, ENTERPRISE_URN]


def test_value_filter_on_a_whole_extension_is_invalid_path():
    with pytest.raises(InvalidPath):
        patch(FULL_USER, {"op": "remove", "path": f'{ENTERPRISE_URN}[value eq "x"]'})


def test_removing_from_an_absent_extension_succeeds():
    doc = user(**{ENTERPRISE_URN: None})
    assert patch(doc, {"op": "remove", "path": f"{ENTERPRISE_URN}:department"}) == doc


def test_one_element_array_is_accepted_where_an_object_is_expected():
    value = [{"display": "Work mail"}]
    result = patch(FULL_USER, {"op": "replace", "path": 'emails[type eq "work"]', "value": value})
    assert result["emails"][0]["display"] == "Work mail"


# --- other schemas: simple multi-valued attributes, required extensions ---------------------

BADGE_URN = "urn:example:params:scim:schemas:extension:badge:2.0:Device"
DEVICE = ResourceType(
    name="Device",
    endpoint="/Devices",
    description="A device",
    schema=Schema(
        "urn:example:params:scim:schemas:core:2.0:Device",
        "Device",
        "Device",
        (Attribute("serial", required=True), Attribute("tags", multi_valued=True)),
    ),
    extensions=(
        Extension(
            Schema(BADGE_URN, "Badge", "Badge", (Attribute("badge", required=True),)),
            required=True,
        ),
    ),
)
DEVICE_DOC = {"serial": "A1", "tags": ["blue", "Red"], BADGE_URN: {"badge": "B7"}}


def test_simple_multi_valued_add_skips_values_already_present():
    operation = {"op": "add", "path": "tags", "value": ["RED", "green"]}
    assert patch(DEVICE_DOC, operation, rtype=DEVICE)["tags"] == ["blue", "Red", "green"]


def test_simple_multi_valued_remove_with_value_drops_only_those():
    operation = {"op": "remove", "path": "tags", "value": "red"}
    assert patch(DEVICE_DOC, operation, rtype=DEVICE)["tags"] == ["blue"]


def test_simple_multi_valued_values_cannot_be_objects():
    with pytest.raises(InvalidValue):
        patch(DEVICE_DOC, {"op": "add", "path": "tags", "value": {"x": 1}}, rtype=DEVICE)


@pytest.mark.parametrize("path", [BADGE_URN, f"{BADGE_URN}:badge"])
def test_removing_a_required_extension_or_its_required_attribute_is_mutability(path: str):
    with pytest.raises(Mutability, match="Required"):
        patch(DEVICE_DOC, {"op": "remove", "path": path}, rtype=DEVICE)


def test_documents_without_schemas_are_left_without_schemas():
    result = patch(DEVICE_DOC, {"op": "replace", "path": "serial", "value": "A2"}, rtype=DEVICE)
    assert result == {**DEVICE_DOC, "serial": "A2"}


def _op(op: str, path: str, value: Any) -> PatchOperation:
    body = {"schemas": [PATCH_OP_URN], "Operations": [{"op": op, "path": path, "value": value}]}
    return parse_patch_request(body)[0]


def test_add_through_an_eq_filter_creates_the_missing_element():
    # Microsoft Entra ID sets a work email this way on users that have none yet.
    doc = {"schemas": [USER_URN], "userName": "u", "emails": [{"value": "h@x.io", "type": "home"}]}
    op = _op("add", 'emails[type eq "work"].value', "w@x.io")
    out = apply_patch(doc, [op], USER_RESOURCE)
    assert out["emails"] == [
        {"value": "h@x.io", "type": "home"},
        {"type": "work", "value": "w@x.io"},
    ]


def test_replace_through_a_filter_matching_nothing_is_still_no_target():
    doc = {"schemas": [USER_URN], "userName": "u"}
    op = _op("replace", 'emails[type eq "work"].value', "w@x.io")
    with pytest.raises(NoTarget):
        apply_patch(doc, [op], USER_RESOURCE)
