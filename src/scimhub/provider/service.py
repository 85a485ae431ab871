"""The provider's operations: SCIM semantics over the resource store.

Route handlers and Bulk both call this one service, so every way in gets the
same normalisation, validation, profile rules and error behaviour.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from scimhub.config import Settings
from scimhub.scim.cursor import Cursor, decode_cursor, encode_cursor, fingerprint
from scimhub.scim.errors import InvalidValue, MethodNotAllowed
from scimhub.scim.filter import Filter, parse_filter, resolve_filter
from scimhub.scim.messages import Query, list_response
from scimhub.scim.patch import apply_patch, parse_patch_request
from scimhub.scim.path import parse_attr_path, resolve
from scimhub.scim.projection import Projection, parse_projection, project
from scimhub.scim.resource import validate_resource
from scimhub.scim.schema import ResourceType
from scimhub.storage.resources import Related, ResourceStore
from scimhub.storage.search import SearchSpec, search

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

    def list(self, ctx: Context, rtype: ResourceType, query: Query) -> Doc:
        proj = parse_projection(rtype, query.attributes, query.excluded_attributes)
        flt = self._filter(query.filter, rtype)
        sort_by = resolve_sort(query.sort_by, rtype)
        limit = self._limit(query.count)
        fp = fingerprint(ctx.tenant_id, rtype.name, query.filter, query.sort_by, query.descending)
        position = self._position(query, fp)
        spec = SearchSpec(flt, sort_by, query.descending, limit=limit, **position)
        page = search(self.engine, ctx.tenant_id, rtype, spec, related_for(rtype, proj))
        docs = [self.present(ctx, rtype, d, proj) for d in page.docs]
        if not query.uses_cursor:
            return list_response(docs, page.total, start_index=query.start_index)
        nxt = self._next_cursor(fp, spec, page) if page.has_more else None
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

    def _filter(self, text: str | None, rtype: ResourceType) -> Filter | None:
        if text is None:
            return None
        s = self.settings
        flt = parse_filter(text, max_length=s.max_filter_length, max_nodes=s.max_filter_nodes)
        resolve_filter(flt, rtype)
        return flt

    def window(self, count: int | None) -> int:
        """The page size for a requested ``count``: the default, capped at maxPageSize."""
        return self._limit(count)

    def _limit(self, count: int | None) -> int:
        if count is None:
            return self.settings.default_page_size
        return min(count, self.settings.max_page_size)

    def _position(self, query: Query, fp: str) -> dict[str, Any]:
        if not query.uses_cursor:
            return {"offset": query.start_index - 1}
        if not query.cursor:
            return {"offset": 0}
        cur = decode_cursor(
            query.cursor,
            self.secret,
            expected=fp,
            now=int(time.time()),
            timeout=self.settings.cursor_timeout_seconds,
        )
        return {"after": cur.after} if cur.after is not None else {"offset": cur.offset or 0}

    def _next_cursor(self, fp: str, spec: SearchSpec, page: Any) -> str:
        now = int(time.time())
        if spec.sort_by is None:
            return encode_cursor(Cursor(fp, now, after=page.last_seq), self.secret)
        return encode_cursor(Cursor(fp, now, offset=spec.offset + spec.limit), self.secret)


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


def resolve_sort(text: str | None, rtype: ResourceType) -> Any:
    if not text:
        return None
    path = parse_attr_path(text, InvalidValue)
    resolve(rtype, path, InvalidValue)
    return path
