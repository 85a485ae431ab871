"""Filtering and sorting over HTTP (RFC 7644 §3.4.2.2, §3.4.2.3), on SQLite and PostgreSQL.

Every test seeds a handful of users (and groups) in a fresh tenant, queries ``GET /Users``
or ``GET /Groups`` with a filter and asserts the exact set (or order) of results.
"""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import ENTERPRISE, USER, assert_scim_error, create, group, patch, sample

LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
CORE_USER_NAME = f"{USER}:userName"
DEPARTMENT = f"{ENTERPRISE}:department"

#: Five users with distinct, letter-only userNames (collation-neutral on both databases).
PEOPLE: list[dict[str, Any]] = [
    {
        "userName": "bjensen",
        "externalId": "BJ-001",
        "name": {"familyName": "Jensen", "givenName": "Barbara"},
        "title": "Tour Guide",
        "active": True,
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": True},
            {"value": "babs@jensen.org", "type": "home"},
        ],
        ENTERPRISE: {"department": "Tour Operations", "employeeNumber": "701984"},
    },
    {
        "userName": "jsmith",
        "externalId": "JS-002",
        "name": {"familyName": "Smith", "givenName": "John"},
        "active": False,
        "emails": [{"value": "jsmith@example.com", "type": "work"}],
        ENTERPRISE: {"department": "Sales"},
    },
    {
        "userName": "ajohnson",
        "name": {"familyName": "Johnson", "givenName": "Alice"},
        "title": "Engineer",
        "active": True,
        "emails": [
            {"value": "alice@example.com", "type": "home"},
            {"value": "alice@corp.test", "type": "work"},
        ],
        ENTERPRISE: {"department": "Engineering"},
    },
    {
        "userName": "mjones",
        "name": {"familyName": "Jones", "givenName": "Mary"},
        "title": "",
        "active": False,
    },
    {
        "userName": "CBrown",
        "name": {"familyName": "Brown", "givenName": "Charlie"},
        "emails": [{"value": "cbrown@example.org", "type": "work"}],
    },
]
EVERYONE = {"bjensen", "jsmith", "ajohnson", "mjones", "CBrown"}


def new_user(client: Any, attrs: dict[str, Any]) -> dict[str, Any]:
    schemas = [USER, ENTERPRISE] if ENTERPRISE in attrs else [USER]
    return create(client, "/Users", {"schemas": schemas, **attrs})


@pytest.fixture
def people(tenant) -> dict[str, dict[str, Any]]:
    """The PEOPLE, created in order; userName -> the created resource."""
    return {p["userName"]: new_user(tenant.client, p) for p in PEOPLE}


