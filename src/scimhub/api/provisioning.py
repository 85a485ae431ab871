"""The engine of one application: its state, and what admins do with it (resume after a
quarantine, confirm a guarded deprovisioning, reconcile now, provision one user now, see
the plan). The work itself is done by workers; these calls only steer and read."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from scimhub.provisioning.log import LogEntry

from .deps import HubDep
from .shapes import Record

__all__ = ["router"]

router = APIRouter(tags=["provisioning"])

#: A dry run of a large application is cut here (the CLI prints every step).
MAX_PLANNED = 10_000


class ProvisioningOut(Record):
    app_id: str
    integration: str = Field(description="unconfigured, inactive or active")
    state: str = Field(description="running, quarantined (401/403) or paused (the guard)")
    reason: str | None = Field(description="Why the engine is quarantined or paused")
    since: datetime | None
    hold_until: datetime | None = Field(description="A 429's Retry-After, if one is running")
    provisioned: int
    deprovisioned: int
    pending: int = Field(description="Users waiting for the engine")
    errors: int = Field(description="Users whose last attempt failed")
    last_reconcile: datetime | None
    next_reconcile: datetime | None


class SyncIn(BaseModel):
    user: str = Field(description="The username (or id) to provision now")


class StepOut(Record):
    at: datetime
    username: str | None
    action: str
    status: str
    summary: str
    http_status: int | None
    message: str | None
    elapsed_ms: int | None


class SyncOut(BaseModel):
    steps: list[StepOut]
    remote_state: str | None = Field(description="absent, active or inactive; null: no link")
    remote_id: str | None
    error: str | None


class PlanOut(BaseModel):
    steps: list[StepOut]
    counts: dict[str, int]
    truncated: bool


@router.get("/applications/{ref}/provisioning", summary="The engine's state for the application")
def status(hub: HubDep, ref: str) -> ProvisioningOut:
    return ProvisioningOut.model_validate(hub.provisioning.status(ref))


@router.post("/applications/{ref}/provisioning/resume", summary="End a quarantine or pause")
def resume(hub: HubDep, ref: str) -> ProvisioningOut:
    return ProvisioningOut.model_validate(hub.provisioning.resume(ref))


@router.post(
    "/applications/{ref}/provisioning/confirm-deprovision",
    summary="Let the deprovisionings the guard paused go ahead (409 if not paused)",
)
def confirm(hub: HubDep, ref: str) -> ProvisioningOut:
    return ProvisioningOut.model_validate(hub.provisioning.confirm_deprovision(ref))


@router.post("/applications/{ref}/provisioning/reconcile", summary="A full reconcile now")
def reconcile(hub: HubDep, ref: str) -> ProvisioningOut:
    return ProvisioningOut.model_validate(hub.provisioning.reconcile(ref))


@router.post(
    "/applications/{ref}/provisioning/sync",
    summary="Provision one user now and return each step (409 if quarantined or inactive)",
)
def sync_user(hub: HubDep, ref: str, body: SyncIn) -> SyncOut:
    steps: list[LogEntry] = []
    link = hub.provisioning.sync_user(ref, body.user, observer=steps.append)
    return SyncOut(
        steps=[StepOut.model_validate(s) for s in steps],
        remote_state=None if link is None else link.remote_state,
        remote_id=None if link is None else link.remote_id,
        error=None if link is None else link.error,
    )


@router.post(
    "/applications/{ref}/provisioning/dry-run",
    summary="The plan (creates, updates with diffs, deprovisionings); nothing is written",
)
def dry_run(hub: HubDep, ref: str) -> PlanOut:
    steps: list[LogEntry] = []
    counts: dict[str, int] = {}

    def planned(entry: LogEntry) -> None:
        if entry.action == "lookup":
            return
        counts[entry.action] = counts.get(entry.action, 0) + 1
        if len(steps) < MAX_PLANNED:
            steps.append(entry)

    hub.provisioning.dry_run(ref, planned)
    shown = [StepOut.model_validate(s) for s in steps]
    return PlanOut(steps=shown, counts=counts, truncated=sum(counts.values()) > len(steps))
