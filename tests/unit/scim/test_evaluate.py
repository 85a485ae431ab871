"""Value filter evaluation (RFC 7644 §3.5.2 valuePath, §3.4.2.2 operators)."""

from __future__ import annotations

import pytest

from scimhub.scim.definitions import GROUP_SCHEMA, USER_SCHEMA
from scimhub.scim.errors import InvalidFilter
from scimhub.scim.evaluate import matches, validate_filter, values_equal
from scimhub.scim.filter import And, Compare, Not, Or, Present, ValuePath
from scimhub.scim.path import AttrPath
from scimhub.scim.schema import Attribute

EMAILS = USER_SCHEMA.attr("emails")
MEMBERS = GROUP_SCHEMA.attr("members")
assert EMAILS is not None and MEMBERS is not None

#: A complex attribute with every simple type, to exercise typed comparisons.
LOGINS = Attribute(
    "logins",
    "complex",
    multi_valued=True,
    sub_attributes=(
        Attribute("at", "dateTime"),
        Attribute("count", "integer"),
        Attribute("score", "decimal"),
        Attribute("ok", "boolean"),
        Attribute("token", "binary"),
        Attribute("code", case_exact=True),
    ),
)

WORK = {"value": "BJensen@Example.com", "type": "work", "primary": True}
HOME = {"value": "babs@jensen.org", "type": "home"}
LOGIN = {
    "at": "2011-05-13T04:42:34Z",
    "count": 7,
    "score": 2.5,
    "ok": True,
    "token": "QUJD",
    "code": "AbC",
}


def cmp(name: str, op: str, value: object) -> Compare:
    return Compare(AttrPath(None, name), op, value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("f", "element", "expected"),
    [
        (cmp("type", "eq", "work"), WORK, True),
        (cmp("type", "eq", "WORK"), WORK, True),
        (cmp("type", "eq", "home"), WORK, False),
        (cmp("type", "ne", "home"), WORK, True),
        (cmp("value", "co", "@example."), WORK, True),
        (cmp("value", "sw", "bjensen"), WORK, True),
        (cmp("value", "ew", "EXAMPLE.COM"), WORK, True),
        (cmp("value", "ew", "example.org"), WORK, False),
        (cmp("value", "gt", "a"), WORK, True),
        (cmp("value", "lt", "a"), WORK, False),
        (cmp("value", "ge", "bjensen@example.com"), WORK, True),
        (cmp("value", "le", "bjensen@example.com"), WORK, True),
    ],
)
def test_string_operators_ignore_case_by_default(f: Compare, element: dict, expected: bool):
    assert matches(element, f, EMAILS) is expected


def test_case_exact_sub_attribute_compares_exactly():
    assert matches(LOGIN, cmp("code", "eq", "AbC"), LOGINS)
    assert not matches(LOGIN, cmp("code", "eq", "abc"), LOGINS)
    assert not matches(LOGIN, cmp("code", "sw", "ab"), LOGINS)


def test_sub_attribute_names_in_filter_and_element_are_case_insensitive():
    assert matches({"Type": "work"}, cmp("TYPE", "eq", "work"), EMAILS)


@pytest.mark.parametrize("value", [True, "true", "TRUE"])
def test_booleans_compare_as_booleans(value: object):
    assert matches(WORK, cmp("primary", "eq", value), EMAILS)
    assert not matches(HOME, cmp("primary", "eq", value), EMAILS)
    assert matches({"primary": "true"}, cmp("primary", "eq", True), EMAILS)
    assert matches(WORK, cmp("primary", "ne", False), EMAILS)


def test_unassigned_value_matches_only_ne():
    assert not matches(HOME, cmp("primary", "eq", False), EMAILS)
    assert matches(HOME, cmp("primary", "ne", True), EMAILS)
    assert not matches(HOME, cmp("display", "co", "x"), EMAILS)


@pytest.mark.parametrize(
    ("f", "expected"),
    [
        (cmp("count", "eq", 7), True),
        (cmp("count", "gt", 6), True),
        (cmp("count", "ge", 7.0), True),
        (cmp("count", "lt", 7), False),
        (cmp("count", "eq", "7"), True),
        (cmp("score", "le", 2.5), True),
        (cmp("score", "gt", 10), False),
    ],
)
def test_numbers_compare_as_numbers(f: Compare, expected: bool):
    assert matches(LOGIN, f, LOGINS) is expected


def test_numbers_are_not_compared_as_strings():
    assert matches({"count": 10}, cmp("count", "gt", 9), LOGINS)  # "10" < "9" as text


