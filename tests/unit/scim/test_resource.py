"""Validation and canonicalisation of request bodies (RFC 7643 §2, RFC 7644 §3.3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scimhub.scim.definitions import ENTERPRISE_URN, GROUP_RESOURCE, USER_RESOURCE, USER_URN
from scimhub.scim.errors import InvalidSyntax, InvalidValue, ScimError
from scimhub.scim.resource import validate_resource

SAMPLES = Path(__file__).parents[2] / "samples"


def _sample(name):
    return json.loads((SAMPLES / name).read_text())


def test_attribute_names_are_canonicalised_case_insensitively():
    doc = validate_resource(
        {"SCHEMAS": None, "schemas": [USER_URN], "USERNAME": "a", "Name": {"GIVENNAME": "x"}},
        USER_RESOURCE,
    )
    assert doc["userName"] == "a" and doc["name"] == {"givenName": "x"}


def test_read_only_attributes_are_dropped():
    doc = validate_resource(_sample("rfc7643_8.2_full_user.json"), USER_RESOURCE)
    assert "id" not in doc and "meta" not in doc and "groups" not in doc


def test_enterprise_sample_keeps_extension_and_drops_read_only_manager_display():
    doc = validate_resource(_sample("rfc7643_8.3_enterprise_user.json"), USER_RESOURCE)
    assert doc["schemas"] == [USER_URN, ENTERPRISE_URN]
    assert doc[ENTERPRISE_URN]["manager"] == {
        "value": "26118915-6090-4610-87e4-49d8ca9f808d",
        "$ref": "../Users/26118915-6090-4610-87e4-49d8ca9f808d",
    }


def test_extension_schema_urn_lookup_ignores_case():
    body = {"schemas": [USER_URN], "userName": "a", ENTERPRISE_URN.upper(): {"department": "D"}}
    doc = validate_resource(body, USER_RESOURCE)
    assert doc[ENTERPRISE_URN] == {"department": "D"}
    assert ENTERPRISE_URN in doc["schemas"]


def test_nulls_and_empty_values_are_unassigned():
    body = {"schemas": [USER_URN], "userName": "a", "title": None, "emails": [], "name": {}}
    assert validate_resource(body, USER_RESOURCE) == {"userName": "a", "schemas": [USER_URN]}


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ([], InvalidSyntax),
        ({"userName": "a"}, InvalidSyntax),
        ({"schemas": "x", "userName": "a"}, InvalidSyntax),
        ({"schemas": ["urn:x"], "userName": "a"}, InvalidValue),
        ({"schemas": [ENTERPRISE_URN], "userName": "a"}, InvalidValue),
        ({"schemas": [USER_URN]}, InvalidValue),
        ({"schemas": [USER_URN], "userName": 1}, InvalidValue),
        ({"schemas": [USER_URN], "userName": "a", "active": "yes"}, InvalidValue),
        ({"schemas": [USER_URN], "userName": "a", "active": 1}, InvalidValue),
        ({"schemas": [USER_URN], "userName": "a", "emails": {"value": "x"}}, InvalidValue),
        ({"schemas": [USER_URN], "userName": "a", "name": "x"}, InvalidValue),
        ({"schemas": [USER_URN], "userName": "a", "bogus": 1}, InvalidSyntax),
        ({"schemas": [USER_URN], "userName": "a", "name": {"bogus": "x"}}, InvalidSyntax),
    ],
)
def test_invalid_bodies_raise_the_precise_error(body, error):
    with pytest.raises(error) as info:
        validate_resource(body, USER_RESOURCE)
    assert isinstance(info.value, ScimError) and info.value.status == 400


def test_booleans_are_not_numbers_and_numbers_are_not_booleans():
    with pytest.raises(InvalidValue):
        validate_resource(
            {"schemas": [USER_URN], "userName": "a", "emails": [{"value": "x", "primary": 1}]},
            USER_RESOURCE,
        )


def test_group_requires_display_name():
    with pytest.raises(InvalidValue, match="displayName"):
        validate_resource({"schemas": [GROUP_RESOURCE.schema.id]}, GROUP_RESOURCE)


def test_password_stays_in_the_document_for_the_store_to_hash():
    body = {"schemas": [USER_URN], "userName": "a", "password": "p"}
    assert validate_resource(body, USER_RESOURCE)["password"] == "p"