def listing(client: Any, path: str = "/Users", **params: Any) -> dict[str, Any]:
    r = client.get(path, params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["schemas"] == [LIST_RESPONSE]
    return body


def user_names(client: Any, flt: str) -> set[str]:
    """The userNames of the users matching ``flt``; checks totalResults agrees."""
    body = listing(client, filter=flt)
    found = [u["userName"] for u in body.get("Resources", [])]
    assert body["totalResults"] == len(found)
    assert len(found) == len(set(found))
    return set(found)


def ordered(client: Any, **params: Any) -> list[str]:
    return [u["userName"] for u in listing(client, **params)["Resources"]]


# --- comparison operators (RFC 7644 §3.4.2.2, table 3) -------------------------------------


def test_eq_matches_exactly_one_user(tenant, people):
    assert user_names(tenant.client, 'userName eq "bjensen"') == {"bjensen"}


def test_eq_with_no_match_returns_an_empty_list(tenant, people):
    body = listing(tenant.client, filter='userName eq "nobody"')
    assert body["totalResults"] == 0
    assert body.get("Resources", []) == []


def test_ne_matches_everyone_else(tenant, people):
    assert user_names(tenant.client, 'userName ne "bjensen"') == EVERYONE - {"bjensen"}


def test_co_matches_a_substring(tenant, people):
    assert user_names(tenant.client, 'userName co "jo"') == {"ajohnson", "mjones"}


def test_sw_matches_a_prefix(tenant, people):
    assert user_names(tenant.client, 'userName sw "j"') == {"jsmith"}


def test_ew_matches_a_suffix(tenant, people):
    assert user_names(tenant.client, 'userName ew "son"') == {"ajohnson"}


def test_gt_compares_strings_lexicographically(tenant, people):
    assert user_names(tenant.client, 'userName gt "cbrown"') == {"jsmith", "mjones"}


def test_ge_includes_the_boundary(tenant, people):
    assert user_names(tenant.client, 'userName ge "cbrown"') == {"CBrown", "jsmith", "mjones"}


def test_lt_excludes_the_boundary(tenant, people):
    assert user_names(tenant.client, 'userName lt "bjensen"') == {"ajohnson"}


def test_le_includes_the_boundary(tenant, people):
    assert user_names(tenant.client, 'userName le "bjensen"') == {"ajohnson", "bjensen"}


def test_pr_matches_users_with_a_non_empty_title(tenant, people):
    # mjones has title "" (empty is not "present", RFC 7644 §3.4.2.2); others have none.
    assert user_names(tenant.client, "title pr") == {"bjensen", "ajohnson"}


def test_co_escapes_sql_wildcards(tenant, people):
    new_user(tenant.client, {"userName": "under_score"})
    assert user_names(tenant.client, 'userName co "_"') == {"under_score"}
    assert user_names(tenant.client, 'userName co "%"') == set()


def test_sw_on_a_sub_attribute_of_name(tenant, people):
    assert user_names(tenant.client, 'name.familyName sw "J"') == {"bjensen", "ajohnson", "mjones"}


def test_eq_false_matches_inactive_users_only(tenant, people):
    assert user_names(tenant.client, "active eq false") == {"jsmith", "mjones"}


def test_eq_true_matches_active_users_only(tenant, people):
    assert user_names(tenant.client, "active eq true") == {"bjensen", "ajohnson"}


def test_eq_on_a_complex_multi_valued_attribute_compares_its_value(tenant, people):
    assert user_names(tenant.client, 'emails co "example.com"') == {
        "bjensen",
        "jsmith",
        "ajohnson",
    }


def test_eq_on_email_value_ignores_case(tenant, people):
    assert user_names(tenant.client, 'emails.value eq "BJENSEN@Example.COM"') == {"bjensen"}


# --- logical operators, grouping and precedence ---------------------------------------------


def test_and_requires_both_sides(tenant, people):
    assert user_names(tenant.client, "title pr and active eq true") == {"bjensen", "ajohnson"}
    assert user_names(tenant.client, 'userName sw "b" and active eq false') == set()


def test_or_accepts_either_side(tenant, people):
    flt = 'userName eq "bjensen" or userName eq "jsmith"'
    assert user_names(tenant.client, flt) == {"bjensen", "jsmith"}


def test_not_negates_a_group(tenant, people):
    assert user_names(tenant.client, 'not (userName eq "bjensen")') == EVERYONE - {"bjensen"}


def test_not_combined_with_and(tenant, people):
    flt = 'not (userName eq "bjensen") and active eq true'
    assert user_names(tenant.client, flt) == {"ajohnson"}


def test_and_binds_tighter_than_or(tenant, people):
    # jsmith or (bjensen and active): jsmith is inactive but needs no second condition.
    flt = 'userName eq "jsmith" or userName eq "bjensen" and active eq true'
    assert user_names(tenant.client, flt) == {"jsmith", "bjensen"}


def test_parentheses_override_precedence(tenant, people):
    flt = '(userName eq "jsmith" or userName eq "bjensen") and active eq true'
    assert user_names(tenant.client, flt) == {"bjensen"}


def test_nested_groups(tenant, people):
    flt = '((userName eq "jsmith") or (userName eq "mjones" and not (title pr)))'
    assert user_names(tenant.client, flt) == {"jsmith", "mjones"}


# --- value paths, extensions, URN-qualified names ------------------------------------------


def test_value_path_applies_all_conditions_to_the_same_value(tenant, people):
    # ajohnson has a work email and an @example.com email, but not one value with both.
    flt = 'emails[type eq "work" and value co "@example.com"]'
    assert user_names(tenant.client, flt) == {"bjensen", "jsmith"}


def test_without_a_value_path_conditions_may_match_different_values(tenant, people):
    flt = 'emails.type eq "work" and emails.value co "@example.com"'
    assert user_names(tenant.client, flt) == {"bjensen", "jsmith", "ajohnson"}


def test_value_path_with_or_inside(tenant, people):
    flt = 'emails[type eq "home" or value ew ".org"]'
    assert user_names(tenant.client, flt) == {"bjensen", "ajohnson", "CBrown"}


def test_value_path_combined_with_another_expression(tenant, people):
    flt = 'emails[type eq "work" and value co "@example.com"] and active eq false'
    assert user_names(tenant.client, flt) == {"jsmith"}


def test_enterprise_extension_attribute_eq(tenant, people):
    assert user_names(tenant.client, f'{DEPARTMENT} eq "Tour Operations"') == {"bjensen"}


def test_enterprise_extension_attribute_pr(tenant, people):
    assert user_names(tenant.client, f"{DEPARTMENT} pr") == {"bjensen", "jsmith", "ajohnson"}


def test_core_attribute_qualified_by_its_schema_urn(tenant, people):
    assert user_names(tenant.client, f'{CORE_USER_NAME} eq "jsmith"') == {"jsmith"}


def test_whole_extension_pr_matches_users_carrying_it(tenant, people):
    assert user_names(tenant.client, f"{ENTERPRISE} pr") == {"bjensen", "jsmith", "ajohnson"}


def test_schemas_eq_matches_users_declaring_the_extension(tenant, people):
    assert user_names(tenant.client, f'schemas eq "{ENTERPRISE}"') == {
        "bjensen",
        "jsmith",
        "ajohnson",
    }


def test_extension_complex_sub_attribute(tenant, people):
    manager = {"value": people["bjensen"]["id"], "displayName": "Babs"}
    new_user(tenant.client, {"userName": "report", ENTERPRISE: {"manager": manager}})
    flt = f'{ENTERPRISE}:manager.value eq "{people["bjensen"]["id"]}"'
    assert user_names(tenant.client, flt) == {"report"}


def test_meta_resource_type_eq(tenant, people):
    assert user_names(tenant.client, 'meta.resourceType eq "User"') == EVERYONE
    assert user_names(tenant.client, 'meta.resourceType eq "Group"') == set()


def test_primary_email_flag(tenant, people):
    assert user_names(tenant.client, "emails.primary eq true") == {"bjensen"}


# --- the example filters of RFC 7644 §3.4.2.2, figure 2 ------------------------------------


@pytest.fixture
def rfc_users(tenant) -> None:
    """The RFC 7643 §8.2 full user (bjensen@example.com) and two others."""
    create(tenant.client, "/Users", sample("rfc7643_8.2_full_user.json"))
    new_user(
        tenant.client,
        {
            "userName": "omalley",
            "name": {"familyName": "O'Malley", "givenName": "Pat"},
            "userType": "Intern",
            "emails": [{"value": "pat@omalley.example.org", "type": "home"}],
        },
    )
    new_user(
        tenant.client,
        {
            "userName": "jdoe",
            "title": "Consultant",
            "userType": "Contractor",
            "emails": [{"value": "jdoe@other.test", "type": "work"}],
            "ims": [{"value": "jdoe@foo.com", "type": "xmpp"}],
            ENTERPRISE: {"department": "Consulting"},
        },
    )


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ('userName eq "bjensen@example.com"', {"bjensen@example.com"}),
        ('name.familyName co "O\'Malley"', {"omalley"}),
        ('userName sw "J"', {"jdoe"}),
        (f'{CORE_USER_NAME} sw "J"', {"jdoe"}),
        ("title pr", {"bjensen@example.com", "jdoe"}),
        ('meta.lastModified gt "2011-05-13T04:42:34Z"', {"bjensen@example.com", "omalley", "jdoe"}),
        ('meta.lastModified lt "2011-05-13T04:42:34Z"', set()),
        ('title pr and userType eq "Employee"', {"bjensen@example.com"}),
        ('title pr or userType eq "Intern"', {"bjensen@example.com", "jdoe", "omalley"}),
        (f'schemas eq "{ENTERPRISE}"', {"jdoe"}),
        (
            'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
            {"bjensen@example.com"},
        ),
        (
            'userType ne "Employee" and not (emails co "example.com" or '
            'emails.value co "example.org")',
            {"jdoe"},
        ),
        ('userType eq "Employee" and (emails.type eq "work")', {"bjensen@example.com"}),
        (
            'userType eq "Employee" and emails[type eq "work" and value co "@example.com"]',
            {"bjensen@example.com"},
        ),
        (
            'emails[type eq "work" and value co "@example.com"] or '
            'ims[type eq "xmpp" and value co "@foo.com"]',
            {"bjensen@example.com", "jdoe"},
        ),
    ],
)
def test_rfc_example_filter(tenant, rfc_users, flt, expected):
    assert user_names(tenant.client, flt) == expected


