"""The Import tab in a real browser: the import buttons are disabled and say "Importing…"
while the answer is awaited; a job's page keeps the keyboard focus on its actions while it
polls, redraws them when the job stops (Resume appears, the focus stays), and cancels through
its confirmation; the tab still lists the jobs when the integration is not active."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, Request, Route, expect

from conftest import LiveServer, Tenant
from integration.web.support import Admin
from scimhub.applications.models import Application
from scimhub.hub import Hub
from scimhub.provisioning.importing import ImportJob

from .conftest import PROFITCO_PATH
from .flows import sign_in

#: The tab answers 409 once the integration is inactive (the page says why); /favicon.ico is
#: not served. Anything else the page reports (a CSP violation, a failing script) is an error.
_EXPECTED = re.compile(r"Failed to load resource: the server responded with a status of 40[49]")

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # the provider's


@pytest.fixture
def app(ui_hub: Hub, target: Tenant, provider: LiveServer) -> Iterator[Application]:
    """Profit.co, active against the provider's tenant (no worker runs: jobs stay queued)."""
    made = ui_hub.applications.create(catalog_key="profitco", label=f"Import {_tag()}")
    ui_hub.idm.activate(made.id, base_url=provider.url + PROFITCO_PATH, token=target.token)
    yield made
    if ui_hub.idm.get(made.id).state == "active":
        ui_hub.idm.deactivate(made.id)


def _tag() -> str:
    return uuid.uuid4().hex[:8]


def _queued_job(hub: Hub, app: Application) -> ImportJob:
    """A background job (100 usernames) that stays queued: no worker runs beside the server."""
    tag = _tag()
    names = [f"nobody-{n}-{tag}@example.com" for n in range(100)]
    job = hub.imports.start(app.id, usernames=names).job
    assert job is not None and job.state == "queued"
    return job


def _count_polls(page: Page, job: ImportJob) -> list[str]:
    polls: list[str] = []

    def seen(request: Request) -> None:
        if request.url.endswith(f"/import/jobs/{job.id}") and request.headers.get("hx-request"):
            polls.append(request.url)

    page.on("request", seen)
    return polls


def _focused_id(page: Page) -> str:
    return str(page.evaluate("document.activeElement ? document.activeElement.id : ''"))


def test_the_import_buttons_are_disabled_and_say_importing_until_the_answer(
    page: Page, admin: Admin, app: Application, target: Tenant, console: list[str]
) -> None:
    tag = _tag()
    for name in (f"cara-{tag}@example.com", f"dan-{tag}@example.com"):
        user = {"userName": name, "name": {"givenName": "Only", "familyName": "Imported"}}
        user |= {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "active": True}
        user |= {"emails": [{"value": name, "type": "work", "primary": True}]}
        target.client.post("/Users", json=user).raise_for_status()
    held: list[Route] = []
    path = f"/ui/applications/{app.id}/import"
    page.route(
        f"**{path}",
        lambda route: held.append(route) if route.request.method == "POST" else route.fallback(),
    )
    sign_in(page, admin)
    page.goto(path)
    importing = page.get_by_text("Importing…")
    expect(importing).to_be_hidden()
    page.get_by_role("button", name="Import all New users").click()
    expect(importing).to_be_visible()
    expect(page.get_by_role("button", name="Import all New users")).to_be_disabled()
    expect(page.get_by_role("button", name="Import selected")).to_be_disabled()
    assert len(held) == 1 and "all_new=true" in (held[0].request.post_data or "")
    held[0].fallback()
    expect(page.locator("#status")).to_have_text("2 of 2 users created in the directory")
    expect(page.get_by_role("row", name=re.compile(f"cara-{tag}"))).to_contain_text("created")
    assert len(held) == 1  # one click, one import
    assert [m for m in console if not _EXPECTED.match(m)] == []


def test_a_running_jobs_page_keeps_the_focus_on_cancel_and_cancels_after_confirming(
    page: Page, admin: Admin, ui_hub: Hub, app: Application, console: list[str]
) -> None:
    job = _queued_job(ui_hub, app)
    path = f"/ui/applications/{app.id}/import/jobs/{job.id}"
    polls = _count_polls(page, job)
    sign_in(page, admin)
    page.goto(path)
    cancel = page.get_by_role("link", name="Cancel the import job")
    cancel.focus()
    page.wait_for_timeout(2500)
    assert len(polls) >= 2  # the status was redrawn meanwhile
    assert _focused_id(page) == "job-cancel"
    expect(page.get_by_role("heading", name="Import job: queued")).to_be_visible()

    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Cancel this import job?")).to_be_visible()
    page.get_by_role("button", name="Cancel the import job").click()
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))
    expect(page.locator("#status")).to_have_text("The import job is cancelled")
    expect(page.get_by_role("heading", name="Import job: cancelled")).to_be_visible()
    expect(page.get_by_role("link", name="Cancel the import job")).to_have_count(0)
    assert ui_hub.imports.job(app.id, job.id).state == "cancelled"
    assert [m for m in console if not _EXPECTED.match(m)] == []


def test_a_job_that_stops_shows_resume_and_the_tab_still_lists_it(
    page: Page, admin: Admin, ui_hub: Hub, app: Application, console: list[str]
) -> None:
    job = _queued_job(ui_hub, app)
    polls = _count_polls(page, job)
    sign_in(page, admin)
    page.goto(f"/ui/applications/{app.id}/import/jobs/{job.id}")
    page.get_by_role("link", name="Cancel the import job").focus()
    ui_hub.idm.deactivate(app.id)
    stopped = ui_hub.imports.run(job.id, "browser test")  # stops: the integration is inactive
    assert stopped is not None and stopped.state == "failed"

    expect(page.get_by_role("heading", name="Import job: failed")).to_be_visible()
    expect(page.get_by_role("button", name="Resume the import")).to_be_visible()
    expect(page.get_by_role("alert").filter(has_text="activate it and resume")).to_be_visible()
    assert _focused_id(page) == "job-cancel"  # the redrawn section kept it
    seen = len(polls)
    page.wait_for_timeout(1500)
    assert len(polls) == seen  # an ended job is not polled

    page.get_by_role("link", name="Back to the import list").click()
    expect(page.locator("#alert")).to_contain_text("IdM integration of this application is not")
    expect(page.get_by_role("link", name="Import", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    page.get_by_role("row", name=re.compile("failed")).get_by_role("link").click()
    expect(page.get_by_role("heading", name="Import job: failed")).to_be_visible()
    assert [m for m in console if not _EXPECTED.match(m)] == []
