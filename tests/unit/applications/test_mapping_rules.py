"""An application's attribute mapping: target shapes, the hub's rules, the JSON form."""

from __future__ import annotations

from dataclasses import replace

import pytest

from scimhub.applications.catalog import ENTERPRISE_DEPARTMENT, GENERIC_SCIM, PROFITCO, Mapping
from scimhub.applications.mapping_rules import (
    MAX_ENTRIES,
    Target,
    checked_mapping,
    mapping_from_json,
    mapping_to_json,
    parse_target,
)
from scimhub.problems import Invalid

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
BASE = (Mapping("username", "userName"), Mapping("state", "active"))


def problems_of(*entries: Mapping) -> str:
    with pytest.raises(Invalid) as caught:
        checked_mapping(entries, PROFITCO)
    return caught.value.detail


# --- parse_target ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("userName", Target(None, "userName", None, None)),
        ("USERNAME", Target(None, "userName", None, None)),
        ("name.givenName", Target(None, "name", "givenName", None)),
        ("name.GIVENNAME", Target(None, "name", "givenName", None)),
        ('emails[type eq "work"].value', Target(None, "emails", "value", "work")),
        ('Emails[TYPE EQ "Work"].Value', Target(None, "emails", "value", "Work")),
        (ENTERPRISE_DEPARTMENT, Target(ENTERPRISE, "department", None, None)),
        (f"{ENTERPRISE}:DEPARTMENT", Target(ENTERPRISE, "department", None, None)),
        ("urn:ietf:params:scim:schemas:core:2.0:User:title", Target(None, "title", None, None)),
        (
            "urn:acme:scim:1.0:User:costCenter",
            Target("urn:acme:scim:1.0:User", "costCenter", None, None),
        ),
        ("externalId", Target(None, "externalId", None, None)),
        ("nickName", Target(None, "nickName", None, None)),
    ],
)
def test_targets_of_the_four_shapes_parse_to_canonical_names(text, expected):
    assert parse_target(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("x" * 301, "at most 300 characters"),
        ("a b", "is not a SCIM path"),
        ("name..givenName", "is not a SCIM path"),
        ('emails[type eq "work"', "is not a SCIM path"),
        ("emails", "is multi-valued"),
        ("name", "is complex"),
        ("name.nickname", "has no sub-attribute 'nickname'"),
        ("title.value", "'title' has no sub-attributes"),
        ('title[type eq "x"].value', "single-valued"),
        ('emails[type eq "work"]', "must name the sub-attribute"),
        ('emails[value eq "a@b.c"].value', 'only filter allowed is [type eq "..."]'),
        ('emails[type eq "a" or type eq "b"].value', 'only filter allowed is [type eq "..."]'),
        ('emails[type ne "work"].value', 'only filter allowed is [type eq "..."]'),
        ("emails[type eq 1].value", 'only filter allowed is [type eq "..."]'),
        ('emails[type eq "work"].nope', "has no sub-attribute 'nope'"),
        (ENTERPRISE, "names a whole schema"),
        (f'{ENTERPRISE}:x[type eq "a"].value', "needs a core attribute"),
        ("urn:a:b", "is not a schema URN"),
        ("urn:ietf:params:scim:schemas:core:2.0:Group:displayName", "not an attribute of a User"),
    ],
)
def test_malformed_targets_are_refused_precisely(text, says):
    with pytest.raises(Invalid, match=None) as caught:
        parse_target(text)
    assert says in caught.value.detail


def test_a_target_renders_as_the_path_it_was_parsed_from():
    for text in ("name.givenName", 'emails[type eq "work"].value', ENTERPRISE_DEPARTMENT):
        assert str(parse_target(text)) == text
    assert parse_target('emails[type eq "a\\"b"].value').element_path == 'emails[type eq "a\\"b"]'


def test_hostile_text_is_shown_flattened_and_cut():
    with pytest.raises(Invalid) as caught:
        parse_target("a\x1b[31m b" + "z" * 250)
    assert "\x1b" not in caught.value.detail
    assert len(caught.value.detail) < 250


# --- checked_mapping ---------------------------------------------------------------------


@pytest.mark.parametrize("entry", [PROFITCO, GENERIC_SCIM])
def test_the_default_mapping_passes(entry):
    assert checked_mapping(entry.mapping, entry) == entry.mapping


def test_the_profitco_default_marks_the_work_email_primary():
    (email,) = [m for m in PROFITCO.mapping if m.source == "email"]
    assert email.primary and parse_target(email.target).type_value == "work"


@pytest.mark.parametrize(
    "target",
    [
        "roles",
        'roles[type eq "admin"].value',
        "manager",
        f"{ENTERPRISE}:manager.value",
        f"{ENTERPRISE}:manager",
        "groups",
        'groups[type eq "direct"].value',
        "password",
        "id",
        "meta.created",
        "schemas",
    ],
)
def test_never_sent_targets_are_refused(target):
    assert f"'{target}' is never sent" in problems_of(*BASE, Mapping("firstname", target))


