"""Application endpoints: instances, portal image, group bindings and the IdM integration."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from scimhub.applications.idm import Activation

from .deps import HubDep
from .shapes import After, Limit, Record

router = APIRouter(tags=["applications"])


class ApplicationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    catalog_key: str = Field(description="A catalog entry key, e.g. 'profitco' or 'scim2'")
    label: str = Field(description="The display label (required)")
    description: str = ""
    show_in_portal: bool = True
    bookmark_url: str | None = None


class ApplicationPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    label: str | None = None
    description: str | None = None
    show_in_portal: bool | None = None
    bookmark_url: str | None = None


class ApplicationOut(Record):
    id: str
    catalog_key: str
    label: str
    description: str
    show_in_portal: bool
    bookmark_url: str | None
    image_sha256: str | None
    idm_state: str
    created: datetime
    updated: datetime


class ApplicationPageOut(Record):
    items: list[ApplicationOut]
    next_cursor: str | None


class DeleteIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    applications: list[str] = Field(description="Ids (or unique labels) of the applications")
    confirm_count: int = Field(description="The number of applications being deleted")


class DeletedOut(BaseModel):
    deleted: list[ApplicationOut]
    message: str


class ImageOut(BaseModel):
    content_type: str
    sha256: str
    size: int


class GroupsIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    groups: list[str] = Field(description="User group ids or names")


class BindingOut(Record):
    group_id: str
    group_name: str
    member_count: int
    created: datetime


class BindingChangeOut(Record):
    changed: list[str]
    unchanged: list[str]


class IdmIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    region: str | None = Field(None, description="A region key of the catalog entry")
    base_url: str | None = Field(None, description="A typed base URL (instead of a region)")
    token: str | None = Field(None, description="The application's SCIM key; write-only")
    options: dict[str, bool] | None = None


class ActivateIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    region: str | None = None
    base_url: str | None = None
    token: str | None = None


class IdmOut(Record):
    state: str
    region: str | None
    base_url: str | None
    token_hint: str | None = Field(description="The token's last four characters, '…abcd'")
    options: dict[str, bool]
    capabilities: dict[str, Any] | None
    last_check: dict[str, Any] | None
    verified_at: datetime | None
    activated_at: datetime | None
    deactivated_at: datetime | None
    generation: int = Field(description="Bumped by every activation and deactivation")


class ActivationOut(BaseModel):
    activated: bool
    message: str
    outcome: str
    elapsed_ms: float
    idm: IdmOut

    @classmethod
    def of(cls, a: Activation) -> ActivationOut:
        return cls(
            activated=True,
            message=a.message,
            outcome=str(a.verification.outcome),
            elapsed_ms=round(a.verification.elapsed_ms, 1),
            idm=IdmOut.model_validate(a.status),
        )


@router.get("/applications", summary="List applications by label, with search")
def list_applications(
    hub: HubDep, q: str | None = None, limit: Limit = 50, after: After = None
) -> ApplicationPageOut:
    page = hub.applications.list(q=q, limit=limit, after=after)
    return ApplicationPageOut.model_validate(page)


@router.post("/applications", status_code=201, summary="Create an application from the catalog")
def create_application(hub: HubDep, body: ApplicationIn, response: Response) -> ApplicationOut:
    app = hub.applications.create(**body.model_dump())
    response.headers["Location"] = f"/api/v1/applications/{app.id}"
    return ApplicationOut.model_validate(app)


@router.get("/applications/{ref}", summary="One application, by id or unique label")
def get_application(hub: HubDep, ref: str) -> ApplicationOut:
    return ApplicationOut.model_validate(hub.applications.get(ref))


@router.patch("/applications/{ref}", summary="Edit an application's label, description, ...")
def edit_application(hub: HubDep, ref: str, body: ApplicationPatch) -> ApplicationOut:
    return ApplicationOut.model_validate(
        hub.applications.edit(ref, **body.model_dump(exclude_unset=True))
    )


@router.post("/applications/delete", summary="Delete applications; confirm with their count")
def delete_applications(hub: HubDep, body: DeleteIn) -> DeletedOut:
    gone = hub.applications.delete(body.applications, confirm_count=body.confirm_count)
    return DeletedOut(
        deleted=[ApplicationOut.model_validate(a) for a in gone],
        message=f"{len(gone)} application(s) deleted",
    )


@router.delete("/applications/{ref}", status_code=204, summary="Delete one application")
def delete_application(
    hub: HubDep, ref: str, confirm_count: Annotated[int, Query(description="Must be 1")]
) -> Response:
    hub.applications.delete([ref], confirm_count=confirm_count)
    return Response(status_code=204)


@router.put("/applications/{ref}/image", summary="Upload the user portal image (raw body)")
async def put_image(hub: HubDep, ref: str, request: Request) -> ImageOut:
    data = await request.body()  # async to read the raw body; the write runs off the loop
    image = await run_in_threadpool(hub.applications.set_image, ref, data)
    return ImageOut(content_type=image.content_type, sha256=image.sha256, size=len(image.data))


@router.get("/applications/{ref}/image", summary="The user portal image", response_class=Response)
def get_image(hub: HubDep, ref: str) -> Response:
    image = hub.applications.image(ref)
    headers = {
        "ETag": f'"{image.sha256}"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'",
    }
    return Response(image.data, media_type=image.content_type, headers=headers)


@router.delete("/applications/{ref}/image", status_code=204, summary="Remove the image")
def delete_image(hub: HubDep, ref: str) -> Response:
    hub.applications.remove_image(ref)
    return Response(status_code=204)


@router.get("/applications/{ref}/groups", summary="User groups bound to the application")
def list_bindings(hub: HubDep, ref: str) -> list[BindingOut]:
    return [BindingOut.model_validate(b) for b in hub.bindings.list(ref)]


@router.post("/applications/{ref}/groups", summary="Bind user groups to the application")
def bind_groups(hub: HubDep, ref: str, body: GroupsIn) -> BindingChangeOut:
    return BindingChangeOut.model_validate(hub.bindings.bind(ref, body.groups))


@router.post("/applications/{ref}/groups/unbind", summary="Unbind user groups")
def unbind_groups(hub: HubDep, ref: str, body: GroupsIn) -> BindingChangeOut:
    return BindingChangeOut.model_validate(hub.bindings.unbind(ref, body.groups))


@router.get("/applications/{ref}/idm", summary="The IdM integration (token shown as …last4)")
def get_idm(hub: HubDep, ref: str) -> IdmOut:
    return IdmOut.model_validate(hub.idm.get(ref))


@router.put("/applications/{ref}/idm", summary="Configure the base URL, token and options")
def configure_idm(hub: HubDep, ref: str, body: IdmIn) -> IdmOut:
    return IdmOut.model_validate(hub.idm.configure(ref, **body.model_dump()))


@router.post(
    "/applications/{ref}/idm/activate",
    summary="Verify the connection and activate (422 with the reason if not verified)",
)
def activate_idm(hub: HubDep, ref: str, body: ActivateIn | None = None) -> ActivationOut:
    given = body.model_dump() if body else {}
    return ActivationOut.of(hub.idm.activate(ref, **given))


class ConnectionTestOut(BaseModel):
    ok: bool
    outcome: str
    message: str
    status_code: int | None
    elapsed_ms: float
    idm: IdmOut


@router.post(
    "/applications/{ref}/idm/test",
    summary="Verify the saved configuration without activating (200 either way; see ok)",
)
def test_idm(hub: HubDep, ref: str) -> ConnectionTestOut:
    verification, status = hub.idm.test_connection(ref)
    return ConnectionTestOut(
        ok=verification.ok,
        outcome=str(verification.outcome),
        message=verification.message,
        status_code=verification.status_code,
        elapsed_ms=round(verification.elapsed_ms, 1),
        idm=IdmOut.model_validate(status),
    )


@router.post("/applications/{ref}/idm/deactivate", summary="Deactivate the IdM connection")
def deactivate_idm(hub: HubDep, ref: str) -> IdmOut:
    return IdmOut.model_validate(hub.idm.deactivate(ref))
