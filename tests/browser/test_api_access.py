"""The API Access page in a real browser: a tenant, a SCIM key shown once, its revocation."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from integration.web.support import Admin
from scimhub.hub import Hub
from scimhub.storage.tenants import TenantStore

from .flows import sign_in
from .test_directory import page_errors


def test_a_key_is_generated_shown_once_copied_and_revoked(
    page: Page, admin: Admin, ui_hub: Hub, console: list[str]
) -> None:
    store = TenantStore(ui_hub.engine)
    name = f"acme-{uuid.uuid4().hex[:8]}"
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, admin)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="API Access").click()
    page.get_by_label("Tenant name").fill(name)
    page.get_by_label("Profile").select_option("profitco")
    page.get_by_role("button", name="Create tenant").click()
    expect(page.get_by_role("status")).to_have_text(
        f"Tenant '{name}' created with the profitco profile."
    )

    tenant = page.get_by_role("region", name=name)
    tenant.get_by_label("Key label (optional)").fill("Okta")
    tenant.get_by_role("button", name="Generate SCIM key").click()
    shown = tenant.locator("#new-key-value")
    expect(shown).to_have_text(re.compile(r"^scim_[\w-]{40,}$"))
    key = shown.inner_text()
    assert store.authenticate(key) is not None
    prefix = key[:12]
    expect(page.get_by_role("status")).to_have_text(
        f"SCIM key {prefix}… created for tenant '{name}'."
    )
    expect(tenant.locator(".new-key")).to_be_focused()
    tenant.get_by_role("button", name="Copy key").click()
    expect(page.get_by_role("status")).to_have_text("Copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == key

    page.reload()
    tenant = page.get_by_role("region", name=name)
    expect(tenant.get_by_role("row", name=f"{prefix}… Okta")).to_be_visible()
    expect(page.locator("#new-key-value")).to_have_count(0)
    assert key not in page.content()

    tenant.get_by_role("link", name=f"Revoke {prefix}…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Revoke SCIM key {prefix}…?")
    assert store.authenticate(key) is not None  # not before the confirmation
    page.get_by_role("button", name="Revoke key").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"SCIM key {prefix}… of tenant '{name}' revoked"
    )
    row = page.get_by_role("region", name=name).get_by_role("row", name=f"{prefix}… Okta")
    expect(row).to_contain_text("Revoked")
    expect(row.get_by_role("link")).to_have_count(0)
    assert store.authenticate(key) is None
    assert page_errors(console) == []