def test_unknown_sources_are_refused():
    assert "unknown source 'phone'" in problems_of(*BASE, Mapping("phone", "title"))


def test_username_must_be_mapped():
    assert "'userName' must be mapped" in problems_of(Mapping("email", "title"))


def test_username_mapped_twice_is_refused_whatever_its_spelling():
    found = problems_of(*BASE, Mapping("email", "USERNAME"))
    assert "'userName' is mapped 2 times" in found


def test_a_typed_target_mapped_twice_is_refused_whatever_the_case_of_its_type():
    found = problems_of(
        *BASE,
        Mapping("email", 'emails[type eq "work"].value'),
        Mapping("username", 'emails[type eq "WORK"].value'),
    )
    assert "is mapped 2 times" in found


def test_two_elements_of_one_attribute_may_be_mapped():
    entries = (
        *BASE,
        Mapping("email", 'emails[type eq "work"].value', primary=True),
        Mapping("username", 'emails[type eq "other"].value'),
    )
    assert checked_mapping(entries, PROFITCO) == entries


def test_only_one_element_can_be_primary():
    found = problems_of(
        *BASE,
        Mapping("email", 'emails[type eq "work"].value', primary=True),
        Mapping("username", 'emails[type eq "home"].value', primary=True),
    )
    assert "only one element of 'emails' can be primary" in found


def test_primary_needs_a_typed_target():
    assert "is primary" in problems_of(*BASE, Mapping("jobTitle", "title", primary=True))


@pytest.mark.parametrize(
    "entry",
    [Mapping("state", "title"), Mapping("firstname", "active"), Mapping("state", "name.givenName")],
)
def test_state_goes_to_active_only_and_active_comes_from_state_only(entry):
    assert "'state' is sent as 'active'" in problems_of(*BASE, entry)


def test_every_problem_is_listed_at_once():
    with pytest.raises(Invalid) as caught:
        checked_mapping(
            [Mapping("phone", "title"), Mapping("email", "roles"), Mapping("state", "nope!")],
            PROFITCO,
        )
    detail = caught.value.detail
    assert "entry 1: unknown source" in detail
    assert "entry 2: 'roles' is never sent" in detail
    assert "entry 3: The target 'nope!' is not a SCIM path" in detail
    assert "'userName' must be mapped" in detail
    assert len(caught.value.errors) == 4


def test_an_application_specific_never_sent_list_is_honoured():
    strict = replace(GENERIC_SCIM, never_sent=("roles", "manager", "title"))
    with pytest.raises(Invalid, match="'title' is never sent"):
        checked_mapping([*BASE, Mapping("jobTitle", "title")], strict)


# --- JSON form ---------------------------------------------------------------------------


def test_json_round_trips_the_default_mapping():
    data = mapping_to_json(PROFITCO.mapping)
    assert data[1] == {
        "source": "email",
        "target": 'emails[type eq "work"].value',
        "note": "primary",
        "primary": True,
    }
    assert mapping_from_json(data) == PROFITCO.mapping


def test_json_entries_take_defaults_and_are_stripped():
    (entry,) = mapping_from_json([{"source": " email ", "target": "title"}])
    assert entry == Mapping("email", "title", "", False)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"source": "email", "target": "title"}, "must be a JSON array"),
        ("[]", "must be a JSON array"),
        (None, "must be a JSON array"),
        ([["email", "title"]], "entry 1 must be an object"),
        ([{"source": "email"}], "lacks target"),
        ([{}], "lacks source and target"),
        ([{"source": "email", "target": "title", "extra": 1}], "unknown keys: 'extra'"),
        ([{"source": 1, "target": "title"}], "source of mapping entry 1 must be a string"),
        ([{"source": "email", "target": None}], "target of mapping entry 1 must be a string"),
        ([{"source": "email", "target": "t\x00"}], "control character U+0000"),
        ([{"source": "email", "target": "t", "note": "a\nb"}], "control character U+000A"),
        ([{"source": "email", "target": "t", "primary": "yes"}], "must be true or false"),
        ([{"source": "email", "target": "t", "primary": 1}], "must be true or false"),
        ([{"source": "email", "target": "t" * 301}], "at most 300 characters"),
        ([{"source": "e", "target": "t"}] * (MAX_ENTRIES + 1), f"at most {MAX_ENTRIES} entries"),
    ],
)
def test_wrong_json_shapes_are_refused(data, says):
    with pytest.raises(Invalid) as caught:
        mapping_from_json(data)
    assert says in caught.value.detail


def test_hostile_unknown_keys_are_not_echoed_raw():
    with pytest.raises(Invalid) as caught:
        mapping_from_json([{"source": "e", "target": "t", "\x1b[2J" + "k" * 500: 1}])
    assert "\x1b" not in caught.value.detail
    assert len(caught.value.detail) < 200