@pytest.mark.parametrize(
    ("f", "expected"),
    [
        (cmp("at", "eq", "2011-05-13T04:42:34+00:00"), True),
        (cmp("at", "eq", "2011-05-13T06:42:34+02:00"), True),
        (cmp("at", "gt", "2011-05-13T04:42:33Z"), True),
        (cmp("at", "lt", "2011-05-13T04:42:34.5Z"), True),
        (cmp("at", "ge", "2012-01-01T00:00:00Z"), False),
        (cmp("at", "sw", "2011-05"), True),
    ],
)
def test_datetimes_compare_as_instants(f: Compare, expected: bool):
    assert matches(LOGIN, f, LOGINS) is expected


def test_binary_compares_exactly():
    assert matches(LOGIN, cmp("token", "eq", "QUJD"), LOGINS)
    assert not matches(LOGIN, cmp("token", "eq", "qujd"), LOGINS)


def test_present_needs_a_non_empty_value():
    assert matches(WORK, Present(AttrPath(None, "primary")), EMAILS)
    assert not matches(HOME, Present(AttrPath(None, "primary")), EMAILS)
    assert not matches({"display": ""}, Present(AttrPath(None, "display")), EMAILS)


def test_eq_null_matches_unassigned_and_ne_null_assigned():
    assert matches(HOME, cmp("display", "eq", None), EMAILS)
    assert not matches(HOME, cmp("type", "eq", None), EMAILS)
    assert matches(HOME, cmp("type", "ne", None), EMAILS)


def test_logical_operators():
    work, home = cmp("type", "eq", "work"), cmp("type", "eq", "home")
    domain = cmp("value", "ew", "example.com")
    assert matches(WORK, And(work, domain), EMAILS)
    assert not matches(HOME, And(home, domain), EMAILS)
    assert matches(HOME, Or(work, home), EMAILS)
    assert matches(HOME, Not(work), EMAILS)
    assert not matches(WORK, Not(Or(work, home)), EMAILS)


def test_members_match_by_value():
    member = {"value": "2819c223-7f76-453a-919d-413861904646", "display": "Babs Jensen"}
    assert matches(member, cmp("value", "eq", "2819C223-7F76-453A-919D-413861904646"), MEMBERS)


@pytest.mark.parametrize(
    ("f", "attr"),
    [
        (cmp("nosuch", "eq", "x"), EMAILS),
        (Compare(AttrPath(None, "emails", "type"), "eq", "x"), EMAILS),
        (cmp("primary", "gt", True), EMAILS),
        (cmp("primary", "co", "t"), EMAILS),
        (cmp("primary", "eq", "maybe"), EMAILS),
        (cmp("count", "co", "1"), LOGINS),
        (cmp("count", "eq", "seven"), LOGINS),
        (cmp("at", "gt", "yesterday"), LOGINS),
        (cmp("token", "gt", "QUJD"), LOGINS),
        (cmp("type", "eq", 5), EMAILS),
        (cmp("type", "gt", None), EMAILS),
        (cmp("type", "xx", "work"), EMAILS),
        (ValuePath(AttrPath(None, "emails"), cmp("type", "eq", "work")), EMAILS),
    ],
)
def test_invalid_filters_raise_invalid_filter(f: object, attr: Attribute):
    with pytest.raises(InvalidFilter):
        matches(LOGIN if attr is LOGINS else WORK, f, attr)  # type: ignore[arg-type]
    with pytest.raises(InvalidFilter):
        validate_filter(f, attr)  # type: ignore[arg-type]


def test_validate_filter_checks_branches_matches_would_skip():
    f = Or(cmp("type", "eq", "work"), cmp("nosuch", "eq", "x"))
    assert matches(WORK, f, EMAILS)  # short-circuits past the bad branch
    with pytest.raises(InvalidFilter):
        validate_filter(f, EMAILS)
    validate_filter(Not(And(cmp("type", "eq", "work"), Present(AttrPath(None, "value")))), EMAILS)


def test_values_equal_honours_case_exactness_and_falls_back_to_identity():
    value = EMAILS.sub("value")
    assert values_equal(value, "A@X.COM", "a@x.com")
    assert values_equal(LOGINS.sub("code"), "AbC", "AbC")
    assert not values_equal(LOGINS.sub("code"), "AbC", "abc")
    assert values_equal(None, {"a": 1}, {"a": 1})
    assert not values_equal(value, "x", 5)
