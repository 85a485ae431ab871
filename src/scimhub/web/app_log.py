"""The panel's Provisioning log tab: what the engine asked of the application and how it
went, newest first, filtered by user and by outcome, a page at a time (keyset cursor)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse

from scimhub.provisioning.log import ACTIONS, STATUSES

from .app_panel import PanelTab, panel_values
from .auth import HubDep
from .render import render

__all__ = ["router"]

router = APIRouter()
_PAGE = 50


@router.get("/applications/{app_id}/log")
def log_tab(
    request: Request,
    hub: HubDep,
    app_id: str,
    *,
    user: str = "",
    status: str = "",
    action: str = "",
    after: str = "",
) -> HTMLResponse:
    values = panel_values(hub, app_id, PanelTab.LOG)
    page = hub.log.list(
        app_id,
        user=user or None,
        status=status or None,
        action=action or None,
        limit=_PAGE,
        after=after or None,
    )
    filters = {"user": user, "status": status, "action": action}
    shown = {k: v for k, v in filters.items() if v}
    more = None if page.next_cursor is None else urlencode(shown | {"after": page.next_cursor})
    return render(
        request,
        "applications/log.html",
        values
        | filters
        | {
            "entries": page.items,
            "statuses": STATUSES,
            "actions": ACTIONS,
            "next_query": more,
            "first_query": urlencode(shown) if after else None,
        },
    )
