"""Import: an application's users listed as New or Imported, imported into the directory
(at once under 100 users, else as a background job with progress and a summary email)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, model_validator

from scimhub.provisioning.importing import Candidate, ImportJob, ItemResult
from scimhub.storage.api_keys import ApiKey

from .deps import HubDep, require_api_key
from .shapes import Record

__all__ = ["router"]

router = APIRouter(tags=["import"])
_STATUS = {"new": "New", "imported": "Imported"}


class CandidateOut(Record):
    username: str = Field(description="The userName in the application ('' if it has none)")
    email: str
    name: str
    remote_id: str
    status: str = Field(description="New (not in the directory) or Imported")
    match: str | None = Field(description="userName or email: how the directory user matched")
    directory_user: str | None = Field(description="The matching directory user's username")
    conflict: str | None = Field(description="Why importing this user would fail")


class CandidatesOut(Record):
    users: list[CandidateOut]
    next_start: int | None = Field(description="startIndex to continue from; null: the end")
    total: int | None = Field(description="The application's totalResults, when it says")


class ImportIn(BaseModel):
    users: list[str] = Field(default_factory=list, description="userNames to import")
    all_new: bool = Field(default=False, description="Import every New user instead")
    notify: list[str] = Field(
        default_factory=list, max_length=20, description="Who gets the summary email"
    )

    @model_validator(mode="after")
    def _one_choice(self) -> ImportIn:
        if self.all_new == bool(self.users):
            raise ValueError("give either users or all_new: true")
        return self


class ResultOut(Record):
    username: str
    remote_id: str | None
    outcome: str = Field(description="created, skipped (already in the directory) or failed")
    reason: str | None


class JobOut(Record):
    id: str
    app_id: str
    kind: str = Field(description="all_new or users")
    state: str = Field(description="queued, running, completed, failed (resumable) or cancelled")
    requested_by: str
    total: int | None
    listed: int
    created: int
    skipped: int
    failed: int
    done: int
    percent: float | None
    error: str | None = Field(description="Why a failed job stopped, or who cancelled it")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    email_state: str = Field(description="pending, sent, failed or off (no SMTP configured)")
    email_error: str | None


class ImportOut(Record):
    mode: str = Field(description="immediate (results below) or background (job below)")
    results: list[ResultOut] | None
    job: JobOut | None
    warning: str
    message: str


class ItemOut(Record):
    seq: int
    username: str
    remote_id: str | None
    outcome: str
    reason: str | None


@router.get(
    "/applications/{ref}/import/users",
    summary="The application's users, each New or Imported (read from its SCIM API)",
)
def candidates(
    hub: HubDep,
    ref: str,
    start: Annotated[int, Query(ge=1, le=2**31 - 1)] = 1,
    count: Annotated[int, Query(ge=1, le=1000)] = 100,
    new_only: bool = False,
) -> CandidatesOut:
    page = hub.imports.candidates(ref, start=start, count=count, new_only=new_only)
    users = [_candidate(c) for c in page.candidates]
    return CandidatesOut(users=users, next_start=page.next_start, total=page.total)


@router.post(
    "/applications/{ref}/imports",
    summary="Import users: under 100 at once (200, per-user results), else a job (202)",
    responses={202: {"model": ImportOut}},
)
def start_import(
    hub: HubDep, ref: str, body: ImportIn, key: Annotated[ApiKey, Depends(require_api_key)]
) -> Any:
    started = hub.imports.start(
        ref,
        usernames=body.users,
        all_new=body.all_new,
        requested_by=f"API key {key.prefix}",
        notify=body.notify,
    )
    if started.job is None:
        results = [_result(r) for r in started.results or []]
        created = sum(1 for r in results if r.outcome == "created")
        message = f"{created} of {len(results)} users created in the directory"
        out = ImportOut(
            mode="immediate", results=results, job=None, warning=started.warning, message=message
        )
        return out
    message = "The import runs in the background; an email with the summary follows"
    out = ImportOut(
        mode="background",
        results=None,
        job=job_out(started.job),
        warning=started.warning,
        message=message,
    )
    return JSONResponse(out.model_dump(mode="json"), status_code=202)


@router.get("/applications/{ref}/imports", summary="Recent import jobs, newest first")
def list_jobs(hub: HubDep, ref: str) -> list[JobOut]:
    return [job_out(j) for j in hub.imports.jobs(ref)]


@router.get("/applications/{ref}/imports/{job_id}", summary="An import job and its progress")
def get_job(hub: HubDep, ref: str, job_id: str) -> JobOut:
    return job_out(hub.imports.job(ref, job_id))


@router.get(
    "/applications/{ref}/imports/{job_id}/items",
    summary="An import job's per-user results, in order (continue with after=<last seq>)",
)
def job_items(
    hub: HubDep,
    ref: str,
    job_id: str,
    *,
    outcome: str | None = None,
    after: Annotated[int, Query(ge=-1, le=2**31 - 1)] = -1,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[ItemOut]:
    found = hub.imports.items(ref, job_id, outcome=outcome, after=after, limit=limit)
    return [ItemOut.model_validate(i) for i in found]


@router.post(
    "/applications/{ref}/imports/{job_id}/resume",
    summary="Queue a failed job again; it continues where it stopped",
)
def resume(hub: HubDep, ref: str, job_id: str) -> JobOut:
    return job_out(hub.imports.resume(ref, job_id))


@router.post(
    "/applications/{ref}/imports/{job_id}/cancel",
    summary="Cancel a job: it stops at its next page; the users it imported stay",
)
def cancel(
    hub: HubDep, ref: str, job_id: str, key: Annotated[ApiKey, Depends(require_api_key)]
) -> JobOut:
    return job_out(hub.imports.cancel(ref, job_id, by=f"API key {key.prefix}"))


def job_out(job: ImportJob) -> JobOut:
    percent = None
    if job.total:
        percent = round(min(100.0, 100.0 * job.progressed / job.total), 1)
    if job.state == "completed":
        percent = 100.0
    fields = {name: getattr(job, name) for name in JobOut.model_fields if hasattr(job, name)}
    return JobOut(**fields | {"percent": percent})


def _candidate(c: Candidate) -> CandidateOut:
    r = c.remote
    return CandidateOut(
        username=r.printable_name,
        email=r.email,
        name=r.display_name,
        remote_id=r.remote_id,
        status=_STATUS[c.status],
        match=c.match,
        directory_user=c.directory_username,
        conflict=c.conflict,
    )


def _result(r: ItemResult) -> ResultOut:
    return ResultOut(username=r.username, remote_id=r.remote_id, outcome=r.outcome, reason=r.reason)
