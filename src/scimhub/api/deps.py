"""FastAPI dependencies: the ``Hub`` of the running app and API-key authentication."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from scimhub.hub import Hub
from scimhub.storage.api_keys import ApiKey

__all__ = ["HubDep", "require_api_key"]

_bearer = HTTPBearer(auto_error=False, description="A hub API key (`scimhub apikey create`)")


class Unauthorized(Exception):
    """No key, or a key that is unknown or revoked."""


def get_hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


HubDep = Annotated[Hub, Depends(get_hub)]


def require_api_key(
    hub: HubDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ApiKey:
    if credentials is None:
        raise Unauthorized("Send an API key as 'Authorization: Bearer <key>'")
    key = hub.api_keys.authenticate(credentials.credentials)
    if key is None:
        raise Unauthorized("The API key is unknown or revoked")
    return key
