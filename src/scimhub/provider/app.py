"""The provider's ASGI application factory."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scimhub.config import Settings
from scimhub.scim.errors import ScimError
from scimhub.storage.db import make_engine
from scimhub.storage.tenants import TenantStore

from . import routes
from .auth import Authenticator
from .bulk import BulkProcessor
from .http import error_response
from .profiles import PREFIXES
from .service import ScimService

log = logging.getLogger("scimhub.provider")
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


#: Fixed first path segments; anything else is a resource endpoint (/Users, /Groups).
_FIXED: dict[str, Any] = {
    "ServiceProviderConfig": routes.service_provider_config,
    "ResourceTypes": routes.resource_types,
    "Schemas": routes.schemas,
    "Bulk": routes.bulk,
    ".search": routes.server_search,
}


async def _dispatch(request: Request) -> Response:
    """Route by path segments: one split and a dict lookup instead of a regex per route."""
    parts = request.path_params["rest"].split("/", 1)
    head, tail = parts[0], parts[1] if len(parts) > 1 else None
    params = request.scope["path_params"]
    fixed = _FIXED.get(head)
    if fixed is not None and (tail is None or head in ("ResourceTypes", "Schemas")):
        if tail is not None:
            params["name" if head == "ResourceTypes" else "urn"] = tail
        return await fixed(request)  # type: ignore[no-any-return]
    if not head or fixed is not None or (tail is not None and "/" in tail):
        return await routes.not_found(request)
    params["endpoint"] = head
    if tail is None:
        return await routes.collection(request)
    if tail == ".search":
        return await routes.resource_search(request)
    params["id"] = tail
    return await routes.resource(request)


def _routes() -> list[BaseRoute]:
    """Every prefix dispatches its own paths; methods are checked by the handlers (SCIM 405)."""
    out: list[BaseRoute] = [
        Route(prefix + "/{rest:path}", _dispatch, methods=ALL_METHODS) for prefix in PREFIXES
    ]
    out.append(Route("/{rest:path}", routes.not_found, methods=ALL_METHODS))
    return out


def cursor_secret(settings: Settings) -> bytes:
    """The cursor HMAC key: from settings, else a 0600 key file in the data directory."""
    if settings.cursor_secret:
        return settings.cursor_secret.encode()
    path = Path(settings.data_dir) / "cursor.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


async def _scim_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ScimError)
    return error_response(exc)


class _CatchAll:
    """Turn an unexpected exception into a SCIM 500 and keep the connection usable.

    (Starlette's own server-error middleware re-raises, which makes the server drop the
    connection.) Nothing here is expected to run: it is the last line of defence.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unhandled error on %s", scope.get("path"))
            if started or scope["type"] != "http":
                raise
            await error_response(ScimError("Internal server error", status=500))(
                scope, receive, send
            )


def create_app(settings: Settings, engine: Engine | None = None) -> Starlette:
    """Build the provider for ``settings`` (and an optional shared engine)."""
    engine = engine or make_engine(settings.resolved_database_url)
    app = Starlette(
        routes=_routes(),
        middleware=[Middleware(_CatchAll)],
        exception_handlers={ScimError: _scim_error},
    )
    _bind_state(app.state, settings, engine)
    return app


def _bind_state(state: Any, settings: Settings, engine: Engine) -> None:
    state.settings = settings
    state.engine = engine
    state.tenants = TenantStore(engine)
    state.service = ScimService(engine, settings, cursor_secret(settings))
    state.authenticate = Authenticator(state.tenants)
    state.bulk = BulkProcessor(state.service, settings)
