"""The mapping turned into SCIM documents and minimal changes, checked against the SCIM core.

PATCH operations are applied with the project's own PATCH engine (``scim.patch``, RFC 7644
§3.5.2) and the result read back: whatever the change, the target ends up holding ``new``.
"""

from __future__ import annotations

import copy
import itertools
from datetime import UTC, datetime
from typing import Any

import pytest

from scimhub.applications.catalog import ENTERPRISE_DEPARTMENT, PROFITCO, Mapping
from scimhub.directory.models import DirectoryUser, UserState
from scimhub.provisioning.attributes import (
    desired_values,
    differences,
    fingerprint,
    patch_operations,
    replaced_resource,
    resource_of,
    values_of,
)
from scimhub.scim.definitions import USER_RESOURCE
from scimhub.scim.patch import PATCH_OP_URN, apply_patch, parse_patch_request

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
WORK = 'emails[type eq "work"].value'
WORK_DISPLAY = 'emails[type eq "work"].display'
MAPPING = PROFITCO.mapping
#: Profit.co's mapping plus a second sub-attribute of the work email.
WITH_DISPLAY = (*MAPPING, Mapping("firstname", WORK_DISPLAY))
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def a_user(**fields: Any) -> DirectoryUser:
    base = {
        "id": "u1",
        "username": "ann@example.com",
        "email": "ann.work@example.com",
        "firstname": "Ann",
        "lastname": "Lee",
        "department": "Engineering",
        "job_title": "",
        "state": UserState.ACTIVATED,
        "created": NOW,
        "updated": NOW,
    }
    return DirectoryUser(**{**base, **fields})


def ann(**changes: Any) -> dict[str, Any]:
    return {**desired_values(a_user(), MAPPING, active=True), **changes}


def patched(doc: dict[str, Any], ops: list[dict[str, Any]]) -> dict[str, Any]:
    """``doc`` after ``ops``, applied by the provider's own PATCH engine."""
    if not ops:
        return doc
    request = parse_patch_request({"schemas": [PATCH_OP_URN], "Operations": ops})
    return apply_patch(doc, request, USER_RESOURCE)


# --- desired values and the create body ---------------------------------------------------


def test_desired_values_follow_the_mapping_with_empty_strings_absent():
    assert desired_values(a_user(job_title=""), MAPPING, active=False) == {
        "userName": "ann@example.com",
        WORK: "ann.work@example.com",
        "name.givenName": "Ann",
        "name.familyName": "Lee",
        "active": False,
        ENTERPRISE_DEPARTMENT: "Engineering",
        "title": None,
    }


def test_job_title_is_read_from_the_directory_users_job_title():
    values = desired_values(a_user(job_title="CTO"), MAPPING, active=True)
    assert values["title"] == "CTO" and values["active"] is True


def test_the_create_body_nests_names_types_emails_and_extensions():
    assert resource_of(ann(), MAPPING) == {
        "schemas": [USER, ENTERPRISE],
        "userName": "ann@example.com",
        "emails": [{"type": "work", "primary": True, "value": "ann.work@example.com"}],
        "name": {"givenName": "Ann", "familyName": "Lee"},
        "active": True,
        ENTERPRISE: {"department": "Engineering"},
    }


def test_the_create_body_leaves_absent_values_and_unused_extensions_out():
    body = resource_of(
        ann(**{ENTERPRISE_DEPARTMENT: None, WORK: "", "name.givenName": None}), MAPPING
    )
    assert body == {
        "schemas": [USER],
        "userName": "ann@example.com",
        "name": {"familyName": "Lee"},
        "active": True,
    }


def test_two_sub_attributes_of_one_element_make_one_element():
    values = desired_values(a_user(), WITH_DISPLAY, active=True)
    body = resource_of(values, WITH_DISPLAY)
    assert body["emails"] == [
        {"type": "work", "primary": True, "value": "ann.work@example.com", "display": "Ann"}
    ]


def test_the_create_body_is_a_valid_user_the_core_reads_back():
    body = resource_of(ann(), MAPPING)
    assert values_of(
        patched(body, [{"op": "replace", "path": "title", "value": "x"}]), MAPPING
    ) == ann(title="x")


