"""The Users screens: the directory's users listed (search, state filter, keyset pages),
added, edited, suspended and activated, and deleted after a confirmation step."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel
from starlette.responses import HTMLResponse, Response

from scimhub.directory.models import UserState

from .auth import HubDep
from .render import redirect, render

__all__ = ["router"]

router = APIRouter()
PAGE_SIZE = 50


class UserForm(BaseModel):
    """The editable fields of a user, as the add and edit forms post them; the service
    validates every value."""

    username: str = ""
    email: str = ""
    firstname: str = ""
    lastname: str = ""
    department: str = ""
    job_title: str = ""


UserFields = Annotated[UserForm, Form()]


@router.get("/users")
def users_list(
    request: Request,
    hub: HubDep,
    q: str = "",
    state: str = "",
    after: str | None = None,
) -> HTMLResponse:
    page = hub.users.list(q=q or None, state=state or None, limit=PAGE_SIZE, after=after)
    context = {"page": page, "q": q, "state": state, "after": after, "states": list(UserState)}
    return render(request, "users/list.html", context)


@router.get("/users/new")
def user_new(request: Request) -> HTMLResponse:
    return render(request, "users/new.html", {"states": [UserState.ACTIVATED, UserState.STAGED]})


@router.post("/users/new")
def user_add(
    request: Request, hub: HubDep, fields: UserFields, state: Annotated[str, Form()] = ""
) -> Response:
    user = hub.users.add(**fields.model_dump(), state=state or UserState.ACTIVATED)
    return redirect(request, f"/users/{user.id}", success=f"User '{user.username}' added.")


@router.get("/users/{user_id}")
def user_page(request: Request, hub: HubDep, user_id: str) -> HTMLResponse:
    user = hub.users.get(user_id)
    context = {"user": user, "groups": hub.groups.groups_of(user.id), "states": UserState}
    return render(request, "users/detail.html", context)


@router.post("/users/{user_id}")
def user_edit(request: Request, hub: HubDep, user_id: str, fields: UserFields) -> Response:
    user = hub.users.edit(user_id, **fields.model_dump())
    return redirect(request, f"/users/{user.id}", success=f"User '{user.username}' saved.")


@router.post("/users/{user_id}/suspend")
def user_suspend(request: Request, hub: HubDep, user_id: str) -> Response:
    user = hub.users.suspend(user_id)
    return redirect(request, f"/users/{user.id}", success=f"User '{user.username}' suspended.")


@router.post("/users/{user_id}/activate")
def user_activate(request: Request, hub: HubDep, user_id: str) -> Response:
    user = hub.users.activate(user_id)
    return redirect(request, f"/users/{user.id}", success=f"User '{user.username}' activated.")


@router.get("/users/{user_id}/delete")
def user_delete_confirm(request: Request, hub: HubDep, user_id: str) -> HTMLResponse:
    user = hub.users.get(user_id)
    context = {"user": user, "groups": hub.groups.groups_of(user.id)}
    return render(request, "users/delete.html", context)


@router.post("/users/{user_id}/delete")
def user_delete(request: Request, hub: HubDep, user_id: str) -> Response:
    user = hub.users.delete(user_id)
    return redirect(request, "/users", success=f"User '{user.username}' deleted.")
