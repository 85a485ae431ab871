"""Signing in to the web UI: one message for wrong credentials, throttling, login CSRF,
and the cookies' flags."""

from __future__ import annotations

import re

import httpx

from .support import Admin, hidden_csrf, sign_in


def test_the_right_password_starts_a_session_and_lands_on_the_home_page(
    client: httpx.Client, admin: Admin
) -> None:
    answer = sign_in(client, admin)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/ui/"
    home = client.get("/ui/")
    assert home.status_code == 200
    assert f"Signed in as <strong>{admin.username}</strong>" in home.text


def test_a_wrong_password_and_an_unknown_name_get_the_same_single_message(
    client: httpx.Client, admin: Admin
) -> None:
    wrong = sign_in(client, admin, password="not-the-password")
    unknown = sign_in(client, Admin("x", "nobody-by-this-name", "whatever-password"))
    for answer in (wrong, unknown):
        assert answer.status_code == 401
        assert re.findall(r'class="msg msg-error">([^<]*)<', answer.text) == [
            "Wrong username or password"
        ]
        assert "scimhub_session" not in answer.headers.get("set-cookie", "")
    assert f'value="{admin.username}"' in wrong.text  # the name stays, the password not
    assert client.get("/ui/").status_code == 303


def test_repeated_failures_are_throttled_with_429_and_the_wait(
    client: httpx.Client, admin: Admin
) -> None:
    statuses = []
    for _ in range(10):
        answer = sign_in(client, admin, password="not-the-password")
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            break
    assert statuses[:5] == [401] * 5
    assert statuses[-1] == 429
    assert re.search(r"Too many failed sign-ins; try again in \d+ s", answer.text)
    assert int(answer.headers["retry-after"]) >= 1
    assert sign_in(client, admin).status_code == 429  # even the right password waits


def test_a_sign_in_form_posted_without_its_cookie_is_refused(
    client: httpx.Client, admin: Admin
) -> None:
    """Login CSRF: another site cannot sign the browser in to an account of its choosing."""
    token = hidden_csrf(client.get("/ui/sign-in").text)
    client.cookies.clear()
    form = {"username": admin.username, "password": admin.password, "csrf_token": token}
    refused = client.post("/ui/sign-in", data=form)
    assert refused.status_code == 403
    assert "CSRF" in refused.text
    assert "scimhub_session" not in refused.headers.get("set-cookie", "")


def test_a_sign_in_form_with_another_token_is_refused(client: httpx.Client, admin: Admin) -> None:
    client.get("/ui/sign-in")
    form = {"username": admin.username, "password": admin.password, "csrf_token": "forged"}
    assert client.post("/ui/sign-in", data=form).status_code == 403
    assert client.get("/ui/").status_code == 303


def test_cookies_are_httponly_samesite_and_scoped_to_the_ui(
    client: httpx.Client, admin: Admin
) -> None:
    form_cookie = client.get("/ui/sign-in").headers["set-cookie"]
    cookies = sign_in(client, admin).headers.get_list("set-cookie")
    session_cookie = next(c for c in cookies if c.startswith("scimhub_session="))
    for cookie in (form_cookie, session_cookie):
        flags = [part.strip().lower() for part in cookie.split(";")]
        assert "httponly" in flags
        assert "samesite=lax" in flags
        assert "path=/ui" in flags
        assert "secure" not in flags  # plain http on loopback
    assert len(session_cookie.split(";")[0].split("=", 1)[1]) >= 43  # 32 random bytes


def test_cookies_are_secure_when_the_request_came_over_https(
    client: httpx.Client, admin: Admin
) -> None:
    https = {"X-Forwarded-Proto": "https"}  # uvicorn trusts the loopback proxy
    cookie = client.get("/ui/sign-in", headers=https).headers["set-cookie"]
    assert "secure" in [part.strip().lower() for part in cookie.split(";")]


def test_next_brings_the_admin_back_but_never_to_another_site(
    client: httpx.Client, admin: Admin
) -> None:
    page = client.get("/ui/groups?q=eng")
    assert page.headers["location"] == "/ui/sign-in?next=%2Fui%2Fgroups%3Fq%3Deng"
    token = hidden_csrf(client.get(page.headers["location"]).text)
    credentials = {"username": admin.username, "password": admin.password, "csrf_token": token}
    back = client.post("/ui/sign-in", data=credentials | {"next": "/ui/groups?q=eng"})
    assert back.headers["location"] == "/ui/groups?q=eng"
    for elsewhere in ("https://evil.example/ui/", "//evil.example/ui/", "/api/v1/users"):
        token = hidden_csrf(client.get("/ui/sign-in").text)
        answer = client.post(
            "/ui/sign-in", data=credentials | {"csrf_token": token, "next": elsewhere}
        )
        assert answer.headers["location"] == "/ui/"