# --- reading the target's copy ------------------------------------------------------------


def test_values_are_read_back_from_the_create_body():
    assert values_of(resource_of(ann(), MAPPING), MAPPING) == ann()


def test_values_are_read_leniently_whatever_the_case():
    resource = {
        "USERNAME": "ann@example.com",
        "Emails": [{"Type": "WORK", "Value": "ann.work@example.com"}],
        "NAME": {"GIVENNAME": "Ann", "familyname": "Lee"},
        "Active": "True",
        ENTERPRISE.upper(): {"Department": "Engineering"},
    }
    assert values_of(resource, MAPPING) == ann()


def test_the_primary_element_of_a_type_wins():
    resource = {
        "emails": [
            {"type": "work", "value": "old@example.com"},
            {"type": "home", "value": "home@example.com", "primary": True},
            {"type": "work", "value": "main@example.com", "primary": True},
        ]
    }
    assert values_of(resource, MAPPING)[WORK] == "main@example.com"


@pytest.mark.parametrize(
    "resource",
    [
        {},
        {"emails": "ann@example.com", "name": "Ann Lee", ENTERPRISE: "Engineering"},
        {"emails": [None, 3, {"type": 1}], "name": {"givenName": ""}, "active": None},
        {"emails": {"type": "work", "value": "x"}, "name": [], ENTERPRISE: []},
    ],
)
def test_odd_shapes_read_as_absent(resource):
    assert set(values_of(resource, MAPPING).values()) == {None}


# --- differences and PATCH ----------------------------------------------------------------


def test_differences_name_only_what_differs_and_absent_is_absent():
    old = ann(title=None)
    new = ann(title="", active=False, **{"name.givenName": "Annie"})
    assert differences(old, new) == {"active": (True, False), "name.givenName": ("Ann", "Annie")}


def test_false_is_not_absent():
    assert differences({"active": None}, {"active": False}) == {"active": (None, False)}


def test_nothing_changed_means_no_operations():
    assert patch_operations(ann(), ann(title=""), MAPPING) == []


def test_operations_are_minimal_and_in_mapping_order():
    new = ann(title="CTO", active=False, **{"name.givenName": None, WORK: "new@example.com"})
    assert patch_operations(ann(), new, MAPPING) == [
        {"op": "replace", "path": WORK, "value": "new@example.com"},
        {"op": "remove", "path": "name.givenName"},
        {"op": "replace", "path": "active", "value": False},
        {"op": "replace", "path": "title", "value": "CTO"},
    ]


def test_an_extension_attribute_is_replaced_on_its_urn_path():
    ops = patch_operations(ann(), ann(**{ENTERPRISE_DEPARTMENT: "Sales"}), MAPPING)
    assert ops == [{"op": "replace", "path": ENTERPRISE_DEPARTMENT, "value": "Sales"}]


def test_a_missing_typed_element_is_added_whole_and_primary():
    ops = patch_operations(ann(**{WORK: None}), ann(), MAPPING)
    assert ops == [
        {
            "op": "add",
            "path": "emails",
            "value": [{"type": "work", "value": "ann.work@example.com", "primary": True}],
        }
    ]


def test_a_cleared_typed_element_is_removed_whole():
    ops = patch_operations(ann(), ann(**{WORK: None}), MAPPING)
    assert ops == [{"op": "remove", "path": 'emails[type eq "work"]'}]


def test_an_element_keeping_another_mapped_value_loses_only_the_cleared_one():
    old = desired_values(a_user(), WITH_DISPLAY, active=True)
    ops = patch_operations(old, {**old, WORK: None}, WITH_DISPLAY)
    assert ops == [{"op": "remove", "path": WORK}]


def test_an_added_element_carries_all_its_mapped_values_in_one_operation():
    old = desired_values(a_user(), WITH_DISPLAY, active=True)
    absent = {**old, WORK: None, WORK_DISPLAY: None}
    ops = patch_operations(absent, old, WITH_DISPLAY)
    assert ops == [
        {
            "op": "add",
            "path": "emails",
            "value": [
                {"type": "work", "value": "ann.work@example.com", "display": "Ann", "primary": True}
            ],
        }
    ]


