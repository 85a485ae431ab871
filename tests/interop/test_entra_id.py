"""Microsoft Entra ID (Azure AD provisioning service and its SCIM Validator), replayed.

Each body is a request from the interop notes, §1; its comment gives the request id
and the source: MS-TUT (the SCIM tutorial), MS-COMPAT (the compliance known-issues
page), MS-ATTR (attribute mappings), MS-QA1/2 (Validator posts on Microsoft Q&A),
or a third-party capture.
"""

from __future__ import annotations

import pytest

from scimhub.provider.normalize import query_filter
from scimhub.scim.definitions import USER_RESOURCE
from scimhub.scim.filter import parse_filter, resolve_filter

from .replay import (
    ENTERPRISE,
    LIST_RESPONSE,
    assert_scim_error,
    create,
    get,
    member_ids,
    search,
    seed_user,
    send,
    swap,
)

# E8 [DOC, MS-TUT] the tutorial's create: enterprise URN without an enterprise object,
# read-only meta, "roles": [].
E8_CREATE_USER = {
    "schemas": [
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    ],
    "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
    "userName": "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
    "active": True,
    "emails": [
        {
            "primary": True,
            "type": "work",
            "value": "Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com",
        }
    ],
    "meta": {"resourceType": "User"},
    "name": {
        "formatted": "givenName familyName",
        "familyName": "familyName",
        "givenName": "givenName",
    },
    "roles": [],
}

# E9 [DOC, MS-TUT "Example 2"] misspelled extension URN ("2.0User"), nulls,
# department/manager at the top level.
E9_CREATE_USER = {
    "schemas": [
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0User",
    ],
    "externalId": "jyoung",
    "userName": "jyoung@testuser.com",
    "active": True,
    "addresses": None,
    "displayName": "Joy Young",
    "emails": [{"type": "work", "value": "jyoung@Contoso.com", "primary": True}],
    "meta": {"resourceType": "User"},
    "name": {"familyName": "Young", "givenName": "Joy"},
    "phoneNumbers": None,
    "preferredLanguage": None,
    "title": None,
    "department": None,
    "manager": None,
}

# E10 [DOC, MS-ATTR] create with a SingleAppRoleAssignment role.
E10_CREATE_USER_WITH_ROLE = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "externalId": "alias",
    "userName": "alias@contoso.OnMicrosoft.com",
    "active": True,
    "displayName": "First Name Last Name",
    "meta": {"resourceType": "User"},
    "roles": [{"primary": True, "type": "WindowsAzureActiveDirectoryRole", "value": "Admin"}],
}

# E11 [3P-OBS, ShiftControl-io/scim-v2-rust entra_user_creation_test.json, via
# scimvalidator.microsoft.com] full attribute set, roles[].primary as the string "True".
E11_VALIDATOR_CREATE_USER = {
    "active": True,
    "addresses": [
        {
            "type": "work",
            "formatted": "ANUMAAOJUYMA",
            "streetAddress": "046 Wisoky Route",
            "locality": "AQCGFHJMVSXU",
            "region": "CXLKAWAESJPV",
            "postalCode": "dk0 2uz",
            "primary": True,
            "country": "Gibraltar",
        }
    ],
    "displayName": "QTZODTJXGFLR",
    "emails": [{"type": "work", "value": "bettie@parisian.com", "primary": True}],
    "locale": "HNULHBRGUHWA",
    "name": {
        "givenName": "Aida",
        "familyName": "Chandler",
        "formatted": "Hyman",
        "middleName": "Haylie",
        "honorificPrefix": "Athena",
        "honorificSuffix": "Brooks",
    },
    "nickName": "CRILRBTBOQOW",
    "phoneNumbers": [
        {"type": "work", "value": "0-351-9540", "primary": True},
        {"type": "mobile", "value": "0-351-9540"},
        {"type": "fax", "value": "0-351-9540"},
    ],
    "preferredLanguage": "lu",
    "profileUrl": "ROQHEOEENWTS",
    "roles": [
        {
            "primary": "True",
            "display": "DJAPQUWELUHM",
            "value": "DRIHDNWREZZV",
            "type": "EHUDZVCXYJOO",
        }
    ],
    "schemas": [
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    ],
    "timezone": "America/Goose_Bay",
    "title": "OWOJJVOCUHKD",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
        "employeeNumber": "LLQMUPKSPYGA",
        "department": "BYQJSWLGXQTB",
        "costCenter": "UNPCDCIBUXTN",
        "organization": "CHZYDKXGJHHJ",
        "division": "OSLUHIBPTUGX",
        "manager": {"value": "BGKAWQXOZREF"},
    },
    "userName": "isaias@bode.ca",
    "userType": "QWQJIEJYZILC",
}

