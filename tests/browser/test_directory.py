"""The directory in a real browser: a user's whole life, and a group's members."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from integration.web.support import Admin
from scimhub.directory.models import UserState
from scimhub.hub import Hub

from .flows import sign_in

#: Chromium asks for /favicon.ico, which the UI does not serve; nothing else may fail.
_FAVICON = "Failed to load resource: the server responded with a status of 404 (Not Found)"


def page_errors(console: list[str]) -> list[str]:
    """What the page reported (a CSP violation, a failing script), but the favicon's 404."""
    return [message for message in console if message != _FAVICON]


def _search(page: Page, text: str, state: str = "All states") -> None:
    page.get_by_label("Search").fill(text)
    page.get_by_label("State").select_option(label=state)
    page.get_by_role("button", name="Search", exact=True).click()


def test_a_user_is_added_found_edited_suspended_activated_and_deleted(
    page: Page, admin: Admin, ui_hub: Hub, console: list[str]
) -> None:
    name = f"ada-{uuid.uuid4().hex[:8]}"
    sign_in(page, admin)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    page.get_by_role("link", name="+ Add user").click()
    page.get_by_label("Username").fill(name)
    page.get_by_label("Email").fill(f"{name}@example.com")
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_role("button", name="Add user").click()
    expect(page.get_by_role("status")).to_have_text(f"User '{name}' added.")
    expect(page.get_by_role("heading", level=1)).to_have_text(name)

    page.get_by_role("link", name="Users", exact=True).first.click()
    _search(page, name[:7].upper())
    expect(page.get_by_role("link", name=name)).to_be_visible()
    _search(page, name, state="Suspended")
    expect(page.get_by_text("No user matches this search.")).to_be_visible()
    _search(page, name, state="Activated")
    page.get_by_role("link", name=name).click()

    page.get_by_label("Job title").fill("Analyst")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text(f"User '{name}' saved.")
    expect(page.get_by_label("Job title")).to_have_value("Analyst")

    page.get_by_role("button", name="Suspend").click()
    expect(page.get_by_role("status")).to_have_text(f"User '{name}' suspended.")
    assert ui_hub.users.get(name).state is UserState.SUSPENDED
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_role("status")).to_have_text(f"User '{name}' activated.")
    expect(page.get_by_role("button", name="Suspend")).to_be_visible()

    page.get_by_role("link", name="Delete user…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Delete user {name}?")
    assert ui_hub.users.find_by_username(name) is not None  # not before the confirmation
    page.get_by_role("button", name="Delete user").click()
    expect(page).to_have_url(re.compile(r"/ui/users$"))
    expect(page.get_by_role("status")).to_have_text(f"User '{name}' deleted.")
    assert ui_hub.users.find_by_username(name) is None
    assert page_errors(console) == []


def test_a_refused_edit_shows_the_reason_and_keeps_what_was_typed(
    page: Page, admin: Admin, ui_hub: Hub
) -> None:
    tag = uuid.uuid4().hex[:8]
    holder = ui_hub.users.add(username=f"eve-{tag}", email=f"eve-{tag}@example.com")
    user = ui_hub.users.add(username=f"bob-{tag}", email=f"bob-{tag}@example.com")
    sign_in(page, admin)
    page.goto(f"/ui/users/{user.id}")
    page.get_by_label("Email").fill(holder.email)
    page.get_by_label("Department").fill("Sales")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_have_text(
        f"The email '{holder.email}' is already used by user '{holder.username}'"
    )
    expect(page.get_by_label("Department")).to_have_value("Sales")
    assert ui_hub.users.get(user.id).department == ""


def test_a_group_is_added_and_a_member_added_and_removed(
    page: Page, admin: Admin, ui_hub: Hub, console: list[str]
) -> None:
    user = ui_hub.users.add(username=f"cy-{uuid.uuid4().hex[:8]}", email="cy@example.com")
    group = f"Team {uuid.uuid4().hex[:8]}"
    sign_in(page, admin)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="User Groups").click()
    page.get_by_role("link", name="+ Add group").click()
    page.get_by_label("Name").fill(group)
    page.get_by_label("Description").fill("The analysts")
    page.get_by_role("button", name="Add group").click()
    expect(page.get_by_role("status")).to_have_text(f"Group '{group}' added.")

    page.get_by_label("Username").fill(user.username)
    page.get_by_role("button", name="Add member").click()
    expect(page.get_by_role("status")).to_have_text(f"User '{user.username}' added to '{group}'.")
    members = page.get_by_role("table", name=f"Members of {group}")
    expect(members.get_by_role("link", name=user.username)).to_be_visible()

    members.get_by_role("button", name=f"Remove {user.username}").click()
    expect(page.get_by_role("status")).to_have_text(
        f"User '{user.username}' removed from '{group}'."
    )
    expect(page.get_by_text("No members yet.")).to_be_visible()
    assert page_errors(console) == []

    page.get_by_label("Username").fill("nobody-at-all")
    page.get_by_role("button", name="Add member").click()
    expect(page.get_by_role("alert")).to_have_text(
        "No user with id or username 'nobody-at-all'; no membership was changed"
    )
