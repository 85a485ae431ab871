"""CSRF: a state-changing request without the session's token is refused with 403 and
changes nothing. Sign-out is the state change every session has."""

from __future__ import annotations

import httpx
import pytest

from .support import Admin, hidden_csrf, sign_in

HTMX = {"HX-Request": "true"}


@pytest.fixture
def signed_in(client: httpx.Client, admin: Admin) -> str:
    """Signs ``client`` in; the session's CSRF token."""
    sign_in(client, admin)
    return hidden_csrf(client.get("/ui/").text)


def _still_signed_in(client: httpx.Client) -> bool:
    return client.get("/ui/").status_code == 200


@pytest.mark.parametrize(
    "form", [{}, {"csrf_token": ""}, {"csrf_token": "forged"}, {"csrf_token": "ü-not-ascii"}]
)
def test_a_form_without_the_right_token_is_refused_and_changes_nothing(
    client: httpx.Client, signed_in: str, form: dict[str, str]
) -> None:
    answer = client.post("/ui/sign-out", data=form)
    assert answer.status_code == 403
    assert "CSRF check" in answer.text
    assert "Nothing was changed" in answer.text
    assert _still_signed_in(client)


def test_an_htmx_request_with_a_wrong_header_gets_the_error_in_the_alert_region(
    client: httpx.Client, signed_in: str
) -> None:
    answer = client.post("/ui/sign-out", headers=HTMX | {"X-CSRF-Token": "forged"})
    assert answer.status_code == 403
    assert answer.headers["hx-retarget"] == "#alert"
    assert answer.text.startswith('<p class="msg msg-error">')
    assert _still_signed_in(client)


def test_a_token_of_another_session_is_refused(
    client: httpx.Client, signed_in: str, admin: Admin
) -> None:
    with httpx.Client(base_url=client.base_url, timeout=30) as other:
        sign_in(other, admin)
        theirs = hidden_csrf(other.get("/ui/").text)
    assert theirs != signed_in
    assert client.post("/ui/sign-out", data={"csrf_token": theirs}).status_code == 403
    assert _still_signed_in(client)


def test_the_right_token_in_the_htmx_header_is_accepted(
    client: httpx.Client, signed_in: str
) -> None:
    answer = client.post("/ui/sign-out", headers=HTMX | {"X-CSRF-Token": signed_in})
    assert answer.status_code == 200
    assert answer.headers["hx-redirect"] == "/ui/sign-in"
    assert not _still_signed_in(client)


def test_pages_carry_the_token_for_htmx_and_security_headers(
    client: httpx.Client, signed_in: str
) -> None:
    page = client.get("/ui/")
    assert f'hx-headers=\'{{"X-CSRF-Token": "{signed_in}"}}\'' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-content-type-options"] == "nosniff"
