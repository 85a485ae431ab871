"""The standard schemas and resource types (RFC 7643 §3.1, §4, §8.7.1)."""

from __future__ import annotations

from .schema import Attribute, Extension, ResourceType, Schema

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

A = Attribute


def _multi(
    name: str,
    types: tuple[str, ...],
    *,
    value_type: str = "string",
    refs: tuple[str, ...] = (),
    description: str = "",
) -> Attribute:
    """A multi-valued complex attribute of the usual value/display/type/primary shape."""
    return A(
        name,
        "complex",
        multi_valued=True,
        description=description,
        sub_attributes=(
            A("value", value_type, reference_types=refs),
            A("display"),
            A("type", canonical_values=types),
            A("primary", "boolean"),
        ),
    )


#: Common attributes (RFC 7643 §3.1): part of every resource, not of a schema.
COMMON_ATTRIBUTES = Schema(
    id="common",
    name="Common",
    description="Attributes common to all resources",
    attributes=(
        A("id", case_exact=True, mutability="readOnly", returned="always", uniqueness="server"),
        A("externalId", case_exact=True),
        A(
            "meta",
            "complex",
            mutability="readOnly",
            sub_attributes=(
                A("resourceType", case_exact=True, mutability="readOnly"),
                A("created", "dateTime", mutability="readOnly"),
                A("lastModified", "dateTime", mutability="readOnly"),
                A("location", "reference", case_exact=True, mutability="readOnly"),
                A("version", case_exact=True, mutability="readOnly"),
            ),
        ),
    ),
)

USER_SCHEMA = Schema(
    id=USER_URN,
    name="User",
    description="User Account",
    attributes=(
        A("userName", required=True, uniqueness="server", description="Unique identifier"),
        A(
            "name",
            "complex",
            sub_attributes=(
                A("formatted"),
                A("familyName"),
                A("givenName"),
                A("middleName"),
                A("honorificPrefix"),
                A("honorificSuffix"),
            ),
        ),
        A("displayName"),
        A("nickName"),
        A("profileUrl", "reference", reference_types=("external",)),
        A("title"),
        A("userType"),
        A("preferredLanguage"),
        A("locale"),
        A("timezone"),
        A("active", "boolean"),
        A("password", mutability="writeOnly", returned="never"),
        _multi("emails", ("work", "home", "other")),
        _multi("phoneNumbers", ("work", "home", "mobile", "fax", "pager", "other")),
        _multi("ims", ("aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo")),
        _multi("photos", ("photo", "thumbnail"), value_type="reference", refs=("external",)),
        A(
            "addresses",
            "complex",
            multi_valued=True,
            sub_attributes=(
                A("formatted"),
                A("streetAddress"),
                A("locality"),
                A("region"),
                A("postalCode"),
                A("country"),
                A("type", canonical_values=("work", "home", "other")),
                A("primary", "boolean"),
            ),
        ),
        A(
            "groups",
            "complex",
            multi_valued=True,
            mutability="readOnly",
            sub_attributes=(
                A("value", mutability="readOnly"),
                A("$ref", "reference", mutability="readOnly", reference_types=("Group",)),
                A("display", mutability="readOnly"),
                A("type", mutability="readOnly", canonical_values=("direct", "indirect")),
            ),
        ),
        _multi("entitlements", ()),
        _multi("roles", ()),
        _multi("x509Certificates", (), value_type="binary"),
    ),
)

ENTERPRISE_USER_SCHEMA = Schema(
    id=ENTERPRISE_URN,
    name="EnterpriseUser",
    description="Enterprise User",
    attributes=(
        A("employeeNumber"),
        A("costCenter"),
        A("organization"),
        A("division"),
        A("department"),
        A(
            "manager",
            "complex",
            sub_attributes=(
                A("value"),
                A("$ref", "reference", reference_types=("User",)),
                A("displayName", mutability="readOnly"),
            ),
        ),
    ),
)

GROUP_SCHEMA = Schema(
    id=GROUP_URN,
    name="Group",
    description="Group",
    attributes=(
        A("displayName", required=True),
        A(
            "members",
            "complex",
            multi_valued=True,
            sub_attributes=(
                A("value", mutability="immutable", required=True),
                A("$ref", "reference", mutability="immutable", reference_types=("User", "Group")),
                A("display", mutability="immutable"),
                A("type", mutability="immutable", canonical_values=("User", "Group")),
            ),
        ),
    ),
)

USER_RESOURCE = ResourceType(
    name="User",
    endpoint="/Users",
    description="User Account",
    schema=USER_SCHEMA,
    extensions=(Extension(ENTERPRISE_USER_SCHEMA),),
)

GROUP_RESOURCE = ResourceType(
    name="Group",
    endpoint="/Groups",
    description="Group",
    schema=GROUP_SCHEMA,
)