# --- case sensitivity (RFC 7644 §3.4.2.2; caseExact, RFC 7643 §2.2) -----------------------


def test_attribute_names_and_operators_are_case_insensitive(tenant, people):
    assert user_names(tenant.client, 'USERNAME EQ "bjensen"') == {"bjensen"}
    assert user_names(tenant.client, 'Name.FamilyName Sw "J" AND TITLE PR') == {
        "bjensen",
        "ajohnson",
    }
    assert user_names(tenant.client, 'NOT (userName Ne "jsmith") OR Active Eq true') == {
        "jsmith",
        "bjensen",
        "ajohnson",
    }


def test_extension_urn_is_case_insensitive(tenant, people):
    flt = f'{DEPARTMENT.upper()} eq "Sales"'
    assert user_names(tenant.client, flt) == {"jsmith"}


def test_user_name_compares_case_insensitively(tenant, people):
    assert user_names(tenant.client, 'userName eq "BJENSEN"') == {"bjensen"}
    assert user_names(tenant.client, 'userName eq "cbrown"') == {"CBrown"}
    assert user_names(tenant.client, 'userName sw "CB"') == {"CBrown"}


def test_string_attribute_without_case_exact_compares_case_insensitively(tenant, people):
    assert user_names(tenant.client, 'title eq "tour guide"') == {"bjensen"}
    assert user_names(tenant.client, 'name.familyName co "OHN"') == {"ajohnson"}


