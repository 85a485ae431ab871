"""The API Access screen over real HTTP (both databases): the provider's tenants, a SCIM key
shown once and only in the answer that made it, keys listed and revoked."""

from __future__ import annotations

import html
import re
import uuid

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import Engine

from conftest import LiveServer
from scimhub.cli.server import compose_app
from scimhub.config import Settings
from scimhub.hub import build_hub
from scimhub.storage.tenants import TenantStore

from .support import Admin, hidden_csrf, make_admin, sign_in

HTMX = {"HX-Request": "true"}
PROFITCO_URL = "{}/app/rest/platform/auth/scim/v2"
KEY = re.compile(r'<code id="new-key-value">(scim_[^<]+)</code>')


@pytest.fixture
def csrf(client: httpx.Client, admin: Admin) -> str:
    sign_in(client, admin)
    return hidden_csrf(client.get("/ui/").text)


@pytest.fixture
def store(engine: Engine) -> TenantStore:
    return TenantStore(engine)


def tenant_name() -> str:
    return f"tenant-{uuid.uuid4().hex[:8]}"


def test_a_tenant_is_created_with_its_profile_and_listed(
    client: httpx.Client, csrf: str, store: TenantStore
) -> None:
    name = tenant_name()
    form = {"name": f"  {name} ", "profile": "profitco", "csrf_token": csrf}
    answer = client.post("/ui/api-access/tenants", data=form)
    assert answer.status_code == 303 and answer.headers["location"] == "/ui/api-access"
    page = html.unescape(client.get("/ui/api-access").text)
    assert f"Tenant '{name}' created with the profitco profile." in page
    tenant = store.get_tenant(name)
    assert tenant.profile == "profitco"
    assert f'id="tenant-{tenant.id}-title">{name}</h2>' in page
    assert "No SCIM keys yet." in page


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        ({"name": "  ", "profile": "generic"}, 422, "The tenant name is required"),
        ({"name": "x", "profile": "okta"}, 422, "Unknown profile 'okta': use one of generic"),
        ({"name": "a\tb", "profile": "generic"}, 422, "must not contain the control character"),
        ({"name": "x" * 201, "profile": "generic"}, 422, "at most 200 characters"),
    ],
)
def test_a_refused_tenant_says_why(
    client: httpx.Client, csrf: str, form: dict[str, str], status: int, message: str
) -> None:
    answer = client.post("/ui/api-access/tenants", data=form | {"csrf_token": csrf}, headers=HTMX)
    assert answer.status_code == status
    assert answer.headers["hx-retarget"] == "#alert"
    assert message in html.unescape(answer.text)


def test_a_tenant_name_in_use_is_refused(
    client: httpx.Client, csrf: str, store: TenantStore
) -> None:
    name = tenant_name()
    store.create_tenant(name, "generic")
    form = {"name": name, "profile": "generic", "csrf_token": csrf}
    answer = client.post("/ui/api-access/tenants", data=form)
    assert answer.status_code == 409
    assert f"Tenant '{name}' already exists" in html.unescape(answer.text)


def test_a_generated_key_is_shown_once_and_works_then_only_its_prefix_is_listed(
    client: httpx.Client, csrf: str, store: TenantStore
) -> None:
    tenant = store.create_tenant(tenant_name(), "generic")
    url = f"/ui/api-access/tenants/{tenant.id}/keys"
    answer = client.post(url, data={"label": "Okta", "csrf_token": csrf}, headers=HTMX)
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    assert "set-cookie" not in answer.headers  # never carried over to another page
    shown = KEY.search(answer.text)
    assert shown, answer.text
    key = shown.group(1)
    assert answer.text.startswith(f'<section id="tenant-{tenant.id}"')  # the section, swapped
    assert 'data-copy="#new-key-value"' in answer.text
    assert f"SCIM key {key[:12]}… created for tenant '{tenant.name}'." in html.unescape(answer.text)
    assert store.authenticate(key) is not None

    listed = store.list_tokens(tenant.name)
    assert [(k.prefix, k.label) for k in listed] == [(key[:12], "Okta")]
    page = client.get("/ui/api-access").text
    assert key not in page and KEY.search(page) is None
    assert f"<code>{key[:12]}…</code>" in page
    assert "never" in page  # not used yet


