"""Signing in and out in a real browser."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from integration.web.support import Admin

from .flows import sign_in

NAV = ["Users", "User Groups", "SSO Applications", "API Access"]


def test_a_wrong_password_shows_one_message_on_the_sign_in_page(page: Page, admin: Admin) -> None:
    sign_in(page, admin, password="not-the-password")
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password")
    expect(page).to_have_url(re.compile(r"/ui/sign-in"))
    expect(page.get_by_label("Username")).to_have_value(admin.username)
    expect(page.get_by_label("Password")).to_have_value("")


def test_the_right_password_lands_on_the_home_page_with_the_navigation(
    page: Page, admin: Admin, console: list[str]
) -> None:
    sign_in(page, admin)
    expect(page).to_have_url(re.compile(r"/ui/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {admin.username}")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link")).to_have_text(NAV)
    assert console == []  # htmx and the page run under the CSP without a complaint


def test_sign_out_returns_to_the_sign_in_page_and_says_so(page: Page, admin: Admin) -> None:
    sign_in(page, admin)
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/ui/sign-in$"))
    expect(page.get_by_role("status")).to_have_text("You have signed out.")
    page.goto("/ui/")
    expect(page).to_have_url(re.compile(r"/ui/sign-in\?next="))


def test_the_keyboard_reaches_the_skip_link_first_and_it_moves_to_the_content(
    page: Page, admin: Admin
) -> None:
    sign_in(page, admin)
    # the signed-in page, fully loaded: a Tab pressed while the sign-in form is still
    # showing (or mid-navigation) lands elsewhere (this raced in CI)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.wait_for_load_state("load")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
