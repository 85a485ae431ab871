"""The Users and User Groups screens over real HTTP (both databases): what each form does
to the directory, what the admin is told, and that errors are the services' own."""

from __future__ import annotations

import html
import re
import uuid

import httpx
import pytest

from scimhub.directory.models import UserState
from scimhub.hub import Hub

from .support import Admin, hidden_csrf, sign_in

HTMX = {"HX-Request": "true"}


@pytest.fixture
def csrf(client: httpx.Client, admin: Admin) -> str:
    """Signs ``client`` in; the session's CSRF token."""
    sign_in(client, admin)
    return hidden_csrf(client.get("/ui/").text)


def stem() -> str:
    return f"u{uuid.uuid4().hex[:8]}"


def text(answer: httpx.Response) -> str:
    return html.unescape(answer.text)


def flash(client: httpx.Client, answer: httpx.Response) -> str:
    """The page a form redirected to, as the browser would show it (with its message)."""
    assert answer.status_code == 303, answer.text
    return text(client.get(answer.headers["location"]))


def test_adding_a_user_opens_their_page_and_the_list_finds_them_by_prefix_and_state(
    client: httpx.Client, csrf: str, web_hub: Hub
) -> None:
    name = stem()
    form = {"username": name, "email": f"{name}@example.com", "firstname": "Ada"}
    answer = client.post("/ui/users/new", data=form | {"state": "STAGED", "csrf_token": csrf})
    user = web_hub.users.get(name)
    assert answer.headers["location"] == f"/ui/users/{user.id}"
    page = flash(client, answer)
    assert f"User '{name}' added." in page
    assert user.state is UserState.STAGED and user.firstname == "Ada"

    found = text(client.get("/ui/users", params={"q": name[:5].upper()}))
    assert f'href="/ui/users/{user.id}"' in found
    link = f'href="/ui/users/{user.id}"'
    staged = client.get("/ui/users", params={"q": name, "state": "STAGED"}).text
    assert link in staged
    activated = client.get("/ui/users", params={"q": name, "state": "ACTIVATED"}).text
    assert link not in activated
    assert "No user matches this search." in activated


def test_a_refused_user_is_reported_with_the_services_reason_in_the_alert_region(
    client: httpx.Client, csrf: str
) -> None:
    form = {"username": stem(), "email": "not-an-email", "csrf_token": csrf}
    answer = client.post("/ui/users/new", data=form, headers=HTMX)
    assert answer.status_code == 422
    assert answer.headers["hx-retarget"] == "#alert"
    assert "Invalid email 'not-an-email'" in text(answer)


def test_the_list_pages_with_a_cursor(client: httpx.Client, csrf: str, web_hub: Hub) -> None:
    prefix = stem()
    for n in range(51):
        web_hub.users.add(username=f"{prefix}-{n:02d}", email=f"{prefix}-{n:02d}@example.com")
    first = text(client.get("/ui/users", params={"q": prefix}))
    assert f"{prefix}-49" in first and f"{prefix}-50" not in first
    link = re.search(r'href="(/ui/users\?[^"]*after=[^"]+)">Next page', first)
    assert link, first
    second = text(client.get(html.unescape(link.group(1))))
    assert f"{prefix}-50" in second and f"{prefix}-49" not in second
    assert "Next page" not in second and "First page" in second


def test_editing_a_user_saves_and_a_taken_username_is_refused(
    client: httpx.Client, csrf: str, web_hub: Hub
) -> None:
    taken = web_hub.users.add(username=stem(), email=f"{stem()}@example.com")
    user = web_hub.users.add(username=stem(), email=f"{stem()}@example.com")
    form = {"username": user.username, "email": user.email, "department": "Research"}
    answer = client.post(f"/ui/users/{user.id}", data=form | {"csrf_token": csrf})
    assert f"User '{user.username}' saved." in flash(client, answer)
    assert web_hub.users.get(user.id).department == "Research"

    clash = form | {"username": taken.username, "csrf_token": csrf}
    refused = client.post(f"/ui/users/{user.id}", data=clash)
    assert refused.status_code == 409
    assert f"The username '{taken.username}' is already taken" in text(refused)
    assert web_hub.users.get(user.id).username == user.username


