"""SCIM filters compiled to SQL select exactly the matching resources, on SQLite and PostgreSQL.

RFC 7644 §3.4.2.2 (filtering) and §3.4.2.3 (sorting) against rows laid out as the store
writes them: canonical JSON documents plus the indexed columns and side tables.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text

from scimhub.scim.definitions import (
    ENTERPRISE_URN,
    GROUP_RESOURCE,
    GROUP_URN,
    USER_RESOURCE,
    USER_SCHEMA,
    USER_URN,
)
from scimhub.scim.errors import InvalidFilter
from scimhub.scim.filter import parse_filter
from scimhub.scim.path import AttrPath
from scimhub.scim.schema import Attribute, Extension, ResourceType, Schema
from scimhub.storage.db import make_engine
from scimhub.storage.filter_sql import compile_filter, sort_key
from scimhub.storage.tables import emails, members, metadata, resources, tenants

PG_URL = os.environ.get("SCIMHUB_TEST_POSTGRES_URL")
TENANT, OTHER = "t-fsql", "t-other"
TEST_URN = "urn:example:params:scim:schemas:extension:test:2.0:User"

#: A User type with an extra extension holding numbers and a multi-valued simple string.
TEST_SCHEMA = Schema(
    id=TEST_URN,
    name="Test",
    description="numbers and tags",
    attributes=(
        Attribute("level", "integer"),
        Attribute("score", "decimal"),
        Attribute("tags", multi_valued=True),
    ),
)
USERS = ResourceType(
    name="User",
    endpoint="/Users",
    description="User",
    schema=USER_SCHEMA,
    extensions=(*USER_RESOURCE.extensions, Extension(TEST_SCHEMA)),
)


def ts(text_: str) -> datetime:
    return datetime.fromisoformat(text_).astimezone(UTC)


BJENSEN: dict[str, Any] = {
    "schemas": [USER_URN, ENTERPRISE_URN, TEST_URN],
    "id": "u-bjensen",
    "externalId": "BJ-001",
    "userName": "bjensen",
    "name": {"familyName": "Jensen", "givenName": "Barbara"},
    "displayName": "Babs Jensen",
    "title": "Tour Guide",
    "userType": "Employee",
    "active": True,
    "emails": [
        {"value": "bjensen@example.com", "type": "work", "primary": True, "display": "Babs Work"},
        {"value": "babs@jensen.org", "type": "home"},
    ],
    "phoneNumbers": [
        {"value": "555-555-5555", "type": "work"},
        {"value": "555-555-4444", "type": "mobile", "primary": True},
    ],
    "ims": [{"value": "babs@foo.com", "type": "xmpp"}],
    ENTERPRISE_URN: {
        "department": "Tour Operations",
        "employeeNumber": "701984",
        "manager": {"value": "u-jsmith", "displayName": "John Smith"},
    },
    TEST_URN: {"level": 7, "score": 2.5, "tags": ["blue", "Green"]},
    "meta": {
        "resourceType": "User",
        "created": "2010-01-23T04:56:22Z",
        "lastModified": "2011-05-13T04:42:34Z",
        "version": 'W/"a330bc54f0671c9"',
    },
}
JSMITH: dict[str, Any] = {
    "schemas": [USER_URN, ENTERPRISE_URN, TEST_URN],
    "id": "u-jsmith",
    "externalId": "bj-001",
    "userName": "JSmith",
    "name": {"familyName": "O'Malley", "givenName": "John"},
    "userType": "Intern",
    "active": False,
    "emails": [{"value": "John.Smith@Example.org", "type": "work"}],
    ENTERPRISE_URN: {"department": "Engineering"},
    TEST_URN: {"level": 3, "score": 10},
    "meta": {
        "resourceType": "User",
        "created": "2019-06-01T00:00:00Z",
        "lastModified": "2020-01-01T00:00:00Z",
        "version": 'W/"2"',
    },
}
NOBODY: dict[str, Any] = {
    "schemas": [USER_URN],
    "id": "u-nobody",
    "userName": "nobody_100%",
    "displayName": "Nobody",
    "title": "Guide",
    "meta": {
        "resourceType": "User",
        "created": "2024-06-01T12:00:00Z",
        "lastModified": "2024-06-01T12:00:00Z",
        "version": 'W/"1"',
    },
}
GROUPS = [
    ("g-admins", "Admins", [("u-bjensen", "Babs Jensen"), ("u-jsmith", "John Smith")]),
    ("g-tour", "Tour Guides", [("u-bjensen", "Babs Jensen")]),
    ("g-empty", "Empty", []),
]


def _insert_resource(conn: Any, tenant: str, rtype: str, doc: dict[str, Any]) -> int:
    user_name, display = doc.get("userName"), doc.get("displayName")
    row = {
        "id": doc["id"],
        "tenant_id": tenant,
        "resource_type": rtype,
        "doc": doc,
        "version": 7 if doc["meta"].get("version") == 'W/"a330bc54f0671c9"' else 1,
        "created": ts(doc["meta"]["created"]),
        "last_modified": ts(doc["meta"]["lastModified"]),
        "user_name_ci": user_name.lower() if user_name else None,
        "external_id": doc.get("externalId"),
        "display_name_ci": display.lower() if rtype == "Group" else None,
        "active": doc.get("active"),
    }
    return int(conn.execute(resources.insert().values(row)).inserted_primary_key[0])


def _insert_user(conn: Any, tenant: str, doc: dict[str, Any]) -> None:
    seq = _insert_resource(conn, tenant, "User", doc)
    for e in doc.get("emails", []):
        primary = bool(e.get("primary"))
        row = {"value_ci": e["value"].lower(), "type": e.get("type"), "primary": primary}
        conn.execute(emails.insert().values(resource_seq=seq, tenant_id=tenant, **row))


def _insert_group(conn: Any, gid: str, name: str, refs: list[tuple[str, str]]) -> None:
    meta = {"resourceType": "Group", "created": "2015-01-01T00:00:00Z"}
    doc = {"schemas": [GROUP_URN], "id": gid, "displayName": name, "meta": meta}
    doc["meta"]["lastModified"] = doc["meta"]["created"]
    seq = _insert_resource(conn, TENANT, "Group", doc)
    for member_id, display in refs:
        row = {"member_id": member_id, "member_type": "User", "display": display}
        conn.execute(members.insert().values(group_seq=seq, tenant_id=TENANT, **row))


def _populate(engine: Engine) -> None:
    metadata.create_all(engine)
    with engine.begin() as conn:
        for tid in (TENANT, OTHER):
            conn.execute(
                tenants.insert().values(
                    id=tid, name=tid, profile="generic", created=ts("2020-01-01T00:00:00+00:00")
                )
            )
        for doc in (BJENSEN, JSMITH, NOBODY):
            _insert_user(conn, TENANT, doc)
        _insert_user(conn, OTHER, {**BJENSEN, "id": "u-other"})
        for gid, name, refs in GROUPS:
            _insert_group(conn, gid, name, refs)


def _sqlite_engine(tmp: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp}/t.db")
    _populate(engine)
    yield engine
    engine.dispose()


def _postgres_engine() -> Iterator[Engine]:
    if not PG_URL:
        pytest.skip("PostgreSQL tests need SCIMHUB_TEST_POSTGRES_URL")
    schema = f"fsql_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        _populate(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def fsql_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    if request.param == "sqlite":
        yield from _sqlite_engine(tmp_path_factory.mktemp("fsql"))
    else:
        yield from _postgres_engine()


def select_ids(engine: Engine, filter_text: str, rtype: ResourceType = USERS) -> set[str]:
    cond = compile_filter(parse_filter(filter_text), rtype, engine.dialect.name)
    query = select(resources.c.id).where(
        resources.c.tenant_id == TENANT, resources.c.resource_type == rtype.name, cond
    )
    with engine.connect() as conn:
        return set(conn.execute(query).scalars())


def sorted_ids(engine: Engine, path: AttrPath, rtype: ResourceType = USERS) -> list[str]:
    key = sort_key(path, rtype, engine.dialect.name)
    query = (
        select(resources.c.id)
        .where(resources.c.tenant_id == TENANT, resources.c.resource_type == rtype.name)
        .order_by(key.is_(None), key, resources.c.id)
    )
    with engine.connect() as conn:
        return list(conn.execute(query).scalars())


BJ, JS, NB = "u-bjensen", "u-jsmith", "u-nobody"
ALL = {BJ, JS, NB}
ENT = ENTERPRISE_URN

USER_CASES = [
    # userName: indexed, caseExact=false
    ('userName eq "bjensen"', {BJ}),
    ('userName eq "BJENSEN"', {BJ}),
    ('USERNAME EQ "jsmith"', {JS}),
    ('userName ne "bjensen"', {JS, NB}),
    ('userName sw "J"', {JS}),
    ('userName co "100%"', {NB}),
    ('userName co "_"', {NB}),
    ('userName ew "%"', {NB}),
    ('userName ew "0"', set()),
    ('userName gt "c"', {JS, NB}),
    ('userName ge "jsmith"', {JS, NB}),
    ('userName lt "c"', {BJ}),
    ('userName le "JSMITH"', {BJ, JS}),
    ('urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"', {JS}),
    # a chain of eq on one attribute is one IN: same results, case rules kept
    ('userName eq "BJensen" or userName eq "jsmith" or USERNAME eq "nobody"', {BJ, JS}),
    ('userName eq "x" or userName eq "y"', set()),
    ('userName eq "bjensen" or externalId eq "bj-001"', {BJ, JS}),
    ('userName eq "bjensen" or userName sw "JS"', {BJ, JS}),
    ('externalId eq "BJ-001" or externalId eq "bj-001" or externalId eq "Bj-001"', {BJ, JS}),
    ('externalId eq "bj-001" or externalId eq "BJ-00"', {JS}),
    ('name.familyName eq "JENSEN" or name.familyName eq "nobody"', {BJ}),
    # id / externalId: caseExact=true
    ('id eq "u-bjensen"', {BJ}),
    ('id eq "U-BJENSEN"', set()),
    ('externalId eq "BJ-001"', {BJ}),
    ('externalId eq "bj-001"', {JS}),
    ('externalId sw "bj"', {JS}),
    ('externalId co "J-0"', {BJ}),
    ('externalId ew "-001"', {BJ, JS}),
    ("externalId pr", {BJ, JS}),
    ('externalId ne "BJ-001"', {JS, NB}),
    # JSON string attributes
    ('name.familyName co "O\'Malley"', {JS}),
    ('name.familyName eq "jensen"', {BJ}),
    ('urn:ietf:params:scim:schemas:core:2.0:User:name.familyName eq "JENSEN"', {BJ}),
    ('displayName eq "NOBODY"', {NB}),
    ("title pr", {BJ, NB}),
    ("not (title pr)", {JS}),
    ("title eq null", {JS}),
    ("title ne null", {BJ, NB}),
    ('title ne "Guide"', {BJ, JS}),
    ('title ew "guide"', {BJ, NB}),
    ('title pr and userType eq "Employee"', {BJ}),
    ('title pr or userType eq "Intern"', ALL),
    ("name pr", {BJ, JS}),
    ('meta.version eq "W/\\"7\\""', {BJ}),
    ('meta.resourceType eq "User"', ALL),
    # schemas (multi-valued simple)
    (f'schemas eq "{ENT}"', {BJ, JS}),
    # precedence and grouping
    ('userName eq "bjensen" or userName eq "jsmith" and active eq true', {BJ}),
    ('(userName eq "bjensen" or userName eq "jsmith") and active eq false', {JS}),
    ('not (userName eq "bjensen" or userName eq "jsmith")', {NB}),
    ("not (not (active eq true))", {BJ}),
    # emails: indexed side table
    ('userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")', {BJ}),
    (
        'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")',
        {NB},
    ),
    ('userType eq "Employee" and (emails.type eq "work")', {BJ}),
    ('userType eq "Employee" and emails[type eq "work" and value co "@example.com"]', {BJ}),
    (
        'emails[type eq "work" and value co "@example.com"] or '
        'ims[type eq "xmpp" and value co "@foo.com"]',
        {BJ},
    ),
    ('emails[type eq "home" and value co "@example.com"]', set()),
    ('emails[type eq "HOME" or value co "example.ORG"]', {BJ, JS}),
    ('emails[not (type eq "work")]', {BJ}),
    ("emails[primary eq true]", {BJ}),
    ('emails[type eq "work" and primary eq false]', {JS}),  # the table stores absent as false
    ('emails eq "JOHN.SMITH@example.ORG"', {JS}),
    ('emails.value ew ".org"', {BJ, JS}),
    ('emails ne "john.smith@example.org"', {BJ, NB}),
    ("emails pr", {BJ, JS}),
    ("emails.type pr", {BJ, JS}),
    ("not (emails pr)", {NB}),
    # emails.display lives only in the document
    ('emails.display co "work"', {BJ}),
    ('emails[type eq "work" and display sw "BABS"]', {BJ}),
    ('emails[type eq "home" and display pr]', set()),
    # other multi-valued complex attributes: JSON arrays
    ('phoneNumbers[type eq "mobile" and primary eq true]', {BJ}),
    ('phoneNumbers[type eq "work" and primary eq true]', set()),
    ('phoneNumbers.value sw "555"', {BJ}),
    ('phoneNumbers co "4444"', {BJ}),
    ("phoneNumbers pr", {BJ}),
    ('ims[type eq "XMPP"]', {BJ}),
    ("x509Certificates pr", set()),
    ('addresses[type eq "work"]', set()),
    # booleans
    ("active eq true", {BJ}),
    ("active eq false", {JS}),
    ('active eq "True"', {BJ}),
    ("active ne true", {JS, NB}),
    ("active pr", {BJ, JS}),
    # dateTime: indexed columns
    ('meta.lastModified gt "2011-05-13T04:42:34Z"', {JS, NB}),
    ('meta.lastModified ge "2011-05-13T04:42:34Z"', ALL),
    ('meta.lastModified lt "2020-01-01T00:00:00Z"', {BJ}),
    ('meta.lastModified le "2020-01-01T00:00:00Z"', {BJ, JS}),
    ('meta.lastModified lt "2020-01-01T01:00:00+01:00"', {BJ}),
    ('meta.lastModified eq "2020-01-01T00:00:00.000Z"', {JS}),
    ('meta.created gt "2015-01-01T00:00:00Z"', {JS, NB}),
    ('meta[lastModified gt "2015-01-01T00:00:00Z"]', {JS, NB}),
    # enterprise extension
    (f'{ENT}:department eq "Tour Operations"', {BJ}),
    (f'{ENT}:department sw "eng"', {JS}),
    (f'{ENT}:manager.value eq "u-jsmith"', {BJ}),
    (f'{ENT}:manager eq "u-jsmith"', {BJ}),
    (f"{ENT}:employeeNumber pr", {BJ}),
    (f"{ENT} pr", {BJ, JS}),
    (f'not ({ENT}:department eq "Engineering")', {BJ, NB}),
    # numbers and a multi-valued simple string, in a test extension
    (f"{TEST_URN}:level gt 3", {BJ}),
    (f"{TEST_URN}:level ge 3", {BJ, JS}),
    (f"{TEST_URN}:level eq 7", {BJ}),
    (f"{TEST_URN}:level ne 7", {JS, NB}),
    (f"{TEST_URN}:score lt 2.6", {BJ}),
    (f"{TEST_URN}:score le 1e1", {BJ, JS}),
    (f"{TEST_URN}:score gt -1", {BJ, JS}),
    (f'{TEST_URN}:tags eq "green"', {BJ}),
    (f"{TEST_URN}:tags pr", {BJ}),
    # groups: derived from the membership table
    ('groups.display eq "admins"', {BJ, JS}),
    ('groups[display sw "Tour"]', {BJ}),
    ('groups.value eq "g-tour"', {BJ}),
    ('groups[value eq "g-admins" and type eq "direct"]', {BJ, JS}),
    ("groups pr", {BJ, JS}),
    ("not (groups pr)", {NB}),
]

GROUP_CASES = [
    ('displayName eq "ADMINS"', {"g-admins"}),
    ('displayName sw "tour"', {"g-tour"}),
    ('displayName ne "Admins"', {"g-tour", "g-empty"}),
    ('members[value eq "u-jsmith"]', {"g-admins"}),
    ('members.value eq "u-bjensen"', {"g-admins", "g-tour"}),
    ('members eq "u-nobody"', set()),
    ('members[type eq "user" and display co "babs"]', {"g-admins", "g-tour"}),
    ('members[display co "john"]', {"g-admins"}),
    ("members pr", {"g-admins", "g-tour"}),
    ("not (members pr)", {"g-empty"}),
    ('meta.resourceType eq "Group"', {"g-admins", "g-tour", "g-empty"}),
]


@pytest.mark.parametrize(("filter_text", "expected"), USER_CASES)
def test_user_filter_selects_exactly_matching_users(fsql_engine, filter_text, expected):
    assert select_ids(fsql_engine, filter_text) == expected


@pytest.mark.parametrize(("filter_text", "expected"), GROUP_CASES)
def test_group_filter_selects_exactly_matching_groups(fsql_engine, filter_text, expected):
    assert select_ids(fsql_engine, filter_text, GROUP_RESOURCE) == expected


def test_standard_user_type_compiles_the_rfc_enterprise_filter(fsql_engine):
    ids = select_ids(fsql_engine, f'{ENT}:department eq "Engineering"', USER_RESOURCE)
    assert ids == {JS}


@pytest.mark.parametrize(
    ("filter_text", "rtype"),
    [
        ('password eq "secret"', USERS),
        ('nickname2 eq "x"', USERS),
        ('urn:example:unknown:2.0:User:x eq "x"', USERS),
        ('name eq "x"', USERS),
        ('addresses eq "x"', USERS),
        ('userName[value eq "x"]', USERS),
        ('emails[foo eq "x"]', USERS),
        ("active gt 1", USERS),
        ('active eq "maybe"', USERS),
        ('active co "t"', USERS),
        ('meta.lastModified gt "yesterday"', USERS),
        ('meta.lastModified co "2011"', USERS),
        (f'{TEST_URN}:level eq "seven"', USERS),
        (f"{TEST_URN}:level sw 1", USERS),
        (f'{ENT} eq "x"', USERS),
        ('members.$ref eq "x"', GROUP_RESOURCE),
        ('groups.$ref eq "x"', USERS),
        ('members eq "x"', USERS),
    ],
)
def test_invalid_filters_raise_invalid_filter(filter_text, rtype):
    with pytest.raises(InvalidFilter):
        compile_filter(parse_filter(filter_text), rtype, "sqlite")


@pytest.mark.parametrize(
    ("path", "rtype", "expected"),
    [
        (AttrPath(None, "userName"), USERS, [BJ, JS, NB]),
        (AttrPath(None, "id"), USERS, [BJ, JS, NB]),
        (AttrPath(None, "name", "familyName"), USERS, [BJ, JS, NB]),
        (AttrPath(None, "title"), USERS, [NB, BJ, JS]),
        (AttrPath(None, "emails"), USERS, [BJ, JS, NB]),
        (AttrPath(None, "emails", "value"), USERS, [BJ, JS, NB]),
        (AttrPath(None, "phoneNumbers"), USERS, [BJ, JS, NB]),
        (AttrPath(None, "meta", "lastModified"), USERS, [BJ, JS, NB]),
        (AttrPath(None, "active"), USERS, [JS, BJ, NB]),
        (AttrPath(ENT, "department"), USERS, [JS, BJ, NB]),
        (AttrPath(TEST_URN, "score"), USERS, [BJ, JS, NB]),
        (AttrPath(None, "groups", "display"), USERS, [BJ, JS, NB]),
        (AttrPath(None, "displayName"), GROUP_RESOURCE, ["g-admins", "g-empty", "g-tour"]),
        (AttrPath(None, "members"), GROUP_RESOURCE, ["g-admins", "g-tour", "g-empty"]),
    ],
)
def test_sort_key_orders_by_the_attribute(fsql_engine, path, rtype, expected):
    assert sorted_ids(fsql_engine, path, rtype) == expected


def test_sort_key_of_multi_valued_attribute_prefers_the_primary_value(fsql_engine):
    key = sort_key(AttrPath(None, "phoneNumbers"), USERS, fsql_engine.dialect.name)
    query = select(key).where(resources.c.id == BJ)
    with fsql_engine.connect() as conn:
        assert conn.execute(query).scalar_one() == "555-555-4444"
