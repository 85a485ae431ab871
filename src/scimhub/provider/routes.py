"""Route handlers: thin adapters from HTTP to :class:`ScimService` (RFC 7644 §3)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from scimhub.scim.errors import MethodNotAllowed, NotFound
from scimhub.scim.messages import list_response, query_from_params, query_from_search
from scimhub.scim.projection import Projection, parse_projection, project
from scimhub.scim.schema import ResourceType
from scimhub.storage.resources import matches_etag

from . import discovery
from .http import read_json, resource_response, scim_response
from .profiles import PREFIXES, PROFILES
from .service import Context, ScimService


def _state(request: Request) -> Any:
    return request.app.state


def context(request: Request) -> Context:
    """The caller's tenant and profile, and the base URL it used (for meta.location)."""
    principal = _state(request).authenticate(request)
    scope = request.scope
    path = scope["path"]
    prefix = next((p for p in PREFIXES if path.startswith(p + "/")), PREFIXES[0])
    host = request.headers.get("host") or "{}:{}".format(*scope.get("server") or ("localhost", 80))
    base = f"{scope.get('scheme', 'http')}://{host}{prefix}"
    return Context(principal.tenant_id, PROFILES[principal.profile], base)


async def body_of(request: Request) -> Any:
    s = _state(request).settings
    return await read_json(request, s.max_body_bytes, s.max_json_depth)


def _service(request: Request) -> ScimService:
    return _state(request).service  # type: ignore[no-any-return]


def _allow(request: Request, *methods: str) -> None:
    if request.method not in methods:
        raise MethodNotAllowed(f"{request.method} is not supported on {request.url.path}")


async def collection(request: Request) -> Response:
    """GET (query) and POST (create) on /Users, /Groups (RFC 7644 §3.3, §3.4.2)."""
    _allow(request, "GET", "POST")
    ctx = context(request)
    rtype = ctx.profile.resource_type(request.path_params["endpoint"])
    if request.method == "POST":
        doc = _service(request).create(ctx, rtype, await body_of(request))
        return _written(request, rtype, doc, 201)
    query = query_from_params(dict(request.query_params))
    return scim_response(_service(request).list_resources(ctx, rtype, query))


async def resource_search(request: Request) -> Response:
    """POST /{endpoint}/.search (RFC 7644 §3.4.3)."""
    _allow(request, "POST")
    ctx = context(request)
    rtype = ctx.profile.resource_type(request.path_params["endpoint"])
    query = query_from_search(await body_of(request))
    return scim_response(_service(request).list_resources(ctx, rtype, query))


async def server_search(request: Request) -> Response:
    """POST /.search across every resource type (RFC 7644 §3.4.3)."""
    _allow(request, "POST")
    ctx = context(request)
    query = query_from_search(await body_of(request))
    return scim_response(_service(request).search_all(ctx, query))


async def resource(request: Request) -> Response:
    """GET, PUT, PATCH, DELETE on /{endpoint}/{id} (RFC 7644 §3.4.1, §3.5, §3.6)."""
    _allow(request, "GET", "PUT", "PATCH", "DELETE")
    ctx = context(request)
    rtype = ctx.profile.resource_type(request.path_params["endpoint"])
    rid = request.path_params["id"]
    if "\x00" in rid:
        raise NotFound(f"{rtype.name} not found")
    if request.method == "GET":
        return _get(request, ctx, rtype, rid)
    if request.method == "DELETE":
        _service(request).delete(ctx, rtype, rid, request.headers.get("if-match"))
        return Response(status_code=204)
    body = await body_of(request)
    write = _service(request).replace if request.method == "PUT" else _service(request).patch
    doc = write(ctx, rtype, rid, body, request.headers.get("if-match"))
    return _written(request, rtype, doc, 200)


def _written(request: Request, rtype: ResourceType, doc: dict[str, Any], status: int) -> Response:
    """The response to POST/PUT/PATCH, honouring attributes/excludedAttributes (RFC 7644 §3.9)."""
    proj = _projection(request, rtype)
    return resource_response(doc, status, None if proj.is_identity else project(doc, proj))


def _projection(request: Request, rtype: ResourceType) -> Projection:
    params = {k.lower(): v for k, v in request.query_params.items()}
    return parse_projection(rtype, params.get("attributes"), params.get("excludedattributes"))


def _get(request: Request, ctx: Context, rtype: ResourceType, rid: str) -> Response:
    """GET one resource; If-None-Match on the current version answers 304 (RFC 7644 §3.14)."""
    proj = _projection(request, rtype)
    doc, version = _service(request).get(ctx, rtype, rid, proj)
    none_match = request.headers.get("if-none-match")
    if none_match and matches_etag(none_match, version):
        return Response(status_code=304, headers={"ETag": version})
    return scim_response(doc, headers={"ETag": version})


async def service_provider_config(request: Request) -> Response:
    _allow(request, "GET")
    ctx = context(request)
    body = discovery.service_provider_config(ctx.profile, _state(request).settings, ctx.base_url)
    return scim_response(body)


async def resource_types(request: Request) -> Response:
    _allow(request, "GET")
    ctx = context(request)
    name = request.path_params.get("name")
    if name:
        return scim_response(discovery.resource_type(ctx.profile, ctx.base_url, name))
    items = discovery.resource_types(ctx.profile, ctx.base_url)
    return scim_response(list_response(items, len(items), start_index=1))


async def schemas(request: Request) -> Response:
    _allow(request, "GET")
    ctx = context(request)
    urn = request.path_params.get("urn")
    if urn:
        return scim_response(discovery.schema(ctx.profile, ctx.base_url, urn))
    items = discovery.schemas(ctx.profile, ctx.base_url)
    return scim_response(list_response(items, len(items), start_index=1))


async def bulk(request: Request) -> Response:
    _allow(request, "POST")
    ctx = context(request)
    body = await body_of(request)
    return scim_response(_state(request).bulk.run(ctx, body))


async def not_found(request: Request) -> Response:
    context(request)  # unauthenticated callers learn nothing about the URL space
    raise NotFound(f"No SCIM endpoint at {request.url.path}")
