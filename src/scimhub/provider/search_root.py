"""POST /.search at the server root (RFC 7644 §3.4.3)."""

from __future__ import annotations

from typing import Any

from scimhub.scim.messages import Query

from .service import Context, ScimService


def root_search(service: ScimService, ctx: Context, query: Query) -> dict[str, Any]:
    """Every resource type in one list: filtered, sorted and paged as a whole."""
    return service.search_all(ctx, query)