@pytest.mark.parametrize(
    "flt",
    [
        'title eq "ärztin"',
        'title co "äRZ"',
        'name.givenName eq "ZOË"',
        'name.familyName sw "él"',
    ],
)
def test_case_insensitive_match_folds_non_ascii_letters(tenant, flt):
    attrs = {"userName": "unicode", "title": "Ärztin"}
    new_user(tenant.client, {**attrs, "name": {"givenName": "Zoë", "familyName": "Élodie"}})
    new_user(tenant.client, {"userName": "ascii", "title": "Doctor"})
    assert user_names(tenant.client, flt) == {"unicode"}


def test_id_is_case_exact(tenant, people):
    uid = people["bjensen"]["id"]
    assert user_names(tenant.client, f'id eq "{uid}"') == {"bjensen"}
    assert user_names(tenant.client, f'id eq "{uid.upper()}"') == set()


def test_external_id_eq_is_case_exact(tenant, people):
    assert user_names(tenant.client, 'externalId eq "BJ-001"') == {"bjensen"}
    assert user_names(tenant.client, 'externalId eq "bj-001"') == set()


def test_external_id_sw_and_co_are_case_exact(tenant, people):
    assert user_names(tenant.client, 'externalId sw "BJ"') == {"bjensen"}
    assert user_names(tenant.client, 'externalId sw "bj"') == set()
    assert user_names(tenant.client, 'externalId co "s-0"') == set()
    assert user_names(tenant.client, 'externalId co "S-0"') == {"jsmith"}


# --- dates ----------------------------------------------------------------------------------


def test_last_modified_gt_returns_users_changed_after_the_instant(tenant, people):
    stamp = people["ajohnson"]["meta"]["lastModified"]
    assert user_names(tenant.client, f'meta.lastModified gt "{stamp}"') == {"mjones", "CBrown"}


def test_last_modified_ge_includes_the_exact_instant(tenant, people):
    stamp = people["ajohnson"]["meta"]["lastModified"]
    assert user_names(tenant.client, f'meta.lastModified ge "{stamp}"') == {
        "ajohnson",
        "mjones",
        "CBrown",
    }


