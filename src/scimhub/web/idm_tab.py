"""The panel's Identity Management tab: where provisioning goes, with which token, and
whether it runs.

The admin picks a catalog region or types a custom base URL, and gives the token (shown
again only by its last four characters). Save stores them; Activate verifies the connection
first and activates only when it is verified, otherwise the service's precise reason is
shown. The token and base URL cannot change while active (the service refuses, and says
how). Deactivation asks for confirmation. The engine's state (running, quarantined,
paused, with its reason) comes from the provisioning service.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import HTMLResponse, Response

from scimhub.hub import Hub

from .app_panel import PanelTab, confirm_page, panel_values
from .auth import HubDep
from .render import redirect, render

__all__ = ["CUSTOM", "router"]

router = APIRouter()
FormText = Annotated[str, Form()]
#: The region choice that means "use the base URL typed below".
CUSTOM = "custom"


@router.get("/applications/{app_id}/idm")
def idm_tab(request: Request, hub: HubDep, app_id: str) -> HTMLResponse:
    return render(request, "applications/idm.html", _values(hub, app_id))


def idm_form(
    region: FormText = "", base_url: FormText = "", token: FormText = ""
) -> dict[str, str]:
    """The tab's fields: the region choice (``custom`` for the typed URL), URL, token."""
    return {"region": region, "base_url": base_url, "token": token}


IdmForm = Annotated[dict[str, str], Depends(idm_form)]


@router.post("/applications/{app_id}/idm")
def save_idm(request: Request, hub: HubDep, app_id: str, form: IdmForm) -> Response:
    hub.idm.configure(app_id, **_changes(hub, app_id, form))
    return redirect(request, _tab(app_id), success="The IdM settings were saved.")


@router.post("/applications/{app_id}/idm/activate")
def activate(request: Request, hub: HubDep, app_id: str, form: IdmForm) -> Response:
    # Not verified: the service raises VerificationFailed with the precise reason.
    activation = hub.idm.activate(app_id, **_changes(hub, app_id, form))
    message = f"{activation.message} Provisioning is active."
    return redirect(request, _tab(app_id), success=message)


@router.get("/applications/{app_id}/idm/deactivate")
def confirm_deactivate(request: Request, hub: HubDep, app_id: str) -> HTMLResponse:
    return confirm_page(
        request,
        panel_values(hub, app_id, PanelTab.IDM),
        heading="Deactivate the IdM connection?",
        explanation=(
            "Provisioning to this application stops at once. Its users keep their "
            "accounts in the application as they are now."
        ),
        action=f"/applications/{app_id}/idm/deactivate",
        button="Deactivate IdM connection",
    )


@router.post("/applications/{app_id}/idm/deactivate")
def deactivate(request: Request, hub: HubDep, app_id: str) -> Response:
    hub.idm.deactivate(app_id)
    message = "The IdM connection is deactivated: provisioning has stopped."
    return redirect(request, _tab(app_id), success=message)


@router.post("/applications/{app_id}/idm/resume")
def resume(request: Request, hub: HubDep, app_id: str) -> Response:
    hub.provisioning.resume(app_id)
    return redirect(request, _tab(app_id), success="Provisioning resumed.")


@router.post("/applications/{app_id}/idm/confirm-deprovision")
def confirm_deprovision(request: Request, hub: HubDep, app_id: str) -> Response:
    status = hub.provisioning.confirm_deprovision(app_id)
    message = f"Deprovisioning confirmed; provisioning is {status.state}."
    return redirect(request, _tab(app_id), success=message)


def _tab(app_id: str) -> str:
    return f"/applications/{app_id}/idm"


def _changes(hub: Hub, app_id: str, form: dict[str, str]) -> dict[str, Any]:
    """The form's changes as the service's arguments: a catalog region, or the typed base
    URL (as typed: the service checks it, and a region or URL repeated unchanged changes
    nothing there); an empty token field keeps the saved token, and an empty URL field is
    left out while no URL was ever saved (the token can be saved first)."""
    region, base_url, token = form["region"], form["base_url"], form["token"]
    chosen = region.strip()
    changes: dict[str, Any] = {"token": token if token.strip() else None}
    if chosen and chosen != CUSTOM:
        changes["region"] = chosen
    elif base_url.strip() or hub.idm.get(app_id).base_url is not None:
        changes["base_url"] = base_url
    return changes


def _values(hub: Hub, app_id: str) -> dict[str, Any]:
    values = panel_values(hub, app_id, PanelTab.IDM)
    idm = hub.idm.get(app_id)
    if idm.region:
        chosen = idm.region
    elif idm.base_url or not values["entry"].regions:
        chosen = CUSTOM
    else:
        chosen = values["entry"].regions[0].key
    return values | {
        "idm": idm,
        "engine": hub.provisioning.status(app_id),
        "chosen": chosen,
        "custom": CUSTOM,
    }
