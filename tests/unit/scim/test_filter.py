"""The SCIM filter grammar (RFC 7644 §3.4.2.2) and PATCH paths (RFC 7644 §3.5.2)."""

from __future__ import annotations

import time

import pytest

from scimhub.scim.definitions import ENTERPRISE_URN, GROUP_RESOURCE, USER_RESOURCE, USER_URN
from scimhub.scim.errors import InvalidFilter, InvalidPath
from scimhub.scim.filter import (
    And,
    Compare,
    Not,
    Or,
    PatchPath,
    Present,
    ValuePath,
    parse_filter,
    parse_patch_path,
    resolve_filter,
)
from scimhub.scim.path import AttrPath


def p(attr: str, sub: str | None = None, urn: str | None = None) -> AttrPath:
    return AttrPath(urn, attr, sub)


def eq(attr: str, value: object, sub: str | None = None) -> Compare:
    return Compare(p(attr, sub), "eq", value)  # type: ignore[arg-type]


# --- operators and literals ------------------------------------------------------------


@pytest.mark.parametrize("op", ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"])
def test_every_comparison_operator_parses(op):
    assert parse_filter(f'title {op} "x"') == Compare(p("title"), op, "x")


@pytest.mark.parametrize("op", ["EQ", "Eq", "eQ"])
def test_operators_are_case_insensitive(op):
    assert parse_filter(f'userName {op} "john"') == eq("userName", "john")


def test_present_operator():
    assert parse_filter("title pr") == Present(p("title"))
    assert parse_filter("title PR") == Present(p("title"))


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        ("true", True),
        ("TRUE", True),
        ("False", False),
        ("null", None),
        ("NULL", None),
        ("42", 42),
        ("-7", -7),
        ("0", 0),
        ("3.25", 3.25),
        ("-0.5", -0.5),
        ("1e3", 1000.0),
        ("2.5E-2", 0.025),
        ('""', ""),
        ('"plain"', "plain"),
        (r'"quote \" inside"', 'quote " inside'),
        (r'"back\\slash"', "back\\slash"),
        (r'"tab\tnew\nline"', "tab\tnew\nline"),
        (r'"\u00e9t\u00E9"', "été"),
        (r'"slash\/"', "slash/"),
        ('"unicode ✓ kept"', "unicode ✓ kept"),
        ('"and or not ( ) [ ]"', "and or not ( ) [ ]"),
    ],
)
def test_literals(literal, value):
    parsed = parse_filter(f"x eq {literal}")
    assert parsed == eq("x", value)
    assert type(parsed.value) is type(value)  # type: ignore[union-attr]


def test_whitespace_around_tokens_is_tolerated():
    assert parse_filter('  userName   eq\t"x"  ') == eq("userName", "x")


# --- logic -------------------------------------------------------------------------------


def test_and_binds_tighter_than_or():
    assert parse_filter("a pr or b pr and c pr") == Or(
        Present(p("a")), And(Present(p("b")), Present(p("c")))
    )
    assert parse_filter("a pr and b pr or c pr") == Or(
        And(Present(p("a")), Present(p("b"))), Present(p("c"))
    )


def test_logical_operators_are_left_associative():
    assert parse_filter("a pr and b pr and c pr") == And(
        And(Present(p("a")), Present(p("b"))), Present(p("c"))
    )


def test_parentheses_group():
    assert parse_filter("(a pr or b pr) and c pr") == And(
        Or(Present(p("a")), Present(p("b"))), Present(p("c"))
    )
    assert parse_filter("((a pr))") == Present(p("a"))


def test_not_negates_a_group_and_binds_tighter_than_and():
    assert parse_filter("not (a pr) and b pr") == And(Not(Present(p("a"))), Present(p("b")))
    assert parse_filter("NOT(a pr or b pr)") == Not(Or(Present(p("a")), Present(p("b"))))
    assert parse_filter("not (not (a pr))") == Not(Not(Present(p("a"))))


def test_keywords_are_case_insensitive():
    assert parse_filter("a pr AND b pr Or NoT (c pr)") == Or(
        And(Present(p("a")), Present(p("b"))), Not(Present(p("c")))
    )


# --- paths -------------------------------------------------------------------------------


def test_sub_attribute_path():
    assert parse_filter('name.familyName eq "x"') == eq("name", "x", "familyName")


def test_urn_prefixed_extension_path():
    parsed = parse_filter(f'{ENTERPRISE_URN}:department eq "X"')
    assert parsed == Compare(p("department", urn=ENTERPRISE_URN), "eq", "X")


def test_urn_prefixed_core_path_with_sub_attribute():
    parsed = parse_filter(f'{USER_URN}:name.familyName eq "X"')
    assert parsed == Compare(p("name", "familyName", USER_URN), "eq", "X")


def test_ref_attribute_name():
    assert parse_filter("manager.$ref pr") == Present(p("manager", "$ref"))


