"""SCIM errors (RFC 7644 §3.12): each exception knows its HTTP status and scimType."""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


class ScimError(Exception):
    """Base SCIM error; renders as an RFC 7644 §3.12 Error response."""

    status: int = 400
    scim_type: str | None = None

    def __init__(self, detail: str, *, status: int | None = None, scim_type: str | None = None):
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status
        if scim_type is not None:
            self.scim_type = scim_type

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "schemas": [ERROR_SCHEMA],
            "status": str(self.status),
            "detail": self.detail,
        }
        if self.scim_type:
            body["scimType"] = self.scim_type
        return body


class InvalidFilter(ScimError):
    """The filter syntax was invalid or the filter is too long or complex."""

    scim_type = "invalidFilter"


class TooMany(ScimError):
    """The query would return more results than the server allows."""

    scim_type = "tooMany"


class Uniqueness(ScimError):
    """One or more unique attribute values are already in use (409)."""

    status = 409
    scim_type = "uniqueness"


class Mutability(ScimError):
    """The request tried to modify an immutable or read-only attribute."""

    scim_type = "mutability"


class InvalidSyntax(ScimError):
    """The request body structure was invalid or did not conform to the schema."""

    scim_type = "invalidSyntax"


class InvalidPath(ScimError):
    """The PATCH path is invalid or does not resolve to an attribute."""

    scim_type = "invalidPath"


class NoTarget(ScimError):
    """The PATCH path did not yield an attribute or value that could be operated on."""

    scim_type = "noTarget"


class InvalidValue(ScimError):
    """A required value was missing, or a value was not compatible."""

    scim_type = "invalidValue"


class InvalidVersion(ScimError):
    """The specified SCIM protocol version is not supported."""

    scim_type = "invalidVers"


class Sensitive(ScimError):
    """The request cannot be completed because of sensitive information in the URI."""

    scim_type = "sensitive"


class InvalidCursor(ScimError):
    """The cursor is not valid (RFC 9865 §2.3)."""

    scim_type = "invalidCursor"


class ExpiredCursor(ScimError):
    """The cursor has expired (RFC 9865 §2.3)."""

    scim_type = "expiredCursor"


class InvalidCount(ScimError):
    """The count exceeds maxPageSize for cursor pagination (RFC 9865 §2.3)."""

    scim_type = "invalidCount"


class NotFound(ScimError):
    """The resource does not exist, or is not visible to the caller."""

    status = 404


class Conflict(ScimError):
    """A write conflicted with the current state of the resource."""

    status = 409


class PreconditionFailed(ScimError):
    """If-Match did not match the current version (RFC 7644 §3.14)."""

    status = 412


class PayloadTooLarge(ScimError):
    """The request body exceeds the advertised maximum (RFC 7644 §3.7.4)."""

    status = 413


class MethodNotAllowed(ScimError):
    """The endpoint does not support this method."""

    status = 405


class Unauthorized(ScimError):
    """Missing or invalid credentials."""

    status = 401


class NotImplementedByServer(ScimError):
    """The operation is not supported by this service provider."""

    status = 501