# E13 [DOC, MS-TUT] capitalised op, value path on emails.
E13_PATCH_EMAIL_AND_FAMILY_NAME = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [
        {
            "op": "Replace",
            "path": 'emails[type eq "work"].value',
            "value": "updatedEmail@microsoft.com",
        },
        {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
    ],
}

# E14 [DOC, MS-TUT] rename.
E14_PATCH_USERNAME = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [
        {
            "op": "Replace",
            "path": "userName",
            "value": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com",
        }
    ],
}

# E15a [DOC, MS-COMPAT "Without feature flag"] disable with the string "False".
E15A_DISABLE_STRING_FALSE = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{"op": "Replace", "path": "active", "value": "False"}],
}

# E15b [DOC, MS-TUT "Disable User"] Operations before schemas, a real boolean.
E15B_DISABLE_BOOLEAN = {
    "Operations": [{"op": "Replace", "path": "active", "value": False}],
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
}

# E16 [DOC, MS-COMPAT] add on a single-valued attribute.
E16_ADD_NICKNAME = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{"op": "Add", "path": "nickName", "value": "Babs"}],
}

# E17 [DOC, MS-COMPAT] one op per path, including the fully qualified enterprise path.
E17_REPLACE_ONE_OP_PER_PATH = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [
        {"op": "Replace", "path": "displayName", "value": "Pvlo"},
        {
            "op": "Replace",
            "path": 'emails[type eq "work"].value',
            "value": "TestBcwqnm@test.microsoft.com",
        },
        {"op": "Replace", "path": "name.givenName", "value": "Gtfd"},
        {"op": "Replace", "path": "name.familyName", "value": "Pkqf"},
        {"op": "Replace", "path": "externalId", "value": "Eqpj"},
        {
            "op": "Replace",
            "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
            "value": "Eqpj",
        },
    ],
}

# E18 [DOC, MS-COMPAT "With feature flag" aadOptscim062020] path-less value object
# whose keys are dotted and URN-qualified paths.
E18_PATHLESS_REPLACE = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [
        {
            "op": "replace",
            "path": 'emails[type eq "work"].value',
            "value": "TestMhvaes@test.microsoft.com",
        },
        {
            "op": "replace",
            "value": {
                "displayName": "Bjfe",
                "name.givenName": "Kkom",
                "name.familyName": "Unua",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "Aklq",
            },
        },
    ],
}

# E18b [INFERRED from E18 + E15b; Onyx's Entra adapter, 3P-OBS] department plus active.
E18B_PATHLESS_DEPARTMENT_AND_ACTIVE = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [
        {
            "op": "replace",
            "value": {
                "name.givenName": "x",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "y",
                "active": False,
            },
        }
    ],
}

# E19 [DOC-TEST, MS-QA1] the SCIM Validator's path-less dotted keys.
E19_VALIDATOR_PATHLESS_NAME = {
    "Operations": [
        {"op": "replace", "value": {"name.givenName": "Oswaldo", "name.familyName": "Rylan"}}
    ],
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
}

# E20a [DOC, MS-TUT "Example 5"] bare "manager" path, value array with $ref.
E20A_ADD_MANAGER_BARE_PATH = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [
        {
            "op": "Add",
            "path": "manager",
            "value": [
                {
                    "$ref": "http://.../scim/Users/00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
                    "value": "00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
                }
            ],
        }
    ],
}

# E20b [3P-OBS, pranems/SCIMServer MANAGER_PATCH_STRING_COERCION.md, against
# scimvalidator.microsoft.com] enterprise URN path, the manager id as a raw string.
E20B_ADD_MANAGER_RAW_STRING = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [
        {
            "op": "Add",
            "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
            "value": "a2c1f66c-0000-4000-8000-000000000001",
        }
    ],
}

# E21 [DOC, MS-ATTR] roles as AppRoleAssignmentsComplex: each value is JSON text.
E21_ADD_ROLE_JSON_TEXT = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [
        {
            "op": "Add",
            "path": "roles",
            "value": [
                {
                    "value": '{"id":"06b07648-ecfe-589f-9d2f-6325724a46ee",'
                    '"value":"25","displayName":"Role1234"}'
                }
            ],
        }
    ],
}

