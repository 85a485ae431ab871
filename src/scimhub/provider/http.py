"""HTTP edges of the provider: reading bounded JSON bodies and writing SCIM responses."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from scimhub.scim.errors import InvalidSyntax, InvalidValue, PayloadTooLarge, ScimError

SCIM_JSON = "application/scim+json"


def scim_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, headers=headers, media_type=SCIM_JSON)


def resource_response(
    doc: dict[str, Any], status: int = 200, body: dict[str, Any] | None = None
) -> Response:
    """A single resource, with ETag (= meta.version) and, on 201, Location.

    ``body`` is what to send when it differs from ``doc`` (a projection of it).
    """
    meta = doc.get("meta") or {}
    headers = {}
    if "version" in meta:
        headers["ETag"] = meta["version"]
    if status == 201 and "location" in meta:
        headers["Location"] = meta["location"]
    return scim_response(doc if body is None else body, status, headers)


def error_response(exc: ScimError) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="scim"'} if exc.status == 401 else None
    return scim_response(exc.to_dict(), exc.status, headers)


async def read_json(request: Request, max_bytes: int, max_depth: int) -> Any:
    """The request body as JSON, refusing oversized, malformed or too deeply nested input."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise PayloadTooLarge(f"The request body exceeds the maximum of {max_bytes} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLarge(f"The request body exceeds the maximum of {max_bytes} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        raise InvalidSyntax("The request body is empty; a JSON object is required")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidSyntax(f"Malformed JSON: {exc}") from None
    if _too_deep(body, max_depth):
        raise InvalidSyntax(f"The JSON body is nested deeper than {max_depth} levels")
    if b"\\u0000" in raw:
        _refuse_nul(body)
    return body


def _too_deep(value: Any, budget: int) -> bool:
    if isinstance(value, dict):
        if budget <= 0:
            return True
        return any(_too_deep(v, budget - 1) for v in value.values())
    if isinstance(value, list):
        if budget <= 0:
            return True
        return any(_too_deep(v, budget - 1) for v in value)
    return False


def _refuse_nul(value: Any) -> None:
    """NUL characters are refused: no identity attribute needs one, and databases reject them."""
    if isinstance(value, str) and "\x00" in value:
        raise InvalidValue("Strings must not contain the NUL character (U+0000)")
    if isinstance(value, dict):
        for key, item in value.items():
            _refuse_nul(key)
            _refuse_nul(item)
    elif isinstance(value, list):
        for item in value:
            _refuse_nul(item)