def test_value_path_with_logic_inside():
    parsed = parse_filter('emails[type eq "work" and not (value co "x") or primary eq true]')
    inner = Or(And(eq("type", "work"), Not(Compare(p("value"), "co", "x"))), eq("primary", True))
    assert parsed == ValuePath(p("emails"), inner)


def test_value_path_combines_with_other_expressions():
    parsed = parse_filter('userType eq "Employee" and emails[type eq "work"]')
    assert parsed == And(eq("userType", "Employee"), ValuePath(p("emails"), eq("type", "work")))


def test_value_path_with_grouping_inside():
    parsed = parse_filter('emails[(type eq "a" or type eq "b") and primary pr]')
    inner = And(Or(eq("type", "a"), eq("type", "b")), Present(p("primary")))
    assert parsed == ValuePath(p("emails"), inner)


# --- RFC 7644 §3.4.2.2 examples ------------------------------------------------------------

EMPLOYEE = eq("userType", "Employee")
EXAMPLES = [
    ('userName Eq "john"', eq("userName", "john")),
    ('userName eq "bjensen"', eq("userName", "bjensen")),
    ('name.familyName co "O\'Malley"', Compare(p("name", "familyName"), "co", "O'Malley")),
    ('userName sw "J"', Compare(p("userName"), "sw", "J")),
    (f'{USER_URN}:userName sw "J"', Compare(p("userName", urn=USER_URN), "sw", "J")),
    ("title pr", Present(p("title"))),
    *[
        (
            f'meta.lastModified {op} "2011-05-13T04:42:34Z"',
            Compare(p("meta", "lastModified"), op, "2011-05-13T04:42:34Z"),
        )
        for op in ("gt", "ge", "lt", "le")
    ],
    ('title pr and userType eq "Employee"', And(Present(p("title")), EMPLOYEE)),
    ('title pr or userType eq "Intern"', Or(Present(p("title")), eq("userType", "Intern"))),
    (
        f'schemas eq "{ENTERPRISE_URN}"',
        eq("schemas", ENTERPRISE_URN),
    ),
    (
        'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
        And(
            EMPLOYEE,
            Or(
                Compare(p("emails"), "co", "example.com"),
                Compare(p("emails", "value"), "co", "example.org"),
            ),
        ),
    ),
    (
        'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")',
        And(
            Compare(p("userType"), "ne", "Employee"),
            Not(
                Or(
                    Compare(p("emails"), "co", "example.com"),
                    Compare(p("emails", "value"), "co", "example.org"),
                )
            ),
        ),
    ),
    (
        'userType eq "Employee" and (emails.type eq "work")',
        And(EMPLOYEE, eq("emails", "work", "type")),
    ),
    (
        'userType eq "Employee" and emails[type eq "work" and value co "@example.com"]',
        And(
            EMPLOYEE,
            ValuePath(
                p("emails"), And(eq("type", "work"), Compare(p("value"), "co", "@example.com"))
            ),
        ),
    ),
    (
        'emails[type eq "work" and value co "@example.com"] or '
        'ims[type eq "xmpp" and value co "@foo.com"]',
        Or(
            ValuePath(
                p("emails"), And(eq("type", "work"), Compare(p("value"), "co", "@example.com"))
            ),
            ValuePath(p("ims"), And(eq("type", "xmpp"), Compare(p("value"), "co", "@foo.com"))),
        ),
    ),
]


@pytest.mark.parametrize(("text", "expected"), EXAMPLES)
def test_rfc7644_example_filters(text, expected):
    assert parse_filter(text) == expected


@pytest.mark.parametrize(("text", "expected"), EXAMPLES)
def test_rfc7644_example_filters_resolve_against_user(text, expected):
    resolve_filter(parse_filter(text), USER_RESOURCE)


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('userName eq "bjensen', "Unterminated string starting at position 12"),
        ("userName eq", "Expected a value"),
        ("userName eq and", "Expected a value"),
        ("userName", "Expected an operator"),
        ('userName foo "x"', "found 'foo'"),
        ('userName == "x"', "Unexpected character '='"),
        ('userName eq "x" garbage', "Expected 'and' or 'or' at position 16"),
        ('userName eq "x")', "found ')'"),
        ('(userName eq "x"', "Expected ')'"),
        ("", "Empty filter"),
        ("   ", "Empty filter"),
        ('userName eq "x" and', "Expected an attribute path"),
        ('and userName eq "x"', "Expected an operator"),
        ("not userName pr", "Expected '(' after 'not'"),
        ('emails[type eq "work"', "Expected ']'"),
        ('emails[type eq "work"].value eq "x"', "Unexpected character '.'"),
        ('emails[addr[type eq "x"]]', "Nested value paths"),
        ('emails[emails.type eq "x"]', "Expected a sub-attribute name"),
        ("x gt true", "Operator 'gt' cannot compare with true"),
        ("x le null", "Operator 'le' cannot compare with null"),
        ("x co false", "Operator 'co' cannot compare with false"),
        ('x eq "bad \\q escape"', "Invalid string literal"),
        ("x eq 12abc", "Unexpected character '1'"),
        ('1abc eq "x"', "Unexpected character '1'"),
        ('a.b.c eq "x"', "Invalid attribute path"),
        ('urn:x eq "x"', "Invalid attribute path"),
        ("x eq yes", "Expected a value"),
    ],
)
def test_syntax_errors_raise_invalid_filter_with_position(text, message):
    with pytest.raises(InvalidFilter) as info:
        parse_filter(text)
    assert message in info.value.detail
    assert info.value.scim_type == "invalidFilter"
    assert info.value.status == 400