# E22 [DOC, MS-ATTR] AssertiveAppRoleAssignmentsComplex.
E22_REPLACE_ROLES = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [
        {
            "op": "replace",
            "path": "roles",
            "value": [
                {
                    "primary": False,
                    "type": "WindowsAzureActiveDirectoryRole",
                    "display": "User",
                    "value": "User",
                },
                {
                    "primary": False,
                    "type": "WindowsAzureActiveDirectoryRole",
                    "display": "Test",
                    "value": "Test",
                },
            ],
        }
    ],
}

# E24 [DOC, MS-TUT] Microsoft's non-standard group schema URN, meta, no members.
E24_CREATE_GROUP = {
    "schemas": [
        "urn:ietf:params:scim:schemas:core:2.0:Group",
        "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group",
    ],
    "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
    "displayName": "displayName",
    "meta": {"resourceType": "Group"},
}

# E27 [DOC, MS-TUT] rename a group.
E27_RENAME_GROUP = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [
        {
            "op": "Replace",
            "path": "displayName",
            "value": "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName",
        }
    ],
}

# E28 [DOC, MS-TUT] add a member, "$ref": null, no type or display.
E28_ADD_MEMBER = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [
        {"op": "Add", "path": "members", "value": [{"$ref": None, "value": "f648f8d5ea4e4cd38e9c"}]}
    ],
}

# E29a [DOC, MS-COMPAT "Without feature flag"; MS-TUT] remove by "path": "members"
# plus a value array: Entra means only the listed members.
E29A_REMOVE_MEMBER_VALUE_ARRAY = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{"op": "Remove", "path": "members", "value": [{"value": "u1091"}]}],
}

# E29b [DOC, MS-COMPAT, flag aadOptscim062020] RFC value-filter path.
E29B_REMOVE_MEMBER_FILTER = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [
        {"op": "remove", "path": 'members[value eq "7f4bc1a3-285e-48ae-8202-5accb43efb0e"]'}
    ],
}

# Filters Entra sends on GET /Users (E5, E6, E7 [DOC, MS-TUT and MS-OLD]).
E5_FILTER_EXTERNAL_ID_UNQUOTED = "externalId eq jyoung"
E6_FILTER_WORK_EMAIL = 'emails[type eq "work"].value eq "user@contoso.com"'
E7_FILTER_MANAGER_CHECK = (
    "id eq 54D382A4-2050-4C03-94D1-E769F1D15682 and manager eq 2819c223-7f76-453a-919d-413861904646"
)


@pytest.fixture
def entra_user(client):
    """The user Entra creates first (E8); later requests patch it."""
    return create(client, "/Users", E8_CREATE_USER)["id"]


@pytest.fixture
def entra_group(client):
    return create(client, "/Groups", E24_CREATE_GROUP)["id"]


# --- connection test and lookups -------------------------------------------------------


def test_entra_connection_test_lookup_of_random_guid_finds_empty_list(client):
    # E1 [DOC prose, MS-TUT]: 200 with an empty ListResponse, never 404.
    body = get(client, "/Users", filter='userName eq "3f1d6b2e-6a0b-4c7e-9d1f-0c2b7e9a5d41"')
    assert body["schemas"] == [LIST_RESPONSE]
    assert body["totalResults"] == 0
    assert body["Resources"] == []


def test_entra_group_probe_excluding_members_finds_empty_list(client):
    # E2 [DOC prose, MS-TUT; query INFERRED]
    body = get(
        client,
        "/Groups",
        excludedAttributes="members",
        filter='displayName eq "9b0c4b0e-58f5-4f3a-8d3e-2a6c1b7f0e11"',
    )
    assert (body["totalResults"], body["Resources"]) == (0, [])


def test_entra_schema_discovery_lists_schemas_without_nulls(client):
    # E3 [DOC, MS-TUT]: a ListResponse, camelCased properties, no null values.
    body = get(client, "/Schemas")
    assert body["schemas"] == [LIST_RESPONSE]
    enterprise = next(s for s in body["Resources"] if s["id"] == ENTERPRISE)
    assert "null" not in client.get("/Schemas").text
    assert {a["mutability"] for a in enterprise["attributes"]} <= {"readWrite", "readOnly"}


