"""The whole mission in a real browser, against a real provider's Profit.co tenant: sign in,
add the application, see why a wrong token fails, activate with the right one, bind a group
and see its users appear in the provider, suspend one on their page (active=false there),
see the token refused while active, import users who exist only in the provider, see the
delete refused while active, deactivate, and delete the application."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from conftest import LiveServer, Tenant
from integration.web.support import Admin
from scimhub.applications.idm_rules import TOKEN_RULE
from scimhub.hub import Hub

from .conftest import PROFITCO_PATH
from .flows import sign_in

#: What the browser reports of the refusals this flow provokes (a 4xx answer, which htmx
#: shows in the alert region) and of /favicon.ico, which the UI does not serve. Anything
#: else (a CSP violation, a failing script) is an error of the page.
_EXPECTED = re.compile(
    r"Failed to load resource: the server responded with a status of 4\d\d"
    r"|Response Status Error Code 4\d\d from /ui/"
)


@pytest.fixture
def worker(ui_hub: Hub) -> Iterator[None]:
    """The provisioning worker a deployment runs beside the server (ui_server has none)."""
    running = ui_hub.worker()
    running.start()
    yield
    running.stop()


def _eventually(check: Callable[[], Any], what: str, seconds: float = 20) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"not within {seconds}s: {what}")


def _remote_user(target: Tenant, username: str) -> dict[str, Any] | None:
    answer = target.client.get("/Users", params={"filter": f'userName eq "{username}"'})
    answer.raise_for_status()
    found: list[dict[str, Any]] = answer.json().get("Resources", [])
    return found[0] if found else None


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # the provider's database
def test_profitco_is_added_activated_provisions_a_group_and_is_deleted(
    page: Page,
    admin: Admin,
    ui_hub: Hub,
    target: Tenant,
    provider: LiveServer,
    worker: None,
    console: list[str],
) -> None:
    tag = uuid.uuid4().hex[:8]
    users = [f"ann-{tag}@example.com", f"bob-{tag}@example.com"]
    for username in users:
        ui_hub.users.add(username=username, email=username, firstname="Test", lastname=tag)
    group = ui_hub.groups.add(name=f"OKR team {tag}")
    ui_hub.groups.add_members(group.id, users)
    label = f"Profit.co {tag}"

    sign_in(page, admin)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="SSO Applications").click()
    page.get_by_role("link", name="+ Add New Application").click()
    page.get_by_label("Search the catalog by name").fill("profit")
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_label("Profit.co").check()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Display label").fill(label)
    page.get_by_label("Description").fill("OKRs for everyone")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{label} is added")
    page.get_by_role("link", name="Configure Application").click()

    # Identity Management: a wrong token says why, the right one activates.
    expect(_tab(page, label, "Identity Management")).to_have_attribute("aria-current", "page")
    expect(page.get_by_label("Custom base URL")).to_be_hidden()  # a region is chosen
    page.get_by_label("Region").select_option(label="Custom base URL")
    page.get_by_label("Custom base URL").fill(provider.url + PROFITCO_PATH)
    page.get_by_label("Token").fill("wrong-token-0000")
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "The token was rejected by the application (HTTP 401)"
    )
    page.get_by_label("Token").fill(target.token)
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_role("status")).to_contain_text("successfully verified")
    expect(page.get_by_text(f"ending in …{target.token[-4:]}").first).to_be_visible()

    # User Groups: bind the group; its members appear in the provider.
    _tab(page, label, "User Groups").click()
    page.get_by_label("User group", exact=True).fill(group.name)
    page.get_by_role("button", name="Bind group").click()
    expect(page.get_by_role("status")).to_contain_text(f"Bound {group.name}")
    expect(page.get_by_role("row", name=re.compile(group.name))).to_contain_text("2")
    for username in users:
        remote = _eventually(lambda u=username: _remote_user(target, u), f"{username} created")
        assert remote["active"] is True

    # Suspend a user on their page; the provider shows active=false.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    page.get_by_label("Search").fill(users[0])
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_role("link", name=users[0]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(users[0])
    page.get_by_role("button", name="Suspend").click()
    expect(page.get_by_role("status")).to_have_text(f"User '{users[0]}' suspended.")
    expect(page.get_by_role("button", name="Activate")).to_be_visible()
    _eventually(
        lambda: (_remote_user(target, users[0]) or {}).get("active") is False,
        f"{users[0]} deactivated",
    )
    page.get_by_role("navigation", name="Main").get_by_role("link", name="SSO Applications").click()
    page.get_by_role("link", name=label).click()
    _tab(page, label, "Provisioning log").click()
    page.get_by_label("User", exact=True).fill(users[0])
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("cell", name="deactivate", exact=True).first).to_be_visible()

    # The token cannot change while active; the service's rule is shown.
    _tab(page, label, "Identity Management").click()
    page.get_by_label("Token").fill("another-token-1111")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_have_text(TOKEN_RULE)

    # Import users who exist only in the provider: New, selected, created at once.
    only_there = [f"cara-{tag}@example.com", f"dan-{tag}@example.com"]
    for username in only_there:
        target.client.post("/Users", json=_scim_user(username)).raise_for_status()
    _tab(page, label, "Import").click()
    expect(page.get_by_role("note")).to_contain_text("Imported users belong to no group")
    page.get_by_label("Show New users only").check()
    page.get_by_role("button", name="Apply").click()
    for username in only_there:
        expect(page.get_by_role("row", name=re.compile(re.escape(username)))).to_contain_text("New")
        page.get_by_label(f"Select {username}").check()
    expect(page.get_by_role("row", name=re.compile(re.escape(users[1])))).to_have_count(0)
    page.get_by_role("button", name="Import selected").click()
    expect(page.get_by_role("status")).to_contain_text("2 of 2 users created in the directory")
    expect(page.get_by_role("note")).to_contain_text("user group bound to")
    for username in only_there:
        expect(page.get_by_role("row", name=re.compile(re.escape(username)))).to_contain_text(
            "created"
        )
        assert ui_hub.users.get(username).lastname == "Imported"

    # Deleting is refused while the integration is active.
    _delete(page, label)
    expect(page.get_by_role("alert")).to_contain_text("the IdM integration is active")

    # Deactivate (after a confirmation), then delete.
    page.get_by_role("link", name="Cancel").click()
    page.get_by_role("link", name=label).click()
    _tab(page, label, "Identity Management").click()
    page.get_by_role("button", name="Deactivate IdM connection").click()
    expect(page.get_by_role("heading", name="Deactivate the IdM connection?")).to_be_visible()
    page.get_by_role("button", name="Deactivate IdM connection").click()
    expect(page.get_by_role("status")).to_contain_text("provisioning has stopped")
    _delete(page, label)
    expect(page.get_by_role("status")).to_have_text(f"Deleted 1 application: {label}.")
    expect(page.get_by_role("link", name=label)).to_have_count(0)
    errors = [m for m in console if not _EXPECTED.match(m)]
    assert errors == [], "\n".join(errors)


def _scim_user(username: str) -> dict[str, Any]:
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": username,
        "name": {"givenName": "Only", "familyName": "Imported"},
        "emails": [{"value": username, "type": "work", "primary": True}],
        "active": True,
    }


def _tab(page: Page, label: str, name: str) -> Locator:
    return page.get_by_role("navigation", name=f"{label} settings").get_by_role("link", name=name)


def _delete(page: Page, label: str) -> None:
    """From the list: check the application, Delete, type the count, Delete Application."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="SSO Applications").click()
    page.get_by_label("Search", exact=True).fill(label)
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_label(f"Select {label}").check()
    page.get_by_role("button", name="Delete", exact=True).click()
    page.get_by_label("Type the number of applications being deleted").fill("1")
    page.get_by_role("button", name="Delete Application").click()