def test_suspend_and_activate_follow_the_state(
    client: httpx.Client, csrf: str, web_hub: Hub
) -> None:
    user = web_hub.users.add(username=stem(), email=f"{stem()}@example.com")
    page = client.get(f"/ui/users/{user.id}").text
    assert ">Suspend</button>" in page and ">Activate</button>" not in page
    answer = client.post(f"/ui/users/{user.id}/suspend", data={"csrf_token": csrf})
    page = flash(client, answer)
    assert f"User '{user.username}' suspended." in page
    assert ">Activate</button>" in page and ">Suspend</button>" not in page
    assert web_hub.users.get(user.id).state is UserState.SUSPENDED
    answer = client.post(f"/ui/users/{user.id}/activate", data={"csrf_token": csrf})
    assert f"User '{user.username}' activated." in flash(client, answer)
    assert web_hub.users.get(user.id).state is UserState.ACTIVATED


def test_a_staged_user_offers_only_activate_and_suspending_it_is_refused(
    client: httpx.Client, csrf: str, web_hub: Hub
) -> None:
    user = web_hub.users.add(username=stem(), email=f"{stem()}@example.com", state="STAGED")
    assert ">Suspend</button>" not in client.get(f"/ui/users/{user.id}").text
    answer = client.post(f"/ui/users/{user.id}/suspend", data={"csrf_token": csrf}, headers=HTMX)
    assert answer.status_code == 409
    assert "STAGED and was never activated" in answer.text
    assert web_hub.users.get(user.id).state is UserState.STAGED


def test_delete_asks_first_then_deletes(client: httpx.Client, csrf: str, web_hub: Hub) -> None:
    user = web_hub.users.add(username=stem(), email=f"{stem()}@example.com")
    confirm = text(client.get(f"/ui/users/{user.id}/delete"))
    assert f"Delete user {user.username}?" in confirm
    assert ">Delete user</button>" in confirm
    assert web_hub.users.find_by_username(user.username) is not None  # asking changed nothing

    answer = client.post(f"/ui/users/{user.id}/delete", data={"csrf_token": csrf})
    assert answer.headers["location"] == "/ui/users"
    assert f"User '{user.username}' deleted." in flash(client, answer)
    assert web_hub.users.find_by_username(user.username) is None
    gone = client.get(f"/ui/users/{user.id}")
    assert gone.status_code == 404
    assert f"No user with id or username '{user.id}'" in text(gone)


def test_a_delete_without_the_csrf_token_changes_nothing(
    client: httpx.Client, csrf: str, web_hub: Hub
) -> None:
    user = web_hub.users.add(username=stem(), email=f"{stem()}@example.com")
    assert client.post(f"/ui/users/{user.id}/delete", data={}).status_code == 403
    assert client.post("/ui/groups/new", data={"name": stem()}).status_code == 403
    assert web_hub.users.find_by_username(user.username) is not None


def test_a_group_is_added_and_its_members_added_and_removed_by_username(
    client: httpx.Client, csrf: str, web_hub: Hub
) -> None:
    user = web_hub.users.add(username=stem(), email=f"{stem()}@example.com")
    name = f"Group {stem()}"
    answer = client.post("/ui/groups/new", data={"name": name, "csrf_token": csrf})
    group = web_hub.groups.get(name)
    assert answer.headers["location"] == f"/ui/groups/{group.id}"
    assert f"Group '{name}' added." in flash(client, answer)
    assert name in text(client.get("/ui/groups", params={"q": name[:8].lower()}))

    members = f"/ui/groups/{group.id}/members"
    added = client.post(members, data={"username": user.username.upper(), "csrf_token": csrf})
    page = flash(client, added)
    assert f"User '{user.username}' added to '{name}'." in page
    assert f'href="/ui/users/{user.id}"' in page
    assert f'href="/ui/groups/{group.id}"' in client.get(f"/ui/users/{user.id}").text
    again = client.post(members, data={"username": user.username, "csrf_token": csrf})
    assert f"User '{user.username}' is already a member of '{name}'." in flash(client, again)

    removed = client.post(f"{members}/remove", data={"user_id": user.id, "csrf_token": csrf})
    assert f"User '{user.username}' removed from '{name}'." in flash(client, removed)
    assert web_hub.groups.get(group.id).member_count == 0