def test_created_lt_returns_users_created_before_the_instant(tenant, people):
    stamp = people["ajohnson"]["meta"]["created"]
    assert user_names(tenant.client, f'meta.created lt "{stamp}"') == {"bjensen", "jsmith"}


def test_created_eq_matches_the_exact_instant(tenant, people):
    stamp = people["jsmith"]["meta"]["created"]
    assert user_names(tenant.client, f'meta.created eq "{stamp}"') == {"jsmith"}


def test_last_modified_gt_finds_a_user_updated_after_the_last_creation(tenant, people):
    last = people["CBrown"]["meta"]["lastModified"]
    op = {"op": "replace", "path": "title", "value": "Manager"}
    r = tenant.client.patch(f"/Users/{people['jsmith']['id']}", json=patch(op))
    assert r.status_code == 200, r.text
    assert user_names(tenant.client, f'meta.lastModified gt "{last}"') == {"jsmith"}
    # ...while its creation time is unchanged
    assert user_names(tenant.client, f'meta.created gt "{last}"') == set()


def test_date_with_a_utc_offset_is_compared_as_an_instant(tenant, people):
    assert user_names(tenant.client, 'meta.created gt "2000-01-01T02:00:00+02:00"') == EVERYONE
    assert user_names(tenant.client, 'meta.created lt "2000-01-01T00:00:00-05:00"') == set()


# --- groups and memberships ----------------------------------------------------------------


@pytest.fixture
def teams(tenant, people) -> dict[str, dict[str, Any]]:
    ids = {name: u["id"] for name, u in people.items()}
    admins = create(tenant.client, "/Groups", group("Admins", [ids["bjensen"], ids["jsmith"]]))
    guides = create(tenant.client, "/Groups", group("Tour Guides", [ids["bjensen"]]))
    empty = create(tenant.client, "/Groups", group("Empty"))
    return {"Admins": admins, "Tour Guides": guides, "Empty": empty}


def group_names(client: Any, flt: str) -> set[str]:
    body = listing(client, "/Groups", filter=flt)
    found = [g["displayName"] for g in body.get("Resources", [])]
    assert body["totalResults"] == len(found)
    return set(found)


def test_group_display_name_eq(tenant, teams):
    assert group_names(tenant.client, 'displayName eq "Admins"') == {"Admins"}


def test_group_display_name_is_case_insensitive(tenant, teams):
    assert group_names(tenant.client, 'displayName eq "tour guides"') == {"Tour Guides"}


def test_groups_with_a_member(tenant, people, teams):
    jsmith, bjensen = people["jsmith"]["id"], people["bjensen"]["id"]
    assert group_names(tenant.client, f'members.value eq "{jsmith}"') == {"Admins"}
    assert group_names(tenant.client, f'members.value eq "{bjensen}"') == {"Admins", "Tour Guides"}


def test_groups_without_members(tenant, teams):
    assert group_names(tenant.client, "not (members pr)") == {"Empty"}
    assert group_names(tenant.client, "members pr") == {"Admins", "Tour Guides"}


def test_users_in_a_group(tenant, teams):
    gid = teams["Admins"]["id"]
    assert user_names(tenant.client, f'groups.value eq "{gid}"') == {"bjensen", "jsmith"}


def test_users_in_no_group(tenant, teams):
    assert user_names(tenant.client, "not (groups pr)") == {"ajohnson", "mjones", "CBrown"}


def test_users_in_a_group_by_its_display_name(tenant, teams):
    assert user_names(tenant.client, 'groups.display eq "Tour Guides"') == {"bjensen"}


# --- invalid filters (RFC 7644 §3.4.2.2, §3.12: 400 invalidFilter) ------------------------


@pytest.mark.parametrize(
    "flt",
    [
        "userName eq",
        'userName "bjensen"',
        'userName zz "bjensen"',
        "userName eq bjensen jensen",
        'userName eq "unterminated',
        '(userName eq "bjensen"',
        'userName eq "bjensen")',
        'userName eq "bjensen" and',
        'and userName eq "bjensen"',
        'userName eq "a" xor userName eq "b"',
        'not userName eq "bjensen"',
        'emails[type eq "work"',
        'emails[type eq "work"]]',
        'emails[value[type eq "work"]]',
        "title pr pr",
        "()",
        'userName eq "a" @',
        "userName co true",
        "userName sw null",
        "meta.created gt true",
    ],
)
def test_malformed_filter_is_400_invalid_filter(tenant, flt):
    assert_scim_error(tenant.client.get("/Users", params={"filter": flt}), 400, "invalidFilter")


