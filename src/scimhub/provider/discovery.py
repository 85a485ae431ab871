"""Discovery endpoints (RFC 7644 §4): what each profile really implements."""

from __future__ import annotations

from typing import Any

from scimhub.config import Settings
from scimhub.scim.errors import NotFound

from .profiles import Profile

SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"


def service_provider_config(profile: Profile, settings: Settings, base: str) -> dict[str, Any]:
    """RFC 7643 §5, plus the RFC 9865 §4 ``pagination`` capabilities."""
    return {
        "schemas": [SPC_SCHEMA],
        "patch": {"supported": True},
        "bulk": {
            "supported": True,
            "maxOperations": settings.max_bulk_operations,
            "maxPayloadSize": settings.max_body_bytes,
        },
        "filter": {"supported": True, "maxResults": settings.max_page_size},
        "changePassword": {"supported": False},
        "sort": {"supported": True},
        "etag": {"supported": True},
        "pagination": {
            "cursor": True,
            "index": True,
            "defaultPaginationMethod": "index",
            "defaultPageSize": settings.default_page_size,
            "maxPageSize": settings.max_page_size,
            "cursorTimeout": settings.cursor_timeout_seconds,
        },
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": f"A SCIM key of the tenant ({profile.name} profile)",
                "primary": True,
            }
        ],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": f"{base}/ServiceProviderConfig",
        },
    }


def resource_types(profile: Profile, base: str) -> list[dict[str, Any]]:
    return [r.to_dict(f"{base}/ResourceTypes/{r.name}") for r in profile.resource_types]


def resource_type(profile: Profile, base: str, name: str) -> dict[str, Any]:
    rtype = profile.by_name(name)
    if rtype is None:
        raise NotFound(f"Resource type '{name}' not found")
    return rtype.to_dict(f"{base}/ResourceTypes/{rtype.name}")


def schemas(profile: Profile, base: str) -> list[dict[str, Any]]:
    return [s.to_dict(f"{base}/Schemas/{s.id}") for s in profile.schemas]


def schema(profile: Profile, base: str, urn: str) -> dict[str, Any]:
    for s in profile.schemas:
        if s.id.lower() == urn.lower():
            return s.to_dict(f"{base}/Schemas/{s.id}")
    raise NotFound(f"Schema '{urn}' not found")