def test_an_unknown_member_is_reported_and_nothing_changes(
    client: httpx.Client, csrf: str, web_hub: Hub
) -> None:
    group = web_hub.groups.add(name=f"Group {stem()}")
    data = {"username": "nobody-here", "csrf_token": csrf}
    answer = client.post(f"/ui/groups/{group.id}/members", data=data, headers=HTMX)
    assert answer.status_code == 404
    assert "No user with id or username 'nobody-here'; no membership was changed" in text(answer)


def test_a_group_is_renamed_described_and_shows_its_applications(
    client: httpx.Client, csrf: str, web_hub: Hub
) -> None:
    group = web_hub.groups.add(name=f"Group {stem()}")
    other = web_hub.groups.add(name=f"Group {stem()}")
    app = web_hub.applications.create(catalog_key="profitco", label=f"App {stem()}")
    web_hub.bindings.bind(app.id, [group.id])
    page = text(client.get(f"/ui/groups/{group.id}"))
    assert f'href="/ui/applications/{app.id}">{app.label}</a>' in page

    new_name = f"Renamed {stem()}"
    form = {"name": new_name, "description": "Line one\nline two", "csrf_token": csrf}
    assert f"Group '{new_name}' saved." in flash(
        client, client.post(f"/ui/groups/{group.id}", data=form)
    )
    assert web_hub.groups.get(group.id).description == "Line one\nline two"
    clash = form | {"name": other.name.upper()}
    refused = client.post(f"/ui/groups/{group.id}", data=clash)
    assert refused.status_code == 409
    assert f"A group named '{other.name.upper()}' already exists" in text(refused)


def test_a_group_delete_asks_first_names_its_applications_then_deletes(
    client: httpx.Client, csrf: str, web_hub: Hub
) -> None:
    group = web_hub.groups.add(name=f"Group {stem()}")
    app = web_hub.applications.create(catalog_key="profitco", label=f"App {stem()}")
    web_hub.bindings.bind(app.id, [group.id])
    confirm = text(client.get(f"/ui/groups/{group.id}/delete"))
    assert f"Delete group {group.name}?" in confirm and f"bound to {app.label}" in confirm
    answer = client.post(f"/ui/groups/{group.id}/delete", data={"csrf_token": csrf})
    assert f"Group '{group.name}' deleted." in flash(client, answer)
    assert client.get(f"/ui/groups/{group.id}").status_code == 404
    assert web_hub.bindings.applications_of_group(group.id) == []


def test_removing_a_member_of_a_bound_group_asks_first_and_names_the_applications(
    client: httpx.Client, csrf: str, web_hub: Hub
) -> None:
    user = web_hub.users.add(username=stem(), email=f"{stem()}@example.com")
    group = web_hub.groups.add(name=f"Group {stem()}")
    web_hub.groups.add_members(group.id, [user.id])
    app = web_hub.applications.create(catalog_key="profitco", label=f"App {stem()}")
    web_hub.bindings.bind(app.id, [group.id])
    step = f"/ui/groups/{group.id}/members/{user.id}/remove"
    page = text(client.get(f"/ui/groups/{group.id}"))
    assert f'href="{step}"' in page, "the Remove control leads to the confirmation"
    confirm = text(client.get(step))
    assert f"Remove {user.username} from {group.name}?" in confirm
    assert f"bound to {app.label}" in confirm and "deprovisioned" in confirm
    assert web_hub.groups.get(group.id).member_count == 1, "asking changes nothing"
    assert client.get(f"/ui/groups/{group.id}/members/nobody/remove").status_code == 404
    form = {"user_id": user.id, "csrf_token": csrf}
    removed = client.post(f"/ui/groups/{group.id}/members/remove", data=form)
    assert f"User '{user.username}' removed from '{group.name}'." in flash(client, removed)
    assert web_hub.groups.get(group.id).member_count == 0
