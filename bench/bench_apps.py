"""The ASGI applications that ``provider_bench.py`` serves in a separate server process.

``provider_app`` is the SCIM provider, built the way ``scimhub provider serve`` builds it,
from ``SCIMHUB_*`` environment variables; ``SCIMHUB_BENCH_PG_SCHEMA`` (bench only) puts its
PostgreSQL connections on a dedicated schema. ``ceiling_app`` is the smallest useful ASGI
endpoint: a fixed ~600-byte JSON document, the ceiling one worker of a server can reach.
"""

from __future__ import annotations

import os
from typing import Any

import orjson

CEILING_DOC = {
    "schemas": [
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    ],
    "id": "2819c223-7f76-453a-919d-413861904646",
    "externalId": "ext-00000042",
    "userName": "barbara.jensen.000042@example.com",
    "name": {"familyName": "Jensen", "givenName": "Barbara"},
    "displayName": "Barbara Jensen",
    "title": "Tour Guide",
    "active": True,
    "emails": [{"value": "barbara.jensen.000042@example.com", "type": "work", "primary": True}],
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
        "department": "Tour Operations",
    },
    "meta": {
        "resourceType": "User",
        "created": "2024-01-23T04:56:22.000000Z",
        "lastModified": "2024-05-13T04:42:34.000000Z",
        "version": 'W/"3"',
    },
}
CEILING_BODY = orjson.dumps(CEILING_DOC)
_CEILING_HEADERS = [
    (b"content-type", b"application/scim+json"),
    (b"content-length", str(len(CEILING_BODY)).encode()),
]


async def ceiling_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answer every HTTP request with the same ~600-byte JSON document."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": _CEILING_HEADERS})
    await send({"type": "http.response.body", "body": CEILING_BODY})


def provider_app() -> Any:
    """The provider for ``uvicorn --factory``: Settings from the environment, one engine."""
    # Imported here so that serving the ceiling endpoint loads nothing of scimhub.
    from scimhub.config import Settings  # noqa: PLC0415
    from scimhub.provider.app import create_app  # noqa: PLC0415
    from scimhub.storage.db import make_engine  # noqa: PLC0415

    settings = Settings()
    kwargs: dict[str, Any] = {}
    schema = os.environ.get("SCIMHUB_BENCH_PG_SCHEMA")
    if schema:
        kwargs["connect_args"] = {"options": f"-csearch_path={schema}"}
    engine = make_engine(settings.resolved_database_url, **kwargs)
    return create_app(settings, engine)
