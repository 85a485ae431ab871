"""The hub's HTTP composition: the REST API and the admin web UI in one ASGI app.

`scimhub serve` and `scimhub demo` serve this, and the tests compose the app the same way.
The UI is mounted at ``/ui`` (its cookies are scoped there); ``/`` leads to it.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Mount, Route

from scimhub.api import create_api
from scimhub.api.limits import BodyLimit
from scimhub.hub import Hub
from scimhub.provider.profiles import PREFIXES, PROFILES
from scimhub.web import UI_PREFIX, create_web

__all__ = ["compose_app", "provider_urls"]


def compose_app(hub: Hub) -> Starlette:
    """The API at ``/api/v1`` (and ``/healthz``, ``/docs``), the UI at ``/ui/``."""
    api = create_api(hub.settings, hub.engine, hub)
    web = create_web(hub, tenant_profiles=PROFILES, provider_urls=provider_urls(hub))
    web_limited = BodyLimit(web, max_bytes=hub.settings.max_body_bytes)
    return Starlette(
        routes=[
            Route("/", _to_ui),
            Route(UI_PREFIX, _to_ui),
            Mount(UI_PREFIX, app=web_limited),
            Mount("", app=api),
        ]
    )


def provider_urls(hub: Hub) -> tuple[str, ...]:
    """The provider's base URLs (standard and Profit.co's path) under
    ``SCIMHUB_PROVIDER_URL``; none when it is not set."""
    public = hub.settings.provider_url
    return tuple(public.rstrip("/") + prefix for prefix in PREFIXES) if public else ()


async def _to_ui(_: Request) -> RedirectResponse:
    return RedirectResponse(UI_PREFIX + "/", status_code=307)
