"""attributes / excludedAttributes (RFC 7644 §3.4.2.5) on stored documents."""

from __future__ import annotations

import pytest

from scimhub.scim.definitions import ENTERPRISE_URN, USER_RESOURCE, USER_URN
from scimhub.scim.errors import InvalidValue
from scimhub.scim.projection import parse_projection, project

DOC = {
    "schemas": [USER_URN, ENTERPRISE_URN],
    "id": "1",
    "userName": "bjensen",
    "name": {"givenName": "Barbara", "familyName": "Jensen"},
    "emails": [{"value": "a@x.io", "type": "work"}, {"value": "b@x.io", "type": "home"}],
    "title": "Guide",
    ENTERPRISE_URN: {"department": "Tours", "costCenter": "4130"},
    "meta": {"resourceType": "User", "version": 'W/"1"'},
}


def _project(attributes=None, excluded=None):
    return project(DOC, parse_projection(USER_RESOURCE, attributes, excluded))


def test_no_parameters_return_the_document_itself():
    assert _project() is DOC


def test_attributes_keep_only_those_plus_always_returned():
    assert _project("userName") == {"schemas": DOC["schemas"], "id": "1", "userName": "bjensen"}


def test_sub_attribute_selection():
    out = _project("name.givenName,emails.value")
    assert out["name"] == {"givenName": "Barbara"}
    assert out["emails"] == [{"value": "a@x.io"}, {"value": "b@x.io"}]


def test_names_are_case_insensitive_and_urn_qualified_paths_work():
    out = _project(f"USERNAME,{ENTERPRISE_URN}:department")
    assert out[ENTERPRISE_URN] == {"department": "Tours"} and out["userName"] == "bjensen"


def test_whole_extension_can_be_selected_or_excluded():
    assert _project(ENTERPRISE_URN)[ENTERPRISE_URN] == DOC[ENTERPRISE_URN]
    assert ENTERPRISE_URN not in _project(excluded=ENTERPRISE_URN)


def test_excluded_attributes_never_remove_id_or_schemas():
    out = _project(excluded="id,schemas,emails,meta,name.familyName")
    assert out["id"] == "1" and out["schemas"] == DOC["schemas"]
    assert "emails" not in out and "meta" not in out
    assert out["name"] == {"givenName": "Barbara"}


def test_unknown_attribute_is_an_invalid_value():
    with pytest.raises(InvalidValue):
        parse_projection(USER_RESOURCE, "nope", None)
