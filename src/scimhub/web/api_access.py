"""The API Access screen: the SCIM provider's tenants (it shares the hub's database) and
their SCIM keys. A new key is shown once, in the answer to the request that made it, and
never stored in plain text (``storage.tenants``); keys are listed by prefix, creation time
and last use, and revoked after a confirmation step."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import HTMLResponse, Response

from scimhub.fields import checked_line
from scimhub.problems import Conflict, Invalid, NotFound, Problem, Refused
from scimhub.storage.tenants import TenantError, TenantStore, TokenInfo

from .auth import HubDep
from .render import is_htmx, redirect, render

__all__ = ["router"]

router = APIRouter()
FormText = Annotated[str, Form()]
_MAX_NAME = 200  # the tenants.name and tokens.label columns


@dataclass(frozen=True, slots=True)
class NewKey:
    """A key just made: its plaintext is in this one answer and nowhere else."""

    tenant_id: str
    value: str
    info: TokenInfo


@router.get("/api-access")
def api_access(request: Request, hub: HubDep) -> HTMLResponse:
    return _page(request, TenantStore(hub.engine))


@router.post("/api-access/tenants")
def tenant_create(
    request: Request, hub: HubDep, name: FormText = "", profile: FormText = "generic"
) -> Response:
    name = _text(name, "tenant name")
    if not name:
        raise Invalid("The tenant name is required")
    profiles = _profiles(request)
    if profile not in profiles:
        raise Invalid(f"Unknown profile '{profile}': use one of {', '.join(profiles)}")
    with _tenant_errors(Conflict):
        tenant = TenantStore(hub.engine).create_tenant(name, profile)
    message = f"Tenant '{tenant.name}' created with the {tenant.profile} profile."
    return redirect(request, "/api-access", success=message)


@router.post("/api-access/tenants/{tenant_id}/keys")
def key_create(request: Request, hub: HubDep, tenant_id: str, label: FormText = "") -> Response:
    """The new key in the tenant's section (htmx) or the whole page: never a redirect, so
    the plaintext is never carried in a cookie or a URL."""
    store = TenantStore(hub.engine)
    with _tenant_errors(NotFound):
        value, info = store.create_token(tenant_id, _text(label, "label") or None)
    new_key = NewKey(info.tenant_id, value, info)
    success = f"SCIM key {info.prefix}… created for tenant '{info.tenant_name}'."
    if not is_htmx(request):
        return _page(request, store, new_key=new_key, success=success)
    with _tenant_errors(NotFound):
        tenant = store.get_tenant(tenant_id)
    context = {"tenant": tenant, "keys": store.list_tokens(tenant.name), "new_key": new_key}
    return render(request, "api_access/_tenant.html", context, success=success)


@router.get("/api-access/keys/{key_id}/revoke")
def key_revoke_confirm(request: Request, hub: HubDep, key_id: str) -> HTMLResponse:
    key = _key(TenantStore(hub.engine), key_id)
    return render(request, "api_access/revoke.html", {"key": key})


@router.post("/api-access/keys/{key_id}/revoke")
def key_revoke(request: Request, hub: HubDep, key_id: str) -> Response:
    store = TenantStore(hub.engine)
    key = _key(store, key_id)
    if key.revoked is not None:
        raise Refused(f"The SCIM key {key.prefix}… was already revoked")
    with _tenant_errors(Refused):
        store.revoke_token(key.id)
    message = (
        f"SCIM key {key.prefix}… of tenant '{key.tenant_name}' revoked; "
        "clients using it are refused within seconds."
    )
    return redirect(request, "/api-access", success=message)


def _page(
    request: Request,
    store: TenantStore,
    *,
    new_key: NewKey | None = None,
    success: str | None = None,
) -> HTMLResponse:
    keys: dict[str, list[TokenInfo]] = {}
    for key in store.list_tokens():
        keys.setdefault(key.tenant_id, []).append(key)
    context = {
        "tenants": store.list_tenants(),
        "keys_by_tenant": keys,
        "profiles": _profiles(request),
        "provider_urls": request.app.state.provider_urls,
        "new_key": new_key,
    }
    return render(request, "api_access/index.html", context, success=success)


def _profiles(request: Request) -> list[str]:
    """The provider's profiles, given by the composition (the UI does not import the
    provider: DESIGN.md's arrows)."""
    return sorted(request.app.state.tenant_profiles)


def _key(store: TenantStore, key_id: str) -> TokenInfo:
    found = store.get_token(key_id)
    if found is None:
        raise NotFound("No such SCIM key; it may have been deleted with its tenant")
    return found


def _text(value: str, field: str) -> str:
    return checked_line(value, field, _MAX_NAME)


@contextmanager
def _tenant_errors(kind: type[Problem]) -> Iterator[None]:
    """The provider's store raises ``TenantError`` (it knows no hub Problems): shown as
    ``kind``, with the store's own message."""
    try:
        yield
    except TenantError as exc:
        raise kind(str(exc)) from None