def test_entra_validator_form_encoded_username_filter_finds_user(client, entra_user):
    # E4 wire form [DOC-TEST, MS-QA2]: "+" for spaces, raw quotes, %40 for "@".
    r = client.get('/Users?filter=userName+eq+"Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee"')
    assert r.status_code == 200, r.text
    assert [u["id"] for u in r.json()["Resources"]] == [entra_user]


def test_entra_work_email_match_filter_finds_user(client, entra_user):
    # E6 [DOC, MS-TUT]: a value path followed by a sub-attribute, outside the RFC grammar.
    email = E8_CREATE_USER["emails"][0]["value"]
    flt = f'emails[type eq "work"].value eq "{email}"'
    assert [u["id"] for u in search(client, "/Users", flt)] == [entra_user]


def test_entra_unquoted_external_id_filter_finds_user(client):
    # E5 [DOC, MS-TUT]: the comparison value is not quoted.
    uid = create(client, "/Users", E9_CREATE_USER)["id"]
    assert [u["id"] for u in search(client, "/Users", E5_FILTER_EXTERNAL_ID_UNQUOTED)] == [uid]


def test_entra_manager_reference_check_filter_answers_with_ids_only(client, entra_user):
    # E7 [DOC, MS-OLD]: unquoted GUIDs, "manager" without its URN, attributes=id.
    boss = seed_user(client, "boss@contoso.com")
    send(
        client,
        "PATCH",
        f"/Users/{entra_user}",
        swap(E20B_ADD_MANAGER_RAW_STRING, {"a2c1f66c-0000-4000-8000-000000000001": boss}),
    )
    flt = swap(
        E7_FILTER_MANAGER_CHECK,
        {
            "54D382A4-2050-4C03-94D1-E769F1D15682": entra_user,
            "2819c223-7f76-453a-919d-413861904646": boss,
        },
    )
    found = search(client, "/Users", flt, attributes="id")
    assert [u["id"] for u in found] == [entra_user]
    assert set(found[0]) <= {"schemas", "id"}


@pytest.mark.parametrize(
    ("sent", "strict"),
    [
        (E5_FILTER_EXTERNAL_ID_UNQUOTED, 'externalId eq "jyoung"'),
        (E6_FILTER_WORK_EMAIL, 'emails[(type eq "work") and value eq "user@contoso.com"]'),
        (
            E7_FILTER_MANAGER_CHECK,
            'id eq "54D382A4-2050-4C03-94D1-E769F1D15682" and '
            f'{ENTERPRISE}:manager eq "2819c223-7f76-453a-919d-413861904646"',
        ),
        ('userName eq "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee"', None),
    ],
)
def test_entra_filters_normalise_to_filters_the_strict_parser_accepts(sent, strict):
    # E4-E7: the rewrite the provider applies to ?filter=; valid filters are untouched.
    out = query_filter(sent, USER_RESOURCE)
    assert out == (strict or sent)
    resolve_filter(parse_filter(out), USER_RESOURCE)


# --- creating users ----------------------------------------------------------------------


def test_entra_create_user_ignores_meta_and_empty_roles(client):
    created = create(client, "/Users", E8_CREATE_USER)
    stored = get(client, f"/Users/{created['id']}")
    assert stored["userName"] == E8_CREATE_USER["userName"]
    assert stored["externalId"] == E8_CREATE_USER["externalId"]
    assert stored["emails"] == E8_CREATE_USER["emails"]
    assert stored["name"] == E8_CREATE_USER["name"]
    assert stored["meta"]["resourceType"] == "User"
    assert "roles" not in stored


def test_entra_create_user_with_misspelled_extension_urn_and_nulls_stores_the_rest(client):
    created = create(client, "/Users", E9_CREATE_USER)
    stored = get(client, f"/Users/{created['id']}")
    assert stored["userName"] == "jyoung@testuser.com"
    assert stored["displayName"] == "Joy Young"
    assert stored["emails"] == [{"type": "work", "value": "jyoung@Contoso.com", "primary": True}]
    for unassigned in ("addresses", "phoneNumbers", "preferredLanguage", "title", ENTERPRISE):
        assert unassigned not in stored
    assert "urn:ietf:params:scim:schemas:extension:enterprise:2.0User" not in stored["schemas"]


def test_entra_create_user_with_app_role_stores_the_role(client):
    created = create(client, "/Users", E10_CREATE_USER_WITH_ROLE)
    stored = get(client, f"/Users/{created['id']}")
    assert stored["roles"] == E10_CREATE_USER_WITH_ROLE["roles"]


