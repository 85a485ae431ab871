"""Steps the browser tests share, written as an admin would do them."""

from __future__ import annotations

from playwright.sync_api import Page

from integration.web.support import Admin


def sign_in(page: Page, admin: Admin, password: str | None = None) -> None:
    """Open the UI (which asks to sign in) and sign in with the form's labelled fields."""
    page.goto("/ui/")
    page.get_by_label("Username").fill(admin.username)
    page.get_by_label("Password").fill(password or admin.password)
    page.get_by_role("button", name="Sign in").click()
