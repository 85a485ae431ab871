"""The application panel's **Import** tab: the application's users listed as New or
Imported (with a New-only filter), a selection imported at once under 100 users, or as a
background job whose progress the page follows (and whose summary is emailed).

Everything is the import service's (``hub.imports``); this module only draws it. When the
application cannot be listed (the integration inactive, the application failing), the tab
still shows its recent jobs, with the reason in the alert region. A running job's page
polls only its status element, so the focus stays on its actions; the poll that finds the
job ended redraws the whole panel (actions, failures) and stops.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import HTMLResponse, Response

from scimhub.problems import Invalid, Problem
from scimhub.provisioning.importing import ImportJob

from .app_panel import PanelTab, confirm_page, panel_values
from .auth import HubDep, SessionDep
from .render import is_htmx, redirect, render

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
    context = panel | {
        "statuses": _STATUS,
        "start": start,
        "new_only": new_only,
        "jobs": hub.imports.jobs(app.id, limit=5),
    }
    try:
        page = hub.imports.candidates(app.id, start=start, count=PAGE, new_only=new_only)
    except Problem as exc:
        # Not listed (integration inactive, application failing): the jobs stay reachable
        # (a stopped one needs Resume or Cancel), and the reason is the page's alert.
        context |= {"listed": False, "error": exc.detail}
        return render(request, "imports/tab.html", context, status=exc.status)
    context |= {
        "listed": True,
        "candidates": page.candidates,
        "next_start": page.next_start,
        "total": page.total,
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
) -> Response:
    """A small import's results at once; a job: its page (a reload does not start another)."""
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
    success = "The import runs in the background; an email with the summary will follow"
    return redirect(request, _job_path(app.id, started.job.id), success=success)


@router.get("/applications/{app_id}/import/jobs/{job_id}")
def job_page(request: Request, hub: HubDep, app_id: str, job_id: str) -> HTMLResponse:
    """The job's page. For htmx polling: its status while it runs; once it has ended, its
    whole panel (final state, actions, failures), which replaces the polled one."""
    panel = panel_values(hub, app_id, "import")
    job = hub.imports.job(panel["app"].id, job_id)
    context = panel | {"job": job, "progress": _progress(job)}
    if is_htmx(request) and not job.finished:
        return render(request, "imports/_status.html", context)
    failures = hub.imports.items(job.app_id, job.id, outcome="failed", limit=100)
    context |= {"failures": failures}
    if is_htmx(request):
        ended = {"HX-Retarget": "#job-progress", "HX-Reswap": "outerHTML"}
        return render(request, "imports/_progress.html", context, headers=ended)
    return render(request, "imports/job.html", context)


@router.post("/applications/{app_id}/import/jobs/{job_id}/resume")
def resume_job(request: Request, hub: HubDep, app_id: str, job_id: str) -> Response:
    panel = panel_values(hub, app_id, "import")
    job = hub.imports.resume(panel["app"].id, job_id)
    return redirect(request, _job_path(job.app_id, job.id), success="The import job resumes")


@router.get("/applications/{app_id}/import/jobs/{job_id}/cancel")
def confirm_cancel(request: Request, hub: HubDep, app_id: str, job_id: str) -> HTMLResponse:
    panel = panel_values(hub, app_id, PanelTab.IMPORT)
    job = hub.imports.job(panel["app"].id, job_id)
    path = _job_path(job.app_id, job.id)
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
) -> Response:
    panel = panel_values(hub, app_id, PanelTab.IMPORT)
    job = hub.imports.cancel(panel["app"].id, job_id, by=f"web UI {session.username}")
    return redirect(request, _job_path(job.app_id, job.id), success="The import job is cancelled")


def _job_path(app_id: str, job_id: str) -> str:
    return f"/applications/{app_id}/import/jobs/{job_id}"


def _progress(job: ImportJob) -> dict[str, int | None]:
    """What the progress bar shows: done out of total (total unknown: an indeterminate bar)."""
    done = job.progressed
    total = job.total
    if job.state == "completed":
        total = total or max(done, 1)
        done = total
    return {"done": done, "total": total}
