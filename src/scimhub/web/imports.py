"""The application panel's **Import** tab: the application's users listed as New or
Imported (with a New-only filter), a selection imported at once under 100 users, or as a
background job whose progress the page follows (and whose summary is emailed).

Everything is the import service's (``hub.imports``); this module only draws it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import HTMLResponse

from scimhub.problems import Invalid
from scimhub.provisioning.importing import ImportJob

from .app_panel import PanelTab, confirm_page, panel_values
from .auth import HubDep, SessionDep
from .render import is_htmx, render

__all__ = ["router"]

router = APIRouter()
PAGE = 50
_STATUS = {"new": "New", "imported": "Imported"}


@router.get("/applications/{app_id}/import")
def import_tab(
    request: Request,
    hub: HubDep,
    app_id: str,
    start: Annotated[int, Query(ge=1)] = 1,
    new_only: bool = False,
) -> HTMLResponse:
    panel = panel_values(hub, app_id, "import")
    app = panel["app"]
    page = hub.imports.candidates(app.id, start=start, count=PAGE, new_only=new_only)
    context = panel | {
        "candidates": page.candidates,
        "statuses": _STATUS,
        "next_start": page.next_start,
        "start": start,
        "total": page.total,
        "new_only": new_only,
        "jobs": hub.imports.jobs(app.id, limit=5),
    }
    return render(request, "imports/tab.html", context)


@router.post("/applications/{app_id}/import")
def start_import(
    request: Request,
    hub: HubDep,
    session: SessionDep,
    app_id: str,
    *,
    usernames: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies defaults)
    all_new: Annotated[bool, Form()] = False,
) -> HTMLResponse:
    panel = panel_values(hub, app_id, "import")
    app = panel["app"]
    if not usernames and not all_new:
        raise Invalid("Select at least one user to import, or choose Import all New users")
    started = hub.imports.start(
        app.id,
        usernames=usernames,
        all_new=all_new,
        requested_by=f"web UI {session.username}",
    )
    context: dict[str, object] = panel | {"warning": started.warning}
    if started.job is None:
        results = started.results or []
        created = sum(1 for r in results if r.outcome == "created")
        success = f"{created} of {len(results)} users created in the directory"
        return render(
            request, "imports/results.html", context | {"results": results}, success=success
        )
    context |= {"job": started.job, "progress": _progress(started.job)}
    success = "The import runs in the background; an email with the summary will follow"
    return render(request, "imports/job.html", context, success=success)


@router.get("/applications/{app_id}/import/jobs/{job_id}")
def job_page(request: Request, hub: HubDep, app_id: str, job_id: str) -> HTMLResponse:
    """The job's page, or (for htmx polling) just its progress panel."""
    panel = panel_values(hub, app_id, "import")
    job = hub.imports.job(panel["app"].id, job_id)
    context = panel | {"job": job, "progress": _progress(job)}
    failures = hub.imports.items(job.app_id, job.id, outcome="failed", limit=100)
    template = "imports/_progress.html" if is_htmx(request) else "imports/job.html"
    return render(request, template, context | {"failures": failures})


@router.post("/applications/{app_id}/import/jobs/{job_id}/resume")
def resume_job(request: Request, hub: HubDep, app_id: str, job_id: str) -> HTMLResponse:
    panel = panel_values(hub, app_id, "import")
    job = hub.imports.resume(panel["app"].id, job_id)
    context = panel | {"job": job, "progress": _progress(job)}
    return render(request, "imports/job.html", context, success="The import job resumes")


@router.get("/applications/{app_id}/import/jobs/{job_id}/cancel")
def confirm_cancel(request: Request, hub: HubDep, app_id: str, job_id: str) -> HTMLResponse:
    panel = panel_values(hub, app_id, PanelTab.IMPORT)
    job = hub.imports.job(panel["app"].id, job_id)
    path = f"/applications/{app_id}/import/jobs/{job.id}"
    return confirm_page(
        request,
        panel,
        heading="Cancel this import job?",
        explanation=(
            f"The job stops at its next page and cannot be resumed. The {job.created} users "
            "it has imported so far stay in the directory."
        ),
        action=f"{path}/cancel",
        button="Cancel the import job",
        back=("Keep importing", path),
    )


@router.post("/applications/{app_id}/import/jobs/{job_id}/cancel")
def cancel_job(
    request: Request, hub: HubDep, session: SessionDep, app_id: str, job_id: str
) -> HTMLResponse:
    panel = panel_values(hub, app_id, PanelTab.IMPORT)
    job = hub.imports.cancel(panel["app"].id, job_id, by=f"web UI {session.username}")
    context = panel | {"job": job, "progress": _progress(job)}
    return render(request, "imports/job.html", context, success="The import job is cancelled")


def _progress(job: ImportJob) -> dict[str, int | None]:
    """What the progress bar shows: done out of total (total unknown: an indeterminate bar)."""
    done = job.progressed
    total = job.total
    if job.state == "completed":
        total = total or max(done, 1)
        done = total
    return {"done": done, "total": total}
