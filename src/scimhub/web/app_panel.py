"""Adding an application (the catalog wizard) and its panel's General tab.

The wizard: step 1 searches the catalog by name and selects an entry (``/applications/new``),
step 2 takes the portal settings (label, description, image, show or hide, bookmark URL)
and saves, then a page offers Configure Application (the panel) or Close (the list). The
General tab edits the same settings. Every rule (required label, image formats and size,
bookmark URL) is the applications service's: its Problem is shown as it is.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from starlette.responses import HTMLResponse, Response

from scimhub.applications.catalog import catalog_entry, search_catalog
from scimhub.hub import Hub

from .auth import HubDep
from .render import redirect, render

__all__ = ["PanelTab", "PortalForm", "confirm_page", "panel_values", "portal_form", "router"]

router = APIRouter()
FormText = Annotated[str, Form()]
FormFile = Annotated[UploadFile | None, File()]


class PanelTab:
    """The panel's tabs, as ``_tabs.html`` names them."""

    GENERAL = "general"
    IDM = "idm"
    GROUPS = "groups"
    LOG = "log"
    IMPORT = "import"


def panel_values(hub: Hub, app_id: str, tab: str) -> dict[str, Any]:
    """What every tab of the panel shows: the application, its catalog entry, the tab."""
    app = hub.applications.get(app_id)
    return {"app": app, "entry": catalog_entry(app.catalog_key), "tab": tab}


def confirm_page(
    request: Request,
    values: dict[str, Any],
    *,
    heading: str,
    explanation: str,
    action: str,
    button: str,
    fields: dict[str, str] | None = None,
    back: tuple[str, str] | None = None,
) -> HTMLResponse:
    """A confirmation step of a tab (``values`` from ``panel_values``): a POST of
    ``fields`` to ``action`` by the danger ``button``, or ``back`` (label, path; default:
    Cancel, to the tab)."""
    step: dict[str, Any] = {"heading": heading, "explanation": explanation}
    step |= {"action": action, "button": button, "fields": fields or {}, "back": back}
    return render(request, "applications/confirm.html", values | step)


@router.get("/applications/new")
def choose_connector(request: Request, q: str = "") -> HTMLResponse:
    return render(request, "applications/new.html", {"q": q, "entries": search_catalog(q)})


@router.get("/applications/new/details")
def details_page(request: Request, catalog: str = "") -> HTMLResponse:
    entry = catalog_entry(catalog)  # an unknown key is the catalog's NotFound
    return render(request, "applications/details.html", {"entry": entry})


def portal_form(
    label: FormText = "",
    description: FormText = "",
    portal: FormText = "show",
    bookmark_url: FormText = "",
    image: FormFile = None,
) -> dict[str, Any]:
    """The portal settings' fields (wizard step 2 and the General tab) as the service's
    arguments; the radio ``portal`` is show or hide."""
    return {
        "label": label,
        "description": description,
        "show_in_portal": portal == "show",
        "bookmark_url": bookmark_url,
        "image": _uploaded(image),
    }


PortalForm = Annotated[dict[str, Any], Depends(portal_form)]


@router.post("/applications/new")
def add_application(
    request: Request, hub: HubDep, catalog: FormText, fields: PortalForm
) -> Response:
    app = hub.applications.create(catalog_key=catalog, **fields)
    return redirect(request, f"/applications/{app.id}/created", success=f"Saved {app.label}.")


@router.get("/applications/{app_id}/created")
def created_page(request: Request, hub: HubDep, app_id: str) -> HTMLResponse:
    app = hub.applications.get(app_id)
    return render(request, "applications/created.html", {"app": app})


@router.get("/applications/{app_id}")
def general_tab(request: Request, hub: HubDep, app_id: str) -> HTMLResponse:
    values = panel_values(hub, app_id, PanelTab.GENERAL)
    return render(request, "applications/general.html", values)


@router.post("/applications/{app_id}")
def save_general(request: Request, hub: HubDep, app_id: str, fields: PortalForm) -> Response:
    app = hub.applications.edit(app_id, **fields)
    return redirect(request, f"/applications/{app.id}", success=f"Saved {app.label}.")


@router.post("/applications/{app_id}/image/remove")
def remove_image(request: Request, hub: HubDep, app_id: str) -> Response:
    hub.applications.remove_image(app_id)
    message = "The user portal image was removed."
    return redirect(request, f"/applications/{app_id}", success=message)


@router.get("/applications/{app_id}/image")
def portal_image(hub: HubDep, app_id: str) -> Response:
    image = hub.applications.image(app_id)
    headers = {"Cache-Control": "private, no-cache", "ETag": f'"{image.sha256}"'}
    return Response(image.data, media_type=image.content_type, headers=headers)


def _uploaded(image: UploadFile | None) -> bytes | None:
    """The chosen file's bytes; None when no file was chosen (the browser sends an empty
    part without a file name). An empty file that was chosen goes to the service as is."""
    if image is None or not image.filename:
        return None
    return image.file.read()