def test_entra_validator_create_stores_string_true_primary_as_boolean(client):
    created = create(client, "/Users", E11_VALIDATOR_CREATE_USER)
    stored = get(client, f"/Users/{created['id']}")
    assert stored["roles"] == [
        {
            "primary": True,
            "display": "DJAPQUWELUHM",
            "value": "DRIHDNWREZZV",
            "type": "EHUDZVCXYJOO",
        }
    ]
    assert stored[ENTERPRISE] == E11_VALIDATOR_CREATE_USER[ENTERPRISE]
    assert stored["timezone"] == "America/Goose_Bay"
    assert stored["phoneNumbers"] == E11_VALIDATOR_CREATE_USER["phoneNumbers"]


def test_entra_get_of_unknown_user_is_a_scim_404(client):
    # E12 [DOC, MS-TUT]
    assert_scim_error(client.get("/Users/5d48a0a8e9f04aa38008"), 404)


# --- patching users ----------------------------------------------------------------------


def test_entra_capitalised_replace_updates_work_email_and_family_name(client, entra_user):
    send(client, "PATCH", f"/Users/{entra_user}", E13_PATCH_EMAIL_AND_FAMILY_NAME)
    stored = get(client, f"/Users/{entra_user}")
    assert stored["emails"] == [
        {"primary": True, "type": "work", "value": "updatedEmail@microsoft.com"}
    ]
    assert stored["name"]["familyName"] == "updatedFamilyName"
    assert stored["name"]["givenName"] == "givenName"


def test_entra_replace_username_renames_user(client, entra_user):
    send(client, "PATCH", f"/Users/{entra_user}", E14_PATCH_USERNAME)
    assert (
        get(client, f"/Users/{entra_user}")["userName"]
        == "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"
    )


def test_entra_disable_with_string_false_stores_boolean_false_and_user_stays_findable(
    client, entra_user
):
    send(client, "PATCH", f"/Users/{entra_user}", E15A_DISABLE_STRING_FALSE)
    assert get(client, f"/Users/{entra_user}")["active"] is False
    found = search(client, "/Users", f'userName eq "{E8_CREATE_USER["userName"]}"')
    assert [(u["id"], u["active"]) for u in found] == [(entra_user, False)]


def test_entra_disable_with_operations_before_schemas_stores_false(client, entra_user):
    send(client, "PATCH", f"/Users/{entra_user}", E15B_DISABLE_BOOLEAN)
    assert get(client, f"/Users/{entra_user}")["active"] is False


def test_entra_add_on_single_valued_attribute_sets_it(client, entra_user):
    send(client, "PATCH", f"/Users/{entra_user}", E16_ADD_NICKNAME)
    assert get(client, f"/Users/{entra_user}")["nickName"] == "Babs"


def test_entra_one_op_per_path_replace_updates_core_and_enterprise_attributes(client, entra_user):
    send(client, "PATCH", f"/Users/{entra_user}", E17_REPLACE_ONE_OP_PER_PATH)
    stored = get(client, f"/Users/{entra_user}")
    assert stored["displayName"] == "Pvlo"
    assert stored["emails"][0]["value"] == "TestBcwqnm@test.microsoft.com"
    assert stored["name"] == {
        "formatted": "givenName familyName",
        "givenName": "Gtfd",
        "familyName": "Pkqf",
    }
    assert stored["externalId"] == "Eqpj"
    assert stored[ENTERPRISE] == {"employeeNumber": "Eqpj"}


def test_entra_pathless_replace_with_dotted_and_urn_keys_updates_nested_attributes(
    client, entra_user
):
    send(client, "PATCH", f"/Users/{entra_user}", E18_PATHLESS_REPLACE)
    stored = get(client, f"/Users/{entra_user}")
    assert stored["displayName"] == "Bjfe"
    assert stored["name"] == {
        "formatted": "givenName familyName",
        "givenName": "Kkom",
        "familyName": "Unua",
    }
    assert stored[ENTERPRISE] == {"employeeNumber": "Aklq"}
    assert stored["emails"][0]["value"] == "TestMhvaes@test.microsoft.com"
    assert "name.givenName" not in stored


