"""Web UI sessions: required for every screen, ended by sign-out, idleness, lifetime and
a new password; last_seen written at most once a minute."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select

from scimhub.hub import Hub
from scimhub.storage.hub_tables import admin_sessions

from .support import Admin, age_sessions, hidden_csrf, sign_in


def _rows(hub: Hub, admin: Admin) -> list[object]:
    with hub.engine.connect() as conn:
        query = select(admin_sessions).where(admin_sessions.c.admin_id == admin.id)
        return list(conn.execute(query).all())


def test_a_page_without_a_session_sends_the_browser_to_sign_in(client: httpx.Client) -> None:
    answer = client.get("/ui/")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/ui/sign-in?next=%2Fui%2F"


def test_an_htmx_request_without_a_session_gets_hx_redirect(client: httpx.Client) -> None:
    headers = {"HX-Request": "true", "HX-Current-URL": "http://127.0.0.1/ui/users?q=a"}
    answer = client.get("/ui/", headers=headers)
    assert answer.status_code == 200
    assert answer.headers["hx-redirect"] == "/ui/sign-in?next=%2Fui%2Fusers%3Fq%3Da"


def test_the_root_and_the_ui_prefix_lead_to_the_ui(client: httpx.Client) -> None:
    assert client.get("/").headers["location"] == "/ui/"
    assert client.get("/ui").headers["location"] == "/ui/"


def test_a_session_idle_too_long_has_timed_out(
    client: httpx.Client, admin: Admin, web_hub: Hub
) -> None:
    sign_in(client, admin)
    assert client.get("/ui/").status_code == 200
    age_sessions(web_hub.engine, admin, last_seen=timedelta(minutes=31))
    answer = client.get("/ui/")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/ui/sign-in")
    assert _rows(web_hub, admin) == []


def test_a_session_past_its_lifetime_ends_even_when_active(
    client: httpx.Client, admin: Admin, web_hub: Hub
) -> None:
    sign_in(client, admin)
    age_sessions(web_hub.engine, admin, expires=timedelta(seconds=1))
    assert client.get("/ui/").status_code == 303


def test_sign_out_deletes_the_session_and_a_replayed_cookie_is_worthless(
    client: httpx.Client, admin: Admin, web_hub: Hub
) -> None:
    sign_in(client, admin)
    stolen = client.cookies["scimhub_session"]
    token = hidden_csrf(client.get("/ui/").text)
    out = client.post("/ui/sign-out", data={"csrf_token": token})
    assert out.status_code == 303
    assert out.headers["location"] == "/ui/sign-in"
    assert "You have signed out." in client.get("/ui/sign-in").text
    assert _rows(web_hub, admin) == []
    replayed = httpx.get(
        f"{client.base_url}/ui/", cookies={"scimhub_session": stolen}, follow_redirects=False
    )
    assert replayed.status_code == 303


def test_a_new_password_ends_the_sessions_started_before_it(
    client: httpx.Client, admin: Admin, web_hub: Hub
) -> None:
    sign_in(client, admin)
    web_hub.admins.set_password(admin.username, "a-brand-new-password")
    assert client.get("/ui/").status_code == 303


def test_deleting_the_admin_deletes_its_sessions(
    client: httpx.Client, admin: Admin, web_hub: Hub
) -> None:
    sign_in(client, admin)
    web_hub.admins.delete(admin.username)
    assert _rows(web_hub, admin) == []
    assert client.get("/ui/").status_code == 303


def test_last_seen_is_written_at_most_once_a_minute(
    client: httpx.Client, admin: Admin, web_hub: Hub
) -> None:
    sign_in(client, admin)
    first = _rows(web_hub, admin)[0].last_seen  # type: ignore[attr-defined]
    client.get("/ui/")
    assert _rows(web_hub, admin)[0].last_seen == first  # type: ignore[attr-defined]
    age_sessions(web_hub.engine, admin, last_seen=timedelta(minutes=2))
    client.get("/ui/")
    assert _rows(web_hub, admin)[0].last_seen > first  # type: ignore[attr-defined]


def test_the_database_holds_a_digest_of_the_token_never_the_token(
    client: httpx.Client, admin: Admin, web_hub: Hub
) -> None:
    sign_in(client, admin)
    token = client.cookies["scimhub_session"]
    (row,) = _rows(web_hub, admin)
    assert token not in row  # type: ignore[operator]
    assert len(row.token_hash) == 64  # type: ignore[attr-defined]