def test_overlong_filter_is_400_invalid_filter(tenant):
    flt = f'userName eq "{"a" * 4096}"'
    assert len(flt) > 4096
    body = assert_scim_error(
        tenant.client.get("/Users", params={"filter": flt}), 400, "invalidFilter"
    )
    assert "long" in body["detail"]


def test_filter_of_exactly_the_maximum_length_is_accepted(tenant, people):
    prefix = 'userName eq "'
    flt = prefix + "a" * (4096 - len(prefix) - 1) + '"'
    assert len(flt) == 4096
    assert user_names(tenant.client, flt) == set()


def test_filter_with_too_many_terms_is_400_invalid_filter(tenant):
    flt = " or ".join(f'userName eq "u{i}"' for i in range(150))
    assert len(flt) <= 4096
    body = assert_scim_error(
        tenant.client.get("/Users", params={"filter": flt}), 400, "invalidFilter"
    )
    assert "complex" in body["detail"]


def test_filter_nested_too_deeply_is_400_invalid_filter(tenant):
    flt = "(" * 60 + 'userName eq "x"' + ")" * 60
    body = assert_scim_error(
        tenant.client.get("/Users", params={"filter": flt}), 400, "invalidFilter"
    )
    assert "complex" in body["detail"]


@pytest.mark.parametrize(
    "flt",
    [
        'nosuchattr eq "x"',
        'name.nosuch eq "x"',
        'emails[nosuch eq "x"]',
        'urn:example:unknown:2.0:User:userName eq "x"',
        f'{ENTERPRISE}:nosuch eq "x"',
    ],
)
def test_unknown_attribute_is_400_invalid_filter(tenant, flt):
    assert_scim_error(tenant.client.get("/Users", params={"filter": flt}), 400, "invalidFilter")


def test_user_attribute_in_a_group_filter_is_400_invalid_filter(tenant):
    r = tenant.client.get("/Groups", params={"filter": 'userName eq "bjensen"'})
    assert_scim_error(r, 400, "invalidFilter")


def test_ordering_operator_on_a_boolean_is_400_invalid_filter(tenant):
    # RFC 7644 §3.4.2.2: gt/ge/lt/le on boolean attributes SHALL fail with invalidFilter.
    r = tenant.client.get("/Users", params={"filter": 'active gt "x"'})
    assert_scim_error(r, 400, "invalidFilter")


def test_filtering_on_a_never_returned_attribute_is_400_invalid_filter(tenant):
    r = tenant.client.get("/Users", params={"filter": 'password eq "secret"'})
    assert_scim_error(r, 400, "invalidFilter")


def test_filter_parameter_name_is_case_insensitive(tenant, people):
    body = listing(tenant.client, FILTER='userName eq "jsmith"')
    assert [u["userName"] for u in body["Resources"]] == ["jsmith"]


# --- sorting (RFC 7644 §3.4.2.3) ------------------------------------------------------------

BY_USER_NAME = ["ajohnson", "bjensen", "CBrown", "jsmith", "mjones"]
BY_FAMILY_NAME = ["CBrown", "bjensen", "ajohnson", "mjones", "jsmith"]  # Brown..Smith
BY_CREATION = [p["userName"] for p in PEOPLE]


def test_sort_by_user_name_ascending_ignores_case(tenant, people):
    got = ordered(tenant.client, sortBy="userName", sortOrder="ascending")
    assert got == BY_USER_NAME


def test_sort_order_defaults_to_ascending(tenant, people):
    assert ordered(tenant.client, sortBy="userName") == BY_USER_NAME


def test_sort_by_user_name_descending(tenant, people):
    got = ordered(tenant.client, sortBy="userName", sortOrder="descending")
    assert got == BY_USER_NAME[::-1]


def test_sort_by_family_name_ascending(tenant, people):
    assert ordered(tenant.client, sortBy="name.familyName") == BY_FAMILY_NAME


