"""SSO Applications: the list (search, paging), and deleting the checked applications.

Deleting is two steps: the checked applications are listed and the admin types how many
are being deleted, then presses Delete Application. The applications service checks the
number and refuses (deleting nothing) while an IdM integration is active; its reason is
shown. The wizard and the panel's tabs live in their own modules, included here, so the
screen is one entry of ``SCREENS``.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import HTMLResponse, Response

from scimhub.applications.catalog import CATALOG
from scimhub.problems import Invalid

from . import app_groups, app_log, app_panel, idm_tab
from .auth import HubDep
from .render import redirect, render

__all__ = ["router"]

router = APIRouter()
_PAGE = 50


@router.get("/applications")
def list_page(request: Request, hub: HubDep, q: str = "", after: str = "") -> HTMLResponse:
    page = hub.applications.list(q=q or None, limit=_PAGE, after=after or None)
    shown = {"q": q} if q else {}
    more = None if page.next_cursor is None else urlencode(shown | {"after": page.next_cursor})
    values = {
        "q": q,
        "apps": page.items,
        "catalog": CATALOG,
        "next_query": more,
        "first_query": urlencode(shown) if after else None,
    }
    return render(request, "applications/list.html", values)


@router.get("/applications/delete")
def confirm_delete(
    request: Request, hub: HubDep, app: Annotated[list[str] | None, Query()] = None
) -> HTMLResponse:
    chosen = [hub.applications.get(ref) for ref in dict.fromkeys(app or [])]
    return render(request, "applications/delete.html", {"apps": chosen})


@router.post("/applications/delete")
def delete(
    request: Request,
    hub: HubDep,
    app: Annotated[list[str] | None, Form()] = None,
    confirm_count: Annotated[str, Form()] = "",
) -> Response:
    typed = confirm_count.strip()
    if not typed.isdigit():  # the form's field, read; the service checks the number
        raise Invalid("Type the number of applications being deleted, in digits.")
    gone = hub.applications.delete(app or [], confirm_count=int(typed))
    names = ", ".join(a.label for a in gone)
    noun = "application" if len(gone) == 1 else "applications"
    return redirect(request, "/applications", success=f"Deleted {len(gone)} {noun}: {names}.")


# After this screen's own paths, so /applications/new and /applications/delete come first.
for part in (app_panel, idm_tab, app_groups, app_log):
    router.include_router(part.router)
