"""Directory endpoints: users (with states and CSV import), user groups and memberships."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response
from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from scimhub.directory.csv_import import import_csv_bytes
from scimhub.directory.models import MembershipChange, UserState

from .deps import HubDep
from .shapes import After, Limit, Record


class ProblemOut(BaseModel):
    error: str = Field(description="A stable code: invalid, not_found, conflict, refused")
    detail: str


_PROBLEMS: dict[int | str, dict[str, Any]] = {
    404: {"model": ProblemOut, "description": "No user or group with that id or name"},
    409: {"model": ProblemOut, "description": "A name is taken, or a state rule refuses"},
}
router = APIRouter(responses=_PROBLEMS)

_JOB_TITLE = AliasChoices("job_title", "jobTitle")


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    username: str = Field(description="1-128 letters, digits and . _ - @ + (an email is fine)")
    email: str
    firstname: str = ""
    lastname: str = ""
    department: str = ""
    job_title: str = Field("", validation_alias=_JOB_TITLE)
    #: Not strict: JSON has no enum type, so the state arrives as a string.
    state: UserState = Field(UserState.ACTIVATED, strict=False)


class UserPatch(BaseModel):
    """Only the fields sent are changed; the state changes through suspend and activate."""

    model_config = ConfigDict(extra="forbid", strict=True)
    username: str = ""
    email: str = ""
    firstname: str = ""
    lastname: str = ""
    department: str = ""
    job_title: str = Field("", validation_alias=_JOB_TITLE)


class UserOut(Record):
    id: str
    username: str
    email: str
    firstname: str
    lastname: str
    department: str
    job_title: str
    state: UserState
    created: datetime
    updated: datetime


class UserPageOut(Record):
    items: list[UserOut]
    next_cursor: str | None = Field(description="Pass as `after` for the next page")


class GroupIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    name: str = Field(description="Unique (case-insensitive), at most 200 characters")
    description: str = ""


class GroupPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    name: str | None = None
    description: str | None = None


class GroupOut(Record):
    id: str
    name: str
    description: str
    member_count: int
    created: datetime
    updated: datetime


class GroupPageOut(Record):
    items: list[GroupOut]
    next_cursor: str | None = Field(description="Pass as `after` for the next page")


class MembersIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    users: list[str] = Field(min_length=1, description="User ids or usernames")


class MembershipChangeOut(BaseModel):
    group: GroupOut
    changed: list[str] = Field(description="Usernames added (or removed)")
    unchanged: list[str] = Field(description="Usernames already members (or not members)")

    @classmethod
    def of(cls, c: MembershipChange) -> MembershipChangeOut:
        return cls(
            group=GroupOut.model_validate(c.group),
            changed=[u.username for u in c.changed],
            unchanged=[u.username for u in c.unchanged],
        )


class RowErrorOut(Record):
    line: int = Field(description="The line the row starts on; the header is line 1")
    username: str | None
    detail: str


class CsvReportOut(Record):
    created: list[UserOut]
    errors: list[RowErrorOut]


Search = Annotated[str | None, Query(description="Case-insensitive prefix")]
CsvBody = Annotated[bytes, Body(media_type="text/csv", description="UTF-8 CSV with a header")]

# --- users ----------------------------------------------------------------------------------


@router.get("/users", tags=["users"], summary="List users by username, with search and state")
def list_users(
    hub: HubDep,
    q: Search = None,
    state: UserState | None = None,
    limit: Limit = 50,
    after: After = None,
) -> UserPageOut:
    page = hub.users.list(q=q, state=state, limit=limit, after=after)
    return UserPageOut.model_validate(page)


@router.post("/users", tags=["users"], status_code=201, summary="Create a user")
def create_user(hub: HubDep, body: UserIn, response: Response) -> UserOut:
    user = hub.users.add(**body.model_dump())
    response.headers["Location"] = f"/api/v1/users/{user.id}"
    return UserOut.model_validate(user)


@router.post(
    "/users/import",
    tags=["users"],
    summary="Create users from CSV; 200 with per-row errors, 422 if the file is unusable",
    description="Columns: username,email,firstname,lastname,department,jobTitle[,state]. "
    "Each row goes in on its own: a bad row is reported by line and leaves nothing behind.",
)
def import_users(hub: HubDep, body: CsvBody) -> CsvReportOut:
    return CsvReportOut.model_validate(import_csv_bytes(hub.users, body))


@router.get("/users/{ref}", tags=["users"], summary="One user, by id or username")
def get_user(hub: HubDep, ref: str) -> UserOut:
    return UserOut.model_validate(hub.users.get(ref))


@router.patch("/users/{ref}", tags=["users"], summary="Edit a user's attributes")
def edit_user(hub: HubDep, ref: str, body: UserPatch) -> UserOut:
    fields = body.model_dump(exclude_unset=True)
    return UserOut.model_validate(hub.users.edit(ref, **fields))


@router.delete("/users/{ref}", tags=["users"], status_code=204, summary="Delete a user")
def delete_user(hub: HubDep, ref: str) -> Response:
    hub.users.delete(ref)
    return Response(status_code=204)


@router.post(
    "/users/{ref}/suspend", tags=["users"], summary="ACTIVATED -> SUSPENDED (409 for a STAGED user)"
)
def suspend_user(hub: HubDep, ref: str) -> UserOut:
    return UserOut.model_validate(hub.users.suspend(ref))


@router.post("/users/{ref}/activate", tags=["users"], summary="STAGED or SUSPENDED -> ACTIVATED")
def activate_user(hub: HubDep, ref: str) -> UserOut:
    return UserOut.model_validate(hub.users.activate(ref))


@router.get("/users/{ref}/groups", tags=["users"], summary="The groups a user belongs to")
def user_groups(hub: HubDep, ref: str) -> list[GroupOut]:
    return [GroupOut.model_validate(g) for g in hub.groups.groups_of(ref)]


# --- groups ---------------------------------------------------------------------------------


@router.get("/groups", tags=["groups"], summary="List user groups by name, with search")
def list_groups(
    hub: HubDep, q: Search = None, limit: Limit = 50, after: After = None
) -> GroupPageOut:
    page = hub.groups.list(q=q, limit=limit, after=after)
    return GroupPageOut.model_validate(page)


@router.post("/groups", tags=["groups"], status_code=201, summary="Create a user group")
def create_group(hub: HubDep, body: GroupIn, response: Response) -> GroupOut:
    group = hub.groups.add(name=body.name, description=body.description)
    response.headers["Location"] = f"/api/v1/groups/{group.id}"
    return GroupOut.model_validate(group)


@router.get("/groups/{ref}", tags=["groups"], summary="One group, by id or name")
def get_group(hub: HubDep, ref: str) -> GroupOut:
    return GroupOut.model_validate(hub.groups.get(ref))


@router.patch("/groups/{ref}", tags=["groups"], summary="Rename a group or edit its description")
def edit_group(hub: HubDep, ref: str, body: GroupPatch) -> GroupOut:
    return GroupOut.model_validate(hub.groups.edit(ref, **body.model_dump(exclude_unset=True)))


class BoundApplicationOut(BaseModel):
    id: str
    label: str


@router.get(
    "/groups/{ref}/applications",
    tags=["groups"],
    summary="The applications the group is bound to",
)
def group_applications(hub: HubDep, ref: str) -> list[BoundApplicationOut]:
    group = hub.groups.get(ref)
    bound = hub.bindings.applications_of_group(group.id)
    return [BoundApplicationOut(id=app_id, label=label) for app_id, label in bound]


@router.delete(
    "/groups/{ref}", tags=["groups"], status_code=204, summary="Delete a group (not its users)"
)
def delete_group(hub: HubDep, ref: str) -> Response:
    hub.groups.delete(ref)
    return Response(status_code=204)


@router.get("/groups/{ref}/members", tags=["groups"], summary="A group's members by username")
def group_members(hub: HubDep, ref: str, limit: Limit = 50, after: After = None) -> UserPageOut:
    page = hub.groups.members(ref, limit=limit, after=after)
    return UserPageOut.model_validate(page)


@router.post(
    "/groups/{ref}/members",
    tags=["groups"],
    summary="Add members (all or nothing: 404 lists every unknown user)",
)
def add_members(hub: HubDep, ref: str, body: MembersIn) -> MembershipChangeOut:
    return MembershipChangeOut.of(hub.groups.add_members(ref, body.users))


@router.post(
    "/groups/{ref}/members/remove",
    tags=["groups"],
    summary="Remove members (POST, body like adding; all or nothing)",
)
def remove_members(hub: HubDep, ref: str, body: MembersIn) -> MembershipChangeOut:
    return MembershipChangeOut.of(hub.groups.remove_members(ref, body.users))