CHOICES = {
    WORK: (None, "a@example.com", "b@example.com"),
    "name.givenName": (None, "Ann", "Bo"),
    ENTERPRISE_DEPARTMENT: (None, "Eng", "Ops"),
    "active": (True, False),
    "title": (None, "CTO"),
}


def _combinations() -> list[dict[str, Any]]:
    keys = list(CHOICES)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*CHOICES.values())]


@pytest.mark.parametrize("old", _combinations()[::7])
def test_any_change_applied_by_the_core_patch_engine_reaches_the_new_values(old):
    start = resource_of(ann(**old), MAPPING)
    for new in _combinations():
        wanted = ann(**new)
        ops = patch_operations(values_of(start, MAPPING), wanted, MAPPING)
        assert values_of(patched(start, ops), MAPPING) == wanted, ops


def test_operations_leave_unmapped_values_alone():
    start = {
        **resource_of(ann(), MAPPING),
        "emails": [
            {"type": "home", "value": "home@example.com"},
            {"type": "work", "value": "ann.work@example.com", "primary": True},
        ],
        "nickName": "Nan",
    }
    ops = patch_operations(ann(), ann(**{WORK: None, "title": "CTO"}), MAPPING)
    after = patched(start, ops)
    assert after["emails"] == [{"type": "home", "value": "home@example.com"}]
    assert after["nickName"] == "Nan" and after["title"] == "CTO"


# --- PUT ----------------------------------------------------------------------------------


def test_the_put_body_sets_mapped_values_and_keeps_the_rest():
    remote = {
        **resource_of(ann(), MAPPING),
        "id": "r1",
        "Meta": {"version": 'W/"3"'},
        "nickName": "Nan",
        "emails": [
            {"type": "home", "value": "home@example.com"},
            {"type": "Work", "value": "ann.work@example.com", "primary": True},
        ],
    }
    before = copy.deepcopy(remote)
    new = ann(title="CTO", **{WORK: "new@example.com", "name.givenName": None})
    body = replaced_resource(remote, new, MAPPING)
    assert remote == before  # not modified
    assert "Meta" not in body and body["id"] == "r1" and body["nickName"] == "Nan"
    assert body["emails"] == [
        {"type": "home", "value": "home@example.com"},
        {"type": "Work", "value": "new@example.com", "primary": True},
    ]
    assert body["name"] == {"familyName": "Lee"} and body["title"] == "CTO"
    assert values_of(body, MAPPING) == new


def test_the_put_body_drops_an_element_left_without_values():
    remote = resource_of(ann(), MAPPING)
    body = replaced_resource(remote, ann(**{WORK: None}), MAPPING)
    assert "emails" not in body


def test_the_put_body_adds_a_missing_element_and_extension():
    remote = {"schemas": [USER], "userName": "ann@example.com", "id": "r1"}
    body = replaced_resource(remote, ann(), MAPPING)
    assert body["schemas"] == [USER, ENTERPRISE]
    assert body["emails"] == [{"type": "work", "primary": True, "value": "ann.work@example.com"}]
    assert values_of(body, MAPPING) == ann()


def test_the_put_body_writes_into_existing_keys_whatever_their_case():
    remote = {"UserName": "old@example.com", "Name": {"GivenName": "Old"}}
    body = replaced_resource(remote, ann(), MAPPING)
    assert body["UserName"] == "ann@example.com" and body["Name"]["GivenName"] == "Ann"
    assert "userName" not in body and "givenName" not in body["Name"]


# --- fingerprint --------------------------------------------------------------------------


def test_the_fingerprint_ignores_order_and_absent_values():
    values = ann()
    reordered = dict(reversed(list(values.items())))
    assert fingerprint(values) == fingerprint(reordered) == fingerprint({**values, "extra": ""})
    assert len(fingerprint(values)) == 64


def test_the_fingerprint_changes_with_any_value():
    assert fingerprint(ann()) != fingerprint(ann(active=False))
    assert fingerprint(ann()) != fingerprint(ann(title="CTO"))