def test_too_long_filter_is_rejected():
    text = 'userName eq "' + "x" * 5000 + '"'
    with pytest.raises(InvalidFilter, match="too long"):
        parse_filter(text)
    with pytest.raises(InvalidFilter, match="too long"):
        parse_filter('userName eq "abc"', max_length=10)


def test_too_many_nodes_is_rejected():
    text = " or ".join(f'userName eq "u{i}"' for i in range(150))
    with pytest.raises(InvalidFilter, match="too complex"):
        parse_filter(text)
    assert isinstance(parse_filter(text, max_nodes=400), Or)


def test_deep_nesting_is_rejected():
    with pytest.raises(InvalidFilter, match="too complex"):
        parse_filter("(" * 60 + "a pr" + ")" * 60)
    with pytest.raises(InvalidFilter, match="too complex"):
        parse_filter("not (" * 60 + "a pr" + ")" * 60)
    assert parse_filter("(" * 40 + "a pr" + ")" * 40) == Present(p("a"))


def test_typical_filter_parses_in_microseconds():
    parse = parse_filter.__wrapped__  # type: ignore[attr-defined]
    start = time.perf_counter()
    for _ in range(1000):
        parse('userName eq "bjensen"')
    assert (time.perf_counter() - start) / 1000 < 50e-6


# --- resolution against a resource type -------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        'nickName2 eq "x"',
        'name.nope eq "x"',
        'urn:example:unknown:2.0:User:x eq "x"',
        'password eq "x"',
        'emails[nope eq "x"]',
        'userName[value eq "x"]',
        'not (emails[type eq "work"] and foo pr)',
    ],
)
def test_resolve_filter_rejects_unknown_or_unfilterable_paths(text):
    with pytest.raises(InvalidFilter):
        resolve_filter(parse_filter(text), USER_RESOURCE)


def test_resolve_filter_accepts_known_paths_in_any_case():
    text = f'USERNAME eq "x" and Emails[TYPE eq "work"] and {ENTERPRISE_URN}:Manager.value pr'
    resolve_filter(parse_filter(text), USER_RESOURCE)
    resolve_filter(parse_filter('members[value eq "1"] and displayName pr'), GROUP_RESOURCE)


# --- PATCH paths (RFC 7644 §3.5.2) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("members", PatchPath(p("members"), None, None)),
        ("name.familyName", PatchPath(p("name", "familyName"), None, None)),
        (
            'addresses[type eq "work"]',
            PatchPath(p("addresses"), eq("type", "work"), None),
        ),
        (
            'members[value eq "2819c223-7f76-453a-919d-413861904646"]',
            PatchPath(p("members"), eq("value", "2819c223-7f76-453a-919d-413861904646"), None),
        ),
        (
            'members[value eq "2819c223-7f76-453a-919d-413861904646"].displayName',
            PatchPath(
                p("members"), eq("value", "2819c223-7f76-453a-919d-413861904646"), "displayName"
            ),
        ),
        (
            'emails[type eq "work" and value ew "example.com"]',
            PatchPath(
                p("emails"),
                And(eq("type", "work"), Compare(p("value"), "ew", "example.com")),
                None,
            ),
        ),
        (
            'addresses[type eq "work"].streetAddress',
            PatchPath(p("addresses"), eq("type", "work"), "streetAddress"),
        ),
        ('emails[type eq "work"].value', PatchPath(p("emails"), eq("type", "work"), "value")),
        (
            f"{ENTERPRISE_URN}:manager",
            PatchPath(p("manager", urn=ENTERPRISE_URN), None, None),
        ),
        (
            f"{ENTERPRISE_URN}:manager.value",
            PatchPath(p("manager", "value", ENTERPRISE_URN), None, None),
        ),
        (ENTERPRISE_URN, PatchPath(p("User", urn=ENTERPRISE_URN[:-5]), None, None)),
        ('emails[value eq "a]b"].type', PatchPath(p("emails"), eq("value", "a]b"), "type")),
    ],
)
def test_patch_paths(text, expected):
    assert parse_patch_path(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "a.b.c",
        "emails[",
        'emails[type eq "work"',
        'emails[type eq "work"]value',
        'emails[type eq "work"].',
        'emails[type eq "work"].a.b',
        "emails[type eq ]",
        'name.givenName[type eq "x"]',
        'emails[x[y eq "z"]]',
        '[type eq "work"]',
    ],
)
def test_invalid_patch_paths_raise_invalid_path(text):
    with pytest.raises(InvalidPath) as info:
        parse_patch_path(text)
    assert info.value.scim_type == "invalidPath"