def test_without_htmx_the_key_is_shown_on_the_whole_page(
    client: httpx.Client, csrf: str, store: TenantStore
) -> None:
    tenant = store.create_tenant(tenant_name(), "profitco")
    answer = client.post(f"/ui/api-access/tenants/{tenant.id}/keys", data={"csrf_token": csrf})
    assert answer.status_code == 200  # not a redirect: the plaintext never travels again
    assert "<h1>API Access</h1>" in answer.text
    shown = KEY.search(answer.text)
    assert shown and store.authenticate(shown.group(1)) is not None


def test_a_key_for_an_unknown_tenant_is_not_found(client: httpx.Client, csrf: str) -> None:
    answer = client.post("/ui/api-access/tenants/nope/keys", data={"csrf_token": csrf})
    assert answer.status_code == 404
    assert "No tenant named 'nope'" in html.unescape(answer.text)


def test_revoke_asks_first_then_the_key_stops_working(
    client: httpx.Client, csrf: str, store: TenantStore
) -> None:
    tenant = store.create_tenant(tenant_name(), "generic")
    key, info = store.create_token(tenant.name, "ci")
    page = client.get("/ui/api-access").text
    assert f'href="/ui/api-access/keys/{info.id}/revoke"' in page
    confirm = html.unescape(client.get(f"/ui/api-access/keys/{info.id}/revoke").text)
    assert f"Revoke SCIM key {info.prefix}…?" in confirm and ">Revoke key</button>" in confirm
    assert store.authenticate(key) is not None  # asking changed nothing

    answer = client.post(f"/ui/api-access/keys/{info.id}/revoke", data={"csrf_token": csrf})
    assert answer.status_code == 303
    page = html.unescape(client.get(answer.headers["location"]).text)
    assert f"SCIM key {info.prefix}… of tenant '{tenant.name}' revoked" in page
    assert "Revoked " in page
    assert f'href="/ui/api-access/keys/{info.id}/revoke"' not in page
    assert store.authenticate(key) is None

    again = client.post(f"/ui/api-access/keys/{info.id}/revoke", data={"csrf_token": csrf})
    assert again.status_code == 409
    assert f"The SCIM key {info.prefix}… was already revoked" in html.unescape(again.text)


def test_key_actions_need_the_csrf_token(
    client: httpx.Client, csrf: str, store: TenantStore
) -> None:
    tenant = store.create_tenant(tenant_name(), "generic")
    key, info = store.create_token(tenant.name)
    assert client.post(f"/ui/api-access/tenants/{tenant.id}/keys", data={}).status_code == 403
    assert client.post(f"/ui/api-access/keys/{info.id}/revoke", data={}).status_code == 403
    assert [k.id for k in store.list_tokens(tenant.name)] == [info.id]
    assert store.authenticate(key) is not None


def test_an_unknown_key_is_not_found(client: httpx.Client, csrf: str) -> None:
    answer = client.get("/ui/api-access/keys/nope/revoke")
    assert answer.status_code == 404
    assert "No such SCIM key" in answer.text


def test_the_page_says_how_to_show_the_providers_base_url_when_it_is_not_set(
    client: httpx.Client, csrf: str
) -> None:
    page = html.unescape(client.get("/ui/api-access").text)
    assert "Base URL for applications" in page and 'id="provider-url-1"' not in page
    assert "<code>SCIMHUB_PROVIDER_URL</code>" in page


def test_the_providers_base_urls_are_shown_with_copy_buttons_when_set(
    engine: Engine, settings: Settings
) -> None:
    configured = settings.model_copy(update={"provider_url": "https://scim.example.com/"})
    hub = build_hub(configured, engine)
    admin = make_admin(hub)
    with (
        LiveServer(compose_app(hub)) as live,
        httpx.Client(base_url=live.url, timeout=30) as client,
    ):
        sign_in(client, admin)
        page = client.get("/ui/api-access").text
    for n, url in enumerate(
        ["https://scim.example.com/scim/v2", PROFITCO_URL.format("https://scim.example.com")], 1
    ):
        assert f'<code id="provider-url-{n}">{url}</code>' in page
        assert f'data-copy="#provider-url-{n}"' in page
    assert "SCIMHUB_PROVIDER_URL" not in page


@pytest.mark.parametrize("bad", ["scim.example.com", "ftp://x", "https://x y", "https://x?q=1"])
def test_a_provider_url_that_is_not_a_web_address_is_refused(bad: str) -> None:
    with pytest.raises(ValidationError, match="provider_url"):
        Settings(provider_url=bad)
