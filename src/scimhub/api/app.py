"""The hub's REST API app factory: routers, authentication and one error renderer."""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError, OperationalError

from scimhub.config import Settings
from scimhub.hub import Hub, build_hub
from scimhub.problems import Problem, Throttled
from scimhub.scim.errors import InvalidValue

from . import (
    applications,
    catalog,
    directory,
    imports,
    mappings,
    provisioning,
    provisioning_log,
)
from .deps import Unauthorized, require_api_key
from .limits import BodyLimit

__all__ = ["create_api"]

log = logging.getLogger(__name__)

DESCRIPTION = """The scimhub hub: the directory (users, user groups), the application catalog,
applications with their IdM (SCIM provisioning) integrations, and group bindings.

Authenticate with `Authorization: Bearer <key>`; create keys with `scimhub apikey create`.
Errors are JSON objects `{"error": code, "detail": message}` with a matching HTTP status."""


def create_api(settings: Settings, engine: Engine, hub: Hub | None = None) -> FastAPI:
    """The REST API on ``engine``; ``hub`` may be given to share services with other parts."""
    app = FastAPI(title="scimhub hub API", version="1", description=DESCRIPTION)
    app.state.hub = hub or build_hub(settings, engine)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    secured = [Depends(require_api_key)]
    routers = (directory, catalog, applications, mappings, provisioning, provisioning_log, imports)
    for module in routers:
        app.include_router(module.router, prefix="/api/v1", dependencies=secured)
    _register_errors(app)
    _register_health(app)
    return app


def _register_health(app: FastAPI) -> None:
    @app.get("/healthz", tags=["health"], summary="Liveness and database check (no auth)")
    def healthz() -> JSONResponse:
        try:
            with app.state.hub.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except OperationalError:
            body = {"status": "unavailable", "detail": "The database does not answer"}
            return JSONResponse(body, status_code=503)
        return JSONResponse({"status": "ok"})

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/docs")


def _register_errors(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def problem(_: Request, exc: Problem) -> JSONResponse:
        headers = {}
        if isinstance(exc, Throttled):  # RFC 9110 §10.2.3: whole seconds
            headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
        return JSONResponse(exc.as_dict(), status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(_validation_body(exc), status_code=422)

    @app.exception_handler(InvalidValue)
    async def unstorable(_: Request, exc: InvalidValue) -> JSONResponse:
        # The database refused a value (NUL in PostgreSQL text, a length): the client's error.
        return JSONResponse({"error": "invalid", "detail": exc.detail}, status_code=422)

    @app.exception_handler(IntegrityError)
    async def collided(request: Request, exc: IntegrityError) -> JSONResponse:
        log.warning("Integrity error on %s %s: %s", request.method, request.url.path, exc.orig)
        body = {
            "error": "conflict",
            "detail": "A concurrent change collided with this one; "
            "nothing was changed. Read the current state and try again.",
        }
        return JSONResponse(body, status_code=409)

    @app.exception_handler(Unauthorized)
    async def unauthorized(_: Request, exc: Unauthorized) -> JSONResponse:
        body = {"error": "unauthorized", "detail": str(exc)}
        return JSONResponse(body, status_code=401, headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("Unexpected error on %s %s", request.method, request.url.path)
        body = {"error": "internal", "detail": "An unexpected error occurred; see the server log"}
        return JSONResponse(body, status_code=500)


def _validation_body(exc: RequestValidationError) -> dict[str, object]:
    """FastAPI's validation errors in the API's error shape, without echoing the input
    (it may be a token)."""
    errors = [_validation_error(e) for e in exc.errors()]
    summary = "; ".join(f"{e['field']}: {e['msg']}" for e in errors)
    return {"error": "invalid", "detail": f"The request is not valid: {summary}", "errors": errors}


def _validation_error(error: dict[str, Any]) -> dict[str, str]:
    where, *path = [str(part) for part in error.get("loc", ())] or ["request"]
    if error.get("type") == "json_invalid":
        return {"field": "body", "msg": "not valid JSON"}
    return {"field": ".".join(path) or where, "msg": str(error.get("msg", ""))}
