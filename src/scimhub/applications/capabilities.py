"""What a SCIM target's answers say, as pure functions over decoded JSON (no I/O).

Its capabilities come from the discovery endpoints (RFC 7644 §4): ``/ServiceProviderConfig``
(RFC 7643 §5) gives the features, ``/ResourceTypes`` (RFC 7643 §6) the resources served. Real
targets bend both: flags sent as strings, ``/ResourceTypes`` as a bare JSON array, so reading
is lenient and anything unreadable means "not served". The ListResponse (RFC 7644 §3.4.2),
Error (RFC 7644 §3.12) and Retry-After (RFC 9110 §10.2.3) readers serve the connection check.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeGuard

import orjson

__all__ = [
    "LIST_RESPONSE",
    "SCIM_ERROR",
    "SPC_SCHEMA",
    "Capabilities",
    "capabilities_from_discovery",
    "decode_json",
    "error_detail",
    "has_schema",
    "list_response_problem",
    "printable",
    "retry_advice",
    "retry_seconds",
]

SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
_FEATURES = ("patch", "bulk", "filter", "sort", "etag", "changePassword")
#: A hostile target's /ResourceTypes must not bloat the stored check: names kept, and their size.
_MAX_RESOURCE_TYPES, _MAX_NAME_LENGTH = 50, 100
_MAX_RETRY_SECONDS = 999_999_999


@dataclass(frozen=True, slots=True)
class Capabilities:
    """A target's capabilities; ``source`` is "ServiceProviderConfig" or "defaults"."""

    patch: bool = False
    bulk: bool = False
    filter: bool = False
    max_results: int | None = None
    sort: bool = False
    etag: bool = False
    change_password: bool = False
    resource_types: tuple[str, ...] = ()
    groups: bool = False
    source: str = "ServiceProviderConfig"

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON types (the resource types as a list)."""
        data = asdict(self)
        data["resource_types"] = list(self.resource_types)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Capabilities:
        """The inverse of :meth:`as_dict`; unknown keys are ignored."""
        max_results = data.get("max_results")
        return cls(
            **{k: bool(data.get(k, False)) for k in _BOOL_FIELDS},
            max_results=int(max_results) if max_results is not None else None,
            resource_types=tuple(str(n) for n in data.get("resource_types", ())),
            source=str(data.get("source", "ServiceProviderConfig")),
        )


_BOOL_FIELDS = ("patch", "bulk", "filter", "sort", "etag", "change_password", "groups")


def capabilities_from_discovery(spc: object, resource_types: object) -> Capabilities | None:
    """Capabilities from the decoded SPC and ResourceTypes answers, or None without an SPC.

    When ``/ResourceTypes`` is unreadable only ``User`` is assumed (the caller proved
    ``/Users``), so groups are not pushed to a target that never said it holds them.
    """
    if not _is_spc(spc):
        return None
    names = _resource_type_names(resource_types) or ("User",)
    patch, bulk, filter_, sort, etag, change_password = (_supported(spc, f) for f in _FEATURES)
    return Capabilities(
        patch=patch,
        bulk=bulk,
        filter=filter_,
        max_results=_max_results(spc),
        sort=sort,
        etag=etag,
        change_password=change_password,
        resource_types=names,
        groups=any(n.lower() == "group" for n in names),
    )


def _is_spc(doc: object) -> TypeGuard[dict[str, Any]]:
    if not isinstance(doc, dict):
        return False
    # Without the schema URN, a "patch" section still marks a configuration.
    return has_schema(doc, SPC_SCHEMA) or isinstance(doc.get("patch"), dict)


def _supported(spc: dict[str, Any], feature: str) -> bool:
    section = spc.get(feature)
    flag = section.get("supported") if isinstance(section, dict) else None
    return flag is True or (isinstance(flag, str) and flag.lower() == "true")


def _max_results(spc: dict[str, Any]) -> int | None:
    section = spc.get("filter")
    value = section.get("maxResults") if isinstance(section, dict) else None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return value


def _resource_type_names(doc: object) -> tuple[str, ...]:
    items = doc.get("Resources") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        return ()
    names = (item.get("name") for item in items if isinstance(item, dict))
    kept = (n for n in names if isinstance(n, str) and _is_name(n))
    return tuple(dict.fromkeys(kept))[:_MAX_RESOURCE_TYPES]


def _is_name(name: str) -> bool:
    return 0 < len(name) <= _MAX_NAME_LENGTH and name.isprintable() and name.strip() == name


def has_schema(doc: object, urn: str) -> bool:
    """True when ``doc`` is an object whose ``schemas`` list holds ``urn`` (any case)."""
    schemas = doc.get("schemas") if isinstance(doc, dict) else None
    return isinstance(schemas, list) and any(
        isinstance(s, str) and s.lower() == urn.lower() for s in schemas
    )


def list_response_problem(doc: object) -> str | None:
    """What keeps ``doc`` from being a ListResponse, or None.

    Tolerant like real clients: ``totalResults`` may be missing when ``Resources`` is there,
    and ``Resources`` may be missing when ``totalResults`` is 0 (RFC 7644 §3.4.2).
    """
    if not isinstance(doc, dict) or not has_schema(doc, LIST_RESPONSE):
        return f"JSON without the ListResponse schema {LIST_RESPONSE}"
    resources, total = doc.get("Resources"), doc.get("totalResults")
    if isinstance(resources, list) or (resources is None and type(total) is int and total == 0):
        return None
    if resources is not None:
        return "a ListResponse whose Resources is not a list"
    return "a ListResponse without Resources or a totalResults of 0"


def error_detail(doc: object) -> str | None:
    """The ``detail`` of a SCIM Error document, or None."""
    detail = doc.get("detail") if isinstance(doc, dict) and has_schema(doc, SCIM_ERROR) else None
    return detail if isinstance(detail, str) and detail.strip() else None


def decode_json(body: bytes) -> object | None:
    """The decoded JSON document, or None when ``body`` is not JSON (a UTF-8 BOM is allowed)."""
    try:
        doc: object = orjson.loads(body.removeprefix(b"\xef\xbb\xbf"))
    except orjson.JSONDecodeError:
        return None
    return doc


def printable(text: str, limit: int = 300) -> str:
    """Text from the target made safe to show an admin: printable, one line, bounded."""
    flat = "".join(ch if ch.isprintable() else " " for ch in text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def retry_seconds(value: str, now: datetime | None = None) -> int | None:
    """Seconds to wait from a Retry-After value: delay-seconds or an HTTP-date (RFC 9110
    §10.2.3); None when absent or unreadable (an HTTP-date in the past is 0)."""
    text = value.strip()
    if text.isascii() and text.isdigit():  # "²".isdigit() is True, and int() refuses it
        digits = text.lstrip("0") or "0"  # bounded before int(), which refuses 4301 digits
        return int(digits) if len(digits) <= len(str(_MAX_RETRY_SECONDS)) else None
    return _seconds_until(text, now or datetime.now(UTC))


def retry_advice(value: str, now: datetime | None = None) -> str:
    """When to retry, from a Retry-After value, in words. Any other value is "try again
    later": what the target sent is never echoed."""
    seconds = retry_seconds(value, now)
    if seconds is None:
        return "try again later"
    return f"try again in {seconds} s" if seconds else "try again now"


def _seconds_until(http_date: str, now: datetime) -> int | None:
    try:
        when = parsedate_to_datetime(http_date)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # the asctime form carries no zone; HTTP-dates are GMT
        when = when.replace(tzinfo=UTC)
    seconds = math.ceil((when - now).total_seconds())
    return max(seconds, 0) if seconds <= _MAX_RETRY_SECONDS else None
