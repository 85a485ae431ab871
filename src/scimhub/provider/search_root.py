"""POST /.search at the server root: one query across every resource type (RFC 7644 §3.4.3)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from scimhub.scim.errors import InvalidValue, ScimError
from scimhub.scim.messages import Query, list_response

from .service import Context, ScimService


def root_search(service: ScimService, ctx: Context, query: Query) -> dict[str, Any]:
    """Results of each resource type in turn, paginated as one list by startIndex/count.

    A filter naming an attribute that one type lacks simply matches nothing of that type.
    """
    if query.uses_cursor:
        raise InvalidValue("Cursor pagination is not offered at the root; use startIndex")
    totals = _totals(service, ctx, query)
    skip, room = query.start_index - 1, service.window(query.count)
    found: list[dict[str, Any]] = []
    for rtype, total in totals:
        if room > 0 and skip < total:
            page = replace(query, start_index=skip + 1, count=room)
            found.extend(service.list(ctx, rtype, page)["Resources"])
            room = service.window(query.count) - len(found)
        skip = max(0, skip - total)
    return list_response(found, sum(t for _, t in totals), start_index=query.start_index)


def _totals(service: ScimService, ctx: Context, query: Query) -> list[tuple[Any, int]]:
    totals, errors = [], []
    for rtype in ctx.profile.resource_types:
        try:
            head = service.list(ctx, rtype, replace(query, start_index=1, count=0))
        except ScimError as exc:
            errors.append(exc)
            continue
        totals.append((rtype, int(head["totalResults"])))
    if errors and not totals:
        raise errors[0]
    return totals
