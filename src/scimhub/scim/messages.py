"""Protocol messages: list responses, search requests and query parameters
(RFC 7644 §3.4.2, §3.4.3; RFC 9865 cursor pagination)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import InvalidSyntax, InvalidValue

#: Integers beyond this are clamped: no database offset or page can be larger.
MAX_INT = 2**31 - 1

LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SEARCH_REQUEST = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"


@dataclass(frozen=True, slots=True)
class Query:
    """A query (GET parameters or a SearchRequest body), not yet bound to a resource type."""

    filter: str | None = None
    sort_by: str | None = None
    descending: bool = False
    start_index: int = 1
    count: int | None = None
    cursor: str | None = None
    attributes: str | list[str] | None = None
    excluded_attributes: str | list[str] | None = None

    @property
    def uses_cursor(self) -> bool:
        return self.cursor is not None


def query_from_params(params: dict[str, str]) -> Query:
    """Build a :class:`Query` from URL query parameters (names case-insensitive)."""
    p = {k.lower(): v for k, v in params.items()}
    if "cursor" in p and "startindex" in p:
        raise InvalidValue("Use either 'cursor' or 'startIndex', not both")
    return Query(
        filter=p.get("filter") or None,
        sort_by=p.get("sortby") or None,
        descending=_sort_order(p.get("sortorder")),
        start_index=_int(p.get("startindex"), "startIndex", 1),
        count=_opt_int(p.get("count"), "count"),
        cursor=p.get("cursor"),
        attributes=p.get("attributes") or None,
        excluded_attributes=p.get("excludedattributes") or None,
    )


def query_from_search(body: Any) -> Query:
    """Build a :class:`Query` from a POST /.search body (RFC 7644 §3.4.3)."""
    if not isinstance(body, dict):
        raise InvalidSyntax("The search request must be a JSON object")
    schemas = body.get("schemas")
    if not isinstance(schemas, list) or SEARCH_REQUEST not in schemas:
        raise InvalidSyntax(f"'schemas' must contain '{SEARCH_REQUEST}'")
    params = {k: v for k, v in body.items() if k != "schemas"}
    for key in ("attributes", "excludedAttributes"):
        if key in params and isinstance(params[key], list):
            params[key] = ",".join(str(v) for v in params[key])
    for key, value in params.items():
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise InvalidValue(f"Search parameter '{key}' has an invalid type")
    return query_from_params({k: str(v) for k, v in params.items()})


def _sort_order(value: str | None) -> bool:
    if value is None or value.lower() == "ascending":
        return False
    if value.lower() == "descending":
        return True
    raise InvalidValue("sortOrder must be 'ascending' or 'descending'")


def _int(value: str | None, name: str, default: int) -> int:
    parsed = _opt_int(value, name)
    if parsed is None:
        return default
    return max(parsed, 1)


def _opt_int(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError:
        raise InvalidValue(f"'{name}' must be an integer") from None
    return min(max(number, 0), MAX_INT)


def list_response(
    resources: list[dict[str, Any]],
    total: int | None,
    *,
    start_index: int | None,
    next_cursor: str | None = None,
    previous_cursor: str | None = None,
) -> dict[str, Any]:
    """A ListResponse (RFC 7644 §3.4.2; RFC 9865 §2.2 for the cursor attributes)."""
    body: dict[str, Any] = {"schemas": [LIST_RESPONSE]}
    if total is not None:
        body["totalResults"] = total
    body["itemsPerPage"] = len(resources)
    if start_index is not None:
        body["startIndex"] = start_index
    if next_cursor:
        body["nextCursor"] = next_cursor
    if previous_cursor:
        body["previousCursor"] = previous_cursor
    body["Resources"] = resources
    return body
