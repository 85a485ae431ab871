"""The provisioning log of an application: what the engine sent, and what came back."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from scimhub.provisioning.log import ACTIONS, STATUSES

from .deps import HubDep
from .shapes import After, Limit, Record

router = APIRouter(tags=["provisioning"])


class LogEntryOut(Record):
    id: int
    at: datetime
    app_id: str
    user_id: str | None
    username: str | None
    action: str = Field(description=f"One of {', '.join(ACTIONS)}")
    status: str = Field(description=f"One of {', '.join(STATUSES)}")
    summary: str = Field(description="The request, e.g. 'PATCH /Users/8f3…: replace title'")
    http_status: int | None
    message: str | None = Field(description="The target's message, or why the step stopped")
    elapsed_ms: int | None


class LogPageOut(Record):
    items: list[LogEntryOut]
    next_cursor: str | None


@router.get(
    "/applications/{ref}/log",
    summary="The application's provisioning log, newest first (422 for an unknown filter value)",
)
def list_log(
    hub: HubDep,
    ref: str,
    *,
    user: Annotated[str | None, Query(description="A username, any case")] = None,
    status: Annotated[str | None, Query(description=f"One of {', '.join(STATUSES)}")] = None,
    action: Annotated[str | None, Query(description=f"One of {', '.join(ACTIONS)}")] = None,
    limit: Limit = 50,
    after: After = None,
) -> LogPageOut:
    page = hub.log.list(ref, user=user, status=status, action=action, limit=limit, after=after)
    return LogPageOut.model_validate(page)