def test_entra_pathless_replace_sets_department_and_deactivates_in_one_op(client, entra_user):
    send(client, "PATCH", f"/Users/{entra_user}", E18B_PATHLESS_DEPARTMENT_AND_ACTIVE)
    stored = get(client, f"/Users/{entra_user}")
    assert stored["active"] is False
    assert stored["name"]["givenName"] == "x"
    assert stored[ENTERPRISE] == {"department": "y"}


def test_entra_validator_pathless_name_keys_update_name(client, entra_user):
    send(client, "PATCH", f"/Users/{entra_user}", E19_VALIDATOR_PATHLESS_NAME)
    name = get(client, f"/Users/{entra_user}")["name"]
    assert (name["givenName"], name["familyName"]) == ("Oswaldo", "Rylan")


def test_entra_add_manager_by_bare_path_and_value_array_sets_enterprise_manager(client, entra_user):
    boss = seed_user(client, "boss@contoso.com")
    body = swap(E20A_ADD_MANAGER_BARE_PATH, {"00aa00aa-bb11-cc22-dd33-44ee44ee44ee": boss})
    send(client, "PATCH", f"/Users/{entra_user}", body)
    manager = get(client, f"/Users/{entra_user}")[ENTERPRISE]["manager"]
    assert manager["value"] == boss
    assert manager["$ref"] == f"http://.../scim/Users/{boss}"


def test_entra_add_manager_as_raw_string_sets_manager_value(client, entra_user):
    boss = seed_user(client, "boss@contoso.com")
    body = swap(E20B_ADD_MANAGER_RAW_STRING, {"a2c1f66c-0000-4000-8000-000000000001": boss})
    send(client, "PATCH", f"/Users/{entra_user}", body)
    assert get(client, f"/Users/{entra_user}")[ENTERPRISE] == {"manager": {"value": boss}}


@pytest.mark.parametrize("op", ["Add", "Replace", "Remove"])
@pytest.mark.parametrize("cleared", ["", {"value": ""}])
def test_entra_remove_manager_with_empty_value_clears_manager(client, entra_user, op, cleared):
    # E20b note [3P-OBS]: "Remove Manager" arrives with "value": ""; the op casing is unverified.
    boss = seed_user(client, "boss@contoso.com")
    send(
        client,
        "PATCH",
        f"/Users/{entra_user}",
        swap(E20B_ADD_MANAGER_RAW_STRING, {"a2c1f66c-0000-4000-8000-000000000001": boss}),
    )
    path = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": op, "path": path, "value": cleared}],
    }
    send(client, "PATCH", f"/Users/{entra_user}", body)
    assert ENTERPRISE not in get(client, f"/Users/{entra_user}")


def test_entra_add_role_with_json_text_value_stores_it_as_sent(client, entra_user):
    send(client, "PATCH", f"/Users/{entra_user}", E21_ADD_ROLE_JSON_TEXT)
    assert (
        get(client, f"/Users/{entra_user}")["roles"]
        == E21_ADD_ROLE_JSON_TEXT["Operations"][0]["value"]
    )


def test_entra_replace_roles_replaces_all_roles(client):
    uid = create(client, "/Users", E10_CREATE_USER_WITH_ROLE)["id"]
    send(client, "PATCH", f"/Users/{uid}", E22_REPLACE_ROLES)
    assert get(client, f"/Users/{uid}")["roles"] == E22_REPLACE_ROLES["Operations"][0]["value"]


def test_entra_hard_delete_removes_user_and_its_group_memberships(client, entra_user):
    # E23 [DOC, MS-TUT]
    gid = create(client, "/Groups", E24_CREATE_GROUP)["id"]
    send(
        client,
        "PATCH",
        f"/Groups/{gid}",
        swap(E28_ADD_MEMBER, {"f648f8d5ea4e4cd38e9c": entra_user}),
    )
    assert client.delete(f"/Users/{entra_user}").status_code == 204
    assert_scim_error(client.get(f"/Users/{entra_user}"), 404)
    assert member_ids(client, gid) == set()


# --- groups ------------------------------------------------------------------------------


def test_entra_create_group_ignores_microsoft_schema_urn_and_meta(client):
    created = create(client, "/Groups", E24_CREATE_GROUP)
    stored = get(client, f"/Groups/{created['id']}")
    assert stored["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:Group"]
    assert (stored["displayName"], stored["externalId"]) == (
        "displayName",
        E24_CREATE_GROUP["externalId"],
    )
    assert "members" not in stored


