"""The hub's REST API (FastAPI), with its OpenAPI document at ``/openapi.json``."""

from .app import create_api

__all__ = ["create_api"]