def test_sort_by_family_name_descending(tenant, people):
    got = ordered(tenant.client, sortBy="name.familyName", sortOrder="descending")
    assert got == BY_FAMILY_NAME[::-1]


def test_sort_by_created_ascending(tenant, people):
    assert ordered(tenant.client, sortBy="meta.created") == BY_CREATION


def test_sort_by_created_descending(tenant, people):
    got = ordered(tenant.client, sortBy="meta.created", sortOrder="descending")
    assert got == BY_CREATION[::-1]


def test_sort_by_name_is_case_insensitive(tenant, people):
    assert ordered(tenant.client, sortBy="USERNAME", sortOrder="descending") == BY_USER_NAME[::-1]


def test_sort_applies_to_the_filtered_set(tenant, people):
    got = ordered(
        tenant.client, filter="active pr", sortBy="name.familyName", sortOrder="descending"
    )
    assert got == ["jsmith", "mjones", "ajohnson", "bjensen"]


def test_sort_ascending_puts_resources_without_the_value_last(tenant, people):
    got = ordered(tenant.client, sortBy=DEPARTMENT)
    assert got[:3] == ["ajohnson", "jsmith", "bjensen"]  # Engineering, Sales, Tour Operations
    assert set(got[3:]) == {"mjones", "CBrown"}


def test_sort_descending_puts_resources_without_the_value_first(tenant, people):
    got = ordered(tenant.client, sortBy=DEPARTMENT, sortOrder="descending")
    assert set(got[:2]) == {"mjones", "CBrown"}
    assert got[2:] == ["bjensen", "jsmith", "ajohnson"]


def test_sort_by_a_multi_valued_attribute_uses_the_primary_value(tenant):
    new_user(
        tenant.client,
        {
            "userName": "pone",
            "emails": [{"value": "zz@x.test"}, {"value": "cc@x.test", "primary": True}],
        },
    )
    new_user(tenant.client, {"userName": "ptwo", "emails": [{"value": "bb@x.test"}]})
    new_user(tenant.client, {"userName": "pthree", "emails": [{"value": "dd@x.test"}]})
    assert ordered(tenant.client, sortBy="emails.value") == ["ptwo", "pone", "pthree"]


def test_sort_by_phone_numbers_without_primary_uses_the_first_value(tenant):
    new_user(
        tenant.client,
        {"userName": "fone", "phoneNumbers": [{"value": "555-9"}, {"value": "555-1"}]},
    )
    new_user(tenant.client, {"userName": "ftwo", "phoneNumbers": [{"value": "555-5"}]})
    assert ordered(tenant.client, sortBy="phoneNumbers.value") == ["ftwo", "fone"]


@pytest.mark.parametrize("sort_by", ["emails.value", "emails"])
def test_sort_by_emails_without_primary_uses_the_first_value(tenant, sort_by):
    new_user(
        tenant.client,
        {"userName": "fone", "emails": [{"value": "zz@x.test"}, {"value": "aa@x.test"}]},
    )
    new_user(tenant.client, {"userName": "ftwo", "emails": [{"value": "mm@x.test"}]})
    assert ordered(tenant.client, sortBy=sort_by) == ["ftwo", "fone"]


def test_sort_by_group_display_name(tenant, teams):
    body = listing(tenant.client, "/Groups", sortBy="displayName", sortOrder="descending")
    assert [g["displayName"] for g in body["Resources"]] == ["Tour Guides", "Empty", "Admins"]


@pytest.mark.parametrize("order", ["up", "asc", "1", "downwards"])
def test_invalid_sort_order_is_400(tenant, people, order):
    r = tenant.client.get("/Users", params={"sortBy": "userName", "sortOrder": order})
    assert_scim_error(r, 400)


def test_sort_by_unknown_attribute_is_400(tenant, people):
    assert_scim_error(tenant.client.get("/Users", params={"sortBy": "nosuch"}), 400)


def test_unquoted_comparison_value_is_accepted_as_a_string(tenant):
    # Tolerance for Microsoft Entra ID, which documents `externalId eq 12345`-style filters.
    new_user(tenant.client, {"userName": "bjensen"})
    assert user_names(tenant.client, "userName eq bjensen") == {"bjensen"}
