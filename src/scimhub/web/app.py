"""The web UI's app factory: public pages (sign-in, static files) and the screens, every
screen behind the session and CSRF guard."""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta
from pathlib import Path

from fastapi import Depends, FastAPI
from starlette.staticfiles import StaticFiles

from scimhub.hub import Hub
from scimhub.storage.admin_sessions import AdminSessions

from . import api_access, applications, groups, home, imports, signin, users
from .auth import guard
from .errors import register_errors
from .headers import SecurityHeaders
from .throttle import AddressRule, AddressThrottle

__all__ = ["SCREENS", "create_web"]

STATIC = Path(__file__).parent / "static"
#: Screen modules, each with a ``router``; their routes need a signed-in admin, and their
#: POST/PUT/PATCH/DELETE requests a matching CSRF token.
SCREENS = (home, users, groups, api_access, applications, imports)


def create_web(
    hub: Hub, *, tenant_profiles: Collection[str] = (), provider_urls: Collection[str] = ()
) -> FastAPI:
    """The admin UI on ``hub``'s services; the composition mounts it at ``/ui``.
    ``tenant_profiles`` are the provider's profiles a new tenant may take, ``provider_urls``
    the base URLs applications use to reach it (both shown on API Access)."""
    app = FastAPI(title="scimhub admin UI", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.hub = hub
    app.state.tenant_profiles = tuple(tenant_profiles)
    app.state.provider_urls = tuple(provider_urls)
    app.state.sessions = AdminSessions(
        hub.engine,
        idle=timedelta(minutes=hub.settings.web_session_idle_minutes),
        lifetime=timedelta(hours=hub.settings.web_session_max_hours),
    )
    app.state.sign_in_throttle = AddressThrottle(  # one per app: its counts are its own
        AddressRule(
            free=hub.settings.web_sign_in_address_failures,
            window=hub.settings.web_sign_in_address_window_minutes * 60.0,
        )
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(signin.router)
    for screen in SCREENS:
        app.include_router(screen.router, dependencies=[Depends(guard)])
    register_errors(app)
    app.add_middleware(SecurityHeaders)
    return app