def test_entra_get_group_excluding_members_omits_them(client, entra_group, entra_user):
    # E25 [DOC, MS-TUT]
    send(
        client,
        "PATCH",
        f"/Groups/{entra_group}",
        swap(E28_ADD_MEMBER, {"f648f8d5ea4e4cd38e9c": entra_user}),
    )
    stored = get(client, f"/Groups/{entra_group}", excludedAttributes="members")
    assert "members" not in stored
    assert stored["displayName"] == "displayName"


def test_entra_find_group_by_display_name_excluding_members(client, entra_group, entra_user):
    # E26 [DOC, MS-TUT]
    send(
        client,
        "PATCH",
        f"/Groups/{entra_group}",
        swap(E28_ADD_MEMBER, {"f648f8d5ea4e4cd38e9c": entra_user}),
    )
    found = search(client, "/Groups", 'displayName eq "displayName"', excludedAttributes="members")
    assert [g["id"] for g in found] == [entra_group]
    assert "members" not in found[0]


def test_entra_rename_group_changes_display_name(client, entra_group):
    send(client, "PATCH", f"/Groups/{entra_group}", E27_RENAME_GROUP)
    stored = get(client, f"/Groups/{entra_group}")
    assert stored["displayName"] == "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"


def test_entra_add_member_with_null_ref_adds_it_and_readding_is_harmless(client, entra_group):
    a, b = seed_user(client, "a@contoso.com"), seed_user(client, "b@contoso.com")
    for uid in (a, b, a):  # Entra re-sends adds for existing members (E28 note)
        send(
            client,
            "PATCH",
            f"/Groups/{entra_group}",
            swap(E28_ADD_MEMBER, {"f648f8d5ea4e4cd38e9c": uid}),
        )
    members = get(client, f"/Groups/{entra_group}")["members"]
    assert sorted(m["value"] for m in members) == sorted([a, b])
    assert all(m["type"] == "User" for m in members)


def test_entra_remove_member_by_value_array_removes_only_those_members(client, entra_group):
    ids = [seed_user(client, f"m{i}@contoso.com") for i in range(3)]
    for uid in ids:
        send(
            client,
            "PATCH",
            f"/Groups/{entra_group}",
            swap(E28_ADD_MEMBER, {"f648f8d5ea4e4cd38e9c": uid}),
        )
    send(
        client,
        "PATCH",
        f"/Groups/{entra_group}",
        swap(E29A_REMOVE_MEMBER_VALUE_ARRAY, {"u1091": ids[1]}),
    )
    assert member_ids(client, entra_group) == {ids[0], ids[2]}


def test_entra_remove_member_by_value_filter_removes_only_that_member(client, entra_group):
    ids = [seed_user(client, f"m{i}@contoso.com") for i in range(2)]
    for uid in ids:
        send(
            client,
            "PATCH",
            f"/Groups/{entra_group}",
            swap(E28_ADD_MEMBER, {"f648f8d5ea4e4cd38e9c": uid}),
        )
    body = swap(E29B_REMOVE_MEMBER_FILTER, {"7f4bc1a3-285e-48ae-8202-5accb43efb0e": ids[0]})
    send(client, "PATCH", f"/Groups/{entra_group}", body)
    assert member_ids(client, entra_group) == {ids[1]}


def test_entra_delete_group_removes_it_and_the_users_membership(client, entra_group, entra_user):
    # E30 [DOC, MS-TUT]
    send(
        client,
        "PATCH",
        f"/Groups/{entra_group}",
        swap(E28_ADD_MEMBER, {"f648f8d5ea4e4cd38e9c": entra_user}),
    )
    assert client.delete(f"/Groups/{entra_group}").status_code == 204
    assert_scim_error(client.get(f"/Groups/{entra_group}"), 404)
    assert "groups" not in get(client, f"/Users/{entra_user}")


def test_entra_add_work_email_to_user_without_one_creates_it(client):
    # Entra ID adds a work email through a value-filter path when the user has none yet.
    uid = create(client, "/Users", {"schemas": [USER_URN_FOR_ADD], "userName": "noemail"})["id"]
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "Add", "path": 'emails[type eq "work"].value', "value": "new@contoso.com"}
        ],
    }
    assert send(client, "PATCH", f"/Users/{uid}", body).status_code == 200
    assert get(client, f"/Users/{uid}")["emails"] == [{"type": "work", "value": "new@contoso.com"}]


USER_URN_FOR_ADD = "urn:ietf:params:scim:schemas:core:2.0:User"
