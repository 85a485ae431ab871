"""The provider's operations: SCIM semantics over the resource store.

Route handlers and Bulk both call this one service, so every way in gets the
same normalisation, validation, profile rules and error behaviour.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Engine

from scimhub.config import Settings
from scimhub.scim.cursor import Cursor, decode_cursor, encode_cursor, fingerprint
from scimhub.scim.errors import InvalidValue, MethodNotAllowed, ScimError
from scimhub.scim.filter import Filter, parse_filter, resolve_filter
from scimhub.scim.messages import Query, list_response
from scimhub.scim.patch import apply_patch, parse_patch_request
from scimhub.scim.path import AttrPath, parse_attr_path, resolve
from scimhub.scim.projection import Projection, parse_projection, project
from scimhub.scim.resource import validate_resource
from scimhub.scim.schema import ResourceType
from scimhub.storage.resources import Related, ResourceStore
from scimhub.storage.search import Position, SearchSpec, search

from . import normalize
from .profiles import Profile

Doc = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Context:
    """Who is asking (tenant and profile) and the base URL they used."""

    tenant_id: str
    profile: Profile
    base_url: str


class ScimService:
    def __init__(self, engine: Engine, settings: Settings, cursor_secret: bytes) -> None:
        self.engine = engine
        self.store = ResourceStore(engine)
        self.settings = settings
        self.secret = cursor_secret

    def create(self, ctx: Context, rtype: ResourceType, body: Any) -> Doc:
        doc = validate_resource(normalize.resource_body(body, rtype), rtype)
        self._profile_rules(ctx, rtype, doc)
        return self.present(ctx, rtype, self.store.create(ctx.tenant_id, rtype, doc))

    def get(self, ctx: Context, rtype: ResourceType, rid: str, proj: Projection) -> tuple[Doc, str]:
        """The projected resource and its version (the ETag, even if meta is projected out)."""
        doc = self.store.get(ctx.tenant_id, rtype, rid, related_for(rtype, proj))
        return self.present(ctx, rtype, doc, proj), doc["meta"]["version"]

    def replace(
        self, ctx: Context, rtype: ResourceType, rid: str, body: Any, if_match: str | None
    ) -> Doc:
        clean = normalize.resource_body(body, rtype)

        def mutate(current: Doc) -> Doc:
            doc = validate_resource(clean, rtype, existing=current)
            self._profile_rules(ctx, rtype, doc)
            return doc

        return self.present(
            ctx, rtype, self.store.update(ctx.tenant_id, rtype, rid, mutate, if_match)
        )

    def patch(
        self, ctx: Context, rtype: ResourceType, rid: str, body: Any, if_match: str | None
    ) -> Doc:
        ops = parse_patch_request(normalize.patch_body(body, rtype))

        def mutate(current: Doc) -> Doc:
            patched = apply_patch(current, ops, rtype)
            doc = validate_resource(patched, rtype, existing=current)
            self._profile_rules(ctx, rtype, doc)
            return doc

        return self.present(
            ctx, rtype, self.store.update(ctx.tenant_id, rtype, rid, mutate, if_match)
        )

    def delete(self, ctx: Context, rtype: ResourceType, rid: str, if_match: str | None) -> None:
        if rtype.name == "User" and not ctx.profile.can_delete_users:
            self.store.version_of(ctx.tenant_id, rtype, rid)  # 404 first if it does not exist
            raise MethodNotAllowed(ctx.profile.delete_refusal)
        self.store.delete(ctx.tenant_id, rtype, rid, if_match)

    def list_resources(self, ctx: Context, rtype: ResourceType, query: Query) -> Doc:
        """GET /{endpoint} and POST /{endpoint}/.search (RFC 7644 §3.4.2, §3.4.3)."""
        return self._query(ctx, [rtype], query, lenient=False)

    def search_all(self, ctx: Context, query: Query) -> Doc:
        """POST /.search: every resource type of the profile in one sorted, paged list.

        An attribute that a type lacks excludes that type from a filter, sorts its
        resources last, and is simply absent from their projection.
        """
        return self._query(ctx, list(ctx.profile.resource_types), query, lenient=True)

    def _query(self, ctx: Context, rtypes: list[ResourceType], query: Query, lenient: bool) -> Doc:
        projections = {r.name: projection_for(r, query, lenient) for r in rtypes}
        flt = self._filter(query.filter, rtypes, lenient)
        sort_by = resolve_sort(query.sort_by, rtypes, lenient)
        names = [r.name for r in rtypes]
        fp = fingerprint(ctx.tenant_id, names, query.filter, query.sort_by, query.descending)
        spec = SearchSpec(flt, sort_by, query.descending, limit=self._limit(query.count))
        spec = replace(spec, **self._position(query, fp))
        related = _related_any(rtypes, projections)
        page = search(self.engine, ctx.tenant_id, rtypes, spec, related, lenient=lenient)
        docs = [self.present(ctx, f.rtype, f.doc, projections[f.rtype.name]) for f in page.items]
        if not query.uses_cursor:
            return list_response(docs, page.total, start_index=query.start_index)
        nxt = self._next_cursor(fp, page.last) if page.has_more else None
        return list_response(docs, page.total, start_index=None, next_cursor=nxt)

    def present(
        self, ctx: Context, rtype: ResourceType, doc: Doc, proj: Projection | None = None
    ) -> Doc:
        """The response form: meta.location added, then attributes projected."""
        meta = {**doc["meta"], "location": f"{ctx.base_url}{rtype.endpoint}/{doc['id']}"}
        out = {**doc, "meta": meta}
        for key in ("members", "groups"):
            if key in out:
                out[key] = [_with_ref(ctx.base_url, ref) for ref in out[key]]
        return project(out, proj) if proj is not None else out

    def _profile_rules(self, ctx: Context, rtype: ResourceType, doc: Doc) -> None:
        if rtype.name == "User":
            ctx.profile.check_user(doc)

    def _filter(self, text: str | None, rtypes: list[ResourceType], lenient: bool) -> Filter | None:
        if text is None:
            return None
        s = self.settings
        text = normalize.query_filter(text, rtypes[0]) or text
        flt = parse_filter(text, max_length=s.max_filter_length, max_nodes=s.max_filter_nodes)
        _resolvable_somewhere(rtypes, lenient, lambda r: resolve_filter(flt, r))
        return flt

    def _limit(self, count: int | None) -> int:
        if count is None:
            return self.settings.default_page_size
        return min(count, self.settings.max_page_size)

    def _position(self, query: Query, fp: str) -> dict[str, Any]:
        if not query.uses_cursor:
            return {"offset": query.start_index - 1}
        if not query.cursor:
            return {}
        cur = decode_cursor(
            query.cursor,
            self.secret,
            expected=fp,
            now=int(time.time()),
            timeout=self.settings.cursor_timeout_seconds,
        )
        return {"after": Position(cur.after, cur.key)}

    def _next_cursor(self, fp: str, last: Position | None) -> str | None:
        if last is None:
            return None
        return encode_cursor(Cursor(fp, int(time.time()), last.seq, last.key), self.secret)


def _with_ref(base: str, ref: Doc) -> Doc:
    """Add the ``$ref`` URI of a member or group reference (RFC 7643 §4.1.2, §4.2)."""
    endpoint = "Users" if ref.get("type") == "User" else "Groups"
    return {**ref, "$ref": f"{base}/{endpoint}/{ref['value']}"}


def related_for(rtype: ResourceType, proj: Projection) -> Related:
    """Load side-table attributes only when the response will include them."""
    return Related(
        members=rtype.name == "Group" and proj.wants(None, "members"),
        groups=rtype.name == "User" and proj.wants(None, "groups"),
    )


def _related_any(rtypes: list[ResourceType], projections: dict[str, Projection]) -> Related:
    wanted = [related_for(r, projections[r.name]) for r in rtypes]
    return Related(any(w.members for w in wanted), any(w.groups for w in wanted))


def projection_for(rtype: ResourceType, query: Query, lenient: bool) -> Projection:
    """The projection of ``query`` for ``rtype``; leniently, names it lacks are dropped."""
    attributes, excluded = query.attributes, query.excluded_attributes
    if lenient:
        attributes, excluded = _known(rtype, attributes), _known(rtype, excluded)
        if query.attributes and not attributes:
            attributes = "id"
    return parse_projection(rtype, attributes, excluded)


def _known(rtype: ResourceType, names: str | list[str] | None) -> list[str] | None:
    if not names:
        return None
    items = names if isinstance(names, list) else names.split(",")
    return [n for n in items if _resolves(rtype, n)]


def _resolves(rtype: ResourceType, name: str) -> bool:
    try:
        parse_projection(rtype, name, None)
    except ScimError:
        return False
    return True


def _resolvable_somewhere(
    rtypes: list[ResourceType], lenient: bool, check: Callable[[ResourceType], None]
) -> None:
    """Run ``check`` for each type; strictly every type must pass, leniently at least one."""
    errors: list[ScimError] = []
    for rtype in rtypes:
        try:
            check(rtype)
        except ScimError as exc:
            if not lenient:
                raise
            errors.append(exc)
    if errors and len(errors) == len(rtypes):
        raise errors[0]


def resolve_sort(text: str | None, rtypes: list[ResourceType], lenient: bool) -> AttrPath | None:
    if not text:
        return None
    path = parse_attr_path(text, InvalidValue)

    def check(rtype: ResourceType) -> None:
        resolve(rtype, path, InvalidValue)

    _resolvable_somewhere(rtypes, lenient, check)
    return path
