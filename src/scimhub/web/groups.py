"""The User Groups screens: groups listed (search, keyset pages) and added; a group's page
to rename or describe it, add members by username and remove them (after a confirmation
step when the group is bound to applications: the member may be deprovisioned there), see
the applications it is bound to, and delete it after a confirmation step."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import HTMLResponse, Response

from scimhub.directory.models import MembershipChange

from .auth import HubDep
from .render import redirect, render

__all__ = ["router"]

router = APIRouter()
PAGE_SIZE = 50
FormText = Annotated[str, Form()]


@router.get("/groups")
def groups_list(request: Request, hub: HubDep, q: str = "", after: str | None = None) -> Response:
    page = hub.groups.list(q=q or None, limit=PAGE_SIZE, after=after)
    return render(request, "groups/list.html", {"page": page, "q": q, "after": after})


@router.get("/groups/new")
def group_new(request: Request) -> HTMLResponse:
    return render(request, "groups/new.html")


@router.post("/groups/new")
def group_add(
    request: Request, hub: HubDep, name: FormText = "", description: FormText = ""
) -> Response:
    group = hub.groups.add(name=name, description=description)
    return redirect(request, f"/groups/{group.id}", success=f"Group '{group.name}' added.")


@router.get("/groups/{group_id}")
def group_page(
    request: Request, hub: HubDep, group_id: str, after: str | None = None
) -> HTMLResponse:
    group = hub.groups.get(group_id)
    context = {
        "group": group,
        "members": hub.groups.members(group.id, limit=PAGE_SIZE, after=after),
        "after": after,
        "applications": hub.bindings.applications_of_group(group.id),
    }
    return render(request, "groups/detail.html", context)


@router.post("/groups/{group_id}")
def group_edit(
    request: Request, hub: HubDep, group_id: str, name: FormText = "", description: FormText = ""
) -> Response:
    group = hub.groups.edit(group_id, name=name, description=description)
    return redirect(request, f"/groups/{group.id}", success=f"Group '{group.name}' saved.")


@router.post("/groups/{group_id}/members")
def member_add(request: Request, hub: HubDep, group_id: str, username: FormText = "") -> Response:
    change = hub.groups.add_members(group_id, [username])
    done = "added to" if change.changed else "is already a member of"
    return _back_to_group(request, change, done)


@router.get("/groups/{group_id}/members/{user_id}/remove")
def member_remove_confirm(
    request: Request, hub: HubDep, group_id: str, user_id: str
) -> HTMLResponse:
    """The confirmation step when the group is bound to applications: the member may lose
    access there (unless another bound group grants it)."""
    group = hub.groups.get(group_id)
    context = {
        "group": group,
        "user": hub.users.get(user_id),
        "applications": hub.bindings.applications_of_group(group.id),
    }
    return render(request, "groups/remove_member.html", context)


@router.post("/groups/{group_id}/members/remove")
def member_remove(request: Request, hub: HubDep, group_id: str, user_id: FormText = "") -> Response:
    change = hub.groups.remove_members(group_id, [user_id])
    done = "removed from" if change.changed else "was not a member of"
    return _back_to_group(request, change, done)


@router.get("/groups/{group_id}/delete")
def group_delete_confirm(request: Request, hub: HubDep, group_id: str) -> HTMLResponse:
    group = hub.groups.get(group_id)
    context = {"group": group, "applications": hub.bindings.applications_of_group(group.id)}
    return render(request, "groups/delete.html", context)


@router.post("/groups/{group_id}/delete")
def group_delete(request: Request, hub: HubDep, group_id: str) -> Response:
    group = hub.groups.delete(group_id)
    return redirect(request, "/groups", success=f"Group '{group.name}' deleted.")


def _back_to_group(request: Request, change: MembershipChange, done: str) -> Response:
    """The group's page, saying what happened to the one user named."""
    user = (change.changed or change.unchanged)[0]
    message = f"User '{user.username}' {done} '{change.group.name}'."
    return redirect(request, f"/groups/{change.group.id}", success=message)
