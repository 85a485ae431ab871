"""The panel's User Groups tab: the groups bound to the application (their members are its
users), binding one more, and unbinding one after a confirmation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import HTMLResponse, Response

from scimhub.applications.bindings import BindingChange

from .app_panel import PanelTab, confirm_page, panel_values
from .auth import HubDep
from .render import redirect, render

__all__ = ["router"]

router = APIRouter()
FormText = Annotated[str, Form()]
#: How many group names the bind field suggests (any group can be typed).
_SUGGESTED = 500


@router.get("/applications/{app_id}/groups")
def groups_tab(request: Request, hub: HubDep, app_id: str) -> HTMLResponse:
    values = panel_values(hub, app_id, PanelTab.GROUPS)
    bound = hub.bindings.list(app_id)
    names = {b.group_name for b in bound}
    suggested = [g.name for g in hub.groups.list(limit=_SUGGESTED).items if g.name not in names]
    return render(
        request, "applications/groups.html", values | {"bound": bound, "suggested": suggested}
    )


@router.post("/applications/{app_id}/groups")
def bind(request: Request, hub: HubDep, app_id: str, group: FormText = "") -> Response:
    change = hub.bindings.bind(app_id, [group])
    done = "Bound {}: its members will be provisioned."
    return redirect(request, _tab(app_id), success=_said(change, done, "already bound"))


@router.get("/applications/{app_id}/groups/unbind")
def confirm_unbind(request: Request, hub: HubDep, app_id: str, group: str = "") -> HTMLResponse:
    name = hub.groups.get(group).name
    return confirm_page(
        request,
        panel_values(hub, app_id, PanelTab.GROUPS),
        heading=f"Unbind {name}?",
        explanation=(
            f"Members of {name} who are in no other bound group leave the application's "
            "scope: they are deprovisioned from it."
        ),
        action=f"/applications/{app_id}/groups/unbind",
        button="Unbind group",
        fields={"group": group},
    )


@router.post("/applications/{app_id}/groups/unbind")
def unbind(request: Request, hub: HubDep, app_id: str, group: FormText = "") -> Response:
    change = hub.bindings.unbind(app_id, [group])
    return redirect(request, _tab(app_id), success=_said(change, "Unbound {}.", "not bound"))


def _tab(app_id: str) -> str:
    return f"/applications/{app_id}/groups"


def _said(change: BindingChange, done: str, unchanged: str) -> str:
    if change.changed:
        return done.format(", ".join(change.changed))
    return f"{', '.join(change.unchanged)} was {unchanged}; nothing changed."
