"""The SCIM resource store: canonical JSON documents plus indexed columns.

Every write is one transaction. Updates lock the row (``FOR UPDATE`` on
PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), check the caller's ETag, and bump
the version, so concurrent writers are serialised and lost updates detected.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from scimhub.scim.errors import InvalidValue, NotFound, PreconditionFailed, Uniqueness
from scimhub.scim.schema import ResourceType

from . import relations, versions
from .fastread import reader_for
from .passwords import hash_password
from .tables import resources
from .transactions import read_tx, retrying, write_tx

Doc = dict[str, Any]
Mutator = Callable[[Doc], Doc]


@dataclass(frozen=True, slots=True)
class Related:
    """Which derived attributes to load: a group's members, a user's groups."""

    members: bool = True
    groups: bool = True


def now_utc() -> datetime:
    return datetime.now(UTC)


def iso(ts: datetime) -> str:
    """RFC 3339 in UTC; SQLite hands back naive datetimes, which are UTC."""
    if ts.tzinfo is not None:
        ts = ts.astimezone(UTC)
    return ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def etag(version: int) -> str:
    return f'W/"{version}"'


def matches_etag(header: str, version: int | str) -> bool:
    """Whether an If-Match / If-None-Match header names ``version`` (or is ``*``).

    Weak comparison (RFC 9110 §8.8.3.2): ``W/"3"``, ``"3"`` and ``3`` all match version 3.
    """
    wanted = _opaque(version if isinstance(version, str) else etag(version))
    return any(tag.strip() == "*" or _opaque(tag) == wanted for tag in header.split(","))


def _opaque(tag: str) -> str:
    return tag.strip().removeprefix("W/").strip('"')


#: Longest value of an indexed attribute (userName, externalId, displayName, email).
MAX_INDEXED = 512


def indexed_value(value: Any, name: str) -> Any:
    """Check that ``value`` fits its index column (an RFC-valid value may be refused here)."""
    if isinstance(value, str) and len(value) > MAX_INDEXED:
        raise InvalidValue(f"'{name}' may be at most {MAX_INDEXED} characters long")
    return value


def index_columns(rtype: ResourceType, doc: Doc) -> Doc:
    """The indexed columns derived from a canonical document."""
    is_user = rtype.name == "User"
    user_name = indexed_value(doc.get("userName"), "userName") if is_user else None
    display = indexed_value(doc.get("displayName"), "displayName") if not is_user else None
    return {
        "user_name_ci": user_name.lower() if isinstance(user_name, str) else None,
        "external_id": indexed_value(doc.get("externalId"), "externalId"),
        "display_name_ci": display.lower() if isinstance(display, str) else None,
        "active": doc.get("active") if is_user else None,
    }


@dataclass(frozen=True, slots=True)
class _Loc:
    """A stored resource's row, inside an open transaction."""

    conn: Connection
    tenant_id: str
    rtype: ResourceType
    seq: int


class ResourceStore:
    """CRUD for SCIM resources of one database; tenant-scoped on every call."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name

    def create(self, tenant_id: str, rtype: ResourceType, doc: Doc) -> Doc:
        ts = now_utc()
        rid = str(uuid.uuid4())
        body, password, member_list = _split(doc)
        body = {**body, "id": rid}
        row: Doc = {"id": rid, "tenant_id": tenant_id, "resource_type": rtype.name, "doc": body}
        row |= {"version": 1, "created": ts, "last_modified": ts, **index_columns(rtype, body)}
        row["password_hash"] = hash_password(password) if password else None
        with _unique(body), write_tx(self.engine) as conn:
            seq = conn.execute(insert(resources).returning(resources.c.seq), row).scalar_one()
            loc = _Loc(conn, tenant_id, rtype, seq)
            _sync(loc, body, member_list, fresh=True, ts=ts)
            return _attach(loc, with_meta(rtype, body, ts, ts, 1), Related())

    def get(self, tenant_id: str, rtype: ResourceType, rid: str, related: Related) -> Doc:
        groups = related.groups and rtype.schema.attr("groups") is not None
        row = reader_for(self.engine).resource(tenant_id, rtype.name, rid, groups)
        if row is None:
            raise NotFound(f"{rtype.name} '{rid}' not found")
        doc = fast_doc(rtype, row)
        if rtype.name != "Group" or not related.members:
            return doc
        with read_tx(self.engine) as conn:
            return _attach(_Loc(conn, tenant_id, rtype, row[0]), doc, related)

    def version_of(self, tenant_id: str, rtype: ResourceType, rid: str) -> int:
        with read_tx(self.engine) as conn:
            return int(self._row(conn, tenant_id, rtype, rid, lock=False).version)

    def update(
        self, tenant_id: str, rtype: ResourceType, rid: str, mutate: Mutator, if_match: str | None
    ) -> Doc:
        """Apply ``mutate`` to the current document under a row lock."""
        return retrying(lambda: self._update(tenant_id, rtype, rid, mutate, if_match))

    def _update(
        self, tenant_id: str, rtype: ResourceType, rid: str, mutate: Mutator, if_match: str | None
    ) -> Doc:
        with write_tx(self.engine) as conn:
            row = self._row(conn, tenant_id, rtype, rid, lock=True)
            _check_precondition(if_match, row.version)
            loc = _Loc(conn, tenant_id, rtype, row.seq)
            current = _attach(loc, stored_doc(rtype, row), Related(groups=False))
            new_body, password, member_list = _split(mutate(current))
            if rtype.name == "Group":
                member_list = member_list or []
            if _unchanged(row.doc, current, new_body, password, member_list):
                return _attach(loc, stored_doc(rtype, row), Related())
            with _unique(new_body):
                doc, ts = _write(loc, row, new_body, password)
                _sync(loc, doc, member_list, fresh=False, ts=ts)
                if rtype.name == "Group" and doc.get("displayName") != row.doc.get("displayName"):
                    versions.touch_members_of(conn, tenant_id, row.seq, ts)
            return _attach(loc, doc, Related())

    def delete(self, tenant_id: str, rtype: ResourceType, rid: str, if_match: str | None) -> None:
        """Delete a resource; the groups it belonged to and its members get new versions."""
        retrying(lambda: self._delete(tenant_id, rtype, rid, if_match))

    def _delete(self, tenant_id: str, rtype: ResourceType, rid: str, if_match: str | None) -> None:
        ts = now_utc()
        with write_tx(self.engine) as conn:
            versions.touch_groups_of(conn, tenant_id, rid, ts)  # groups first: lock order
            row = self._row(conn, tenant_id, rtype, rid, lock=True)
            _check_precondition(if_match, row.version)
            versions.touch_members_of(conn, tenant_id, row.seq, ts)
            conn.execute(delete(resources).where(resources.c.seq == row.seq))
            relations.forget_member(conn, tenant_id, rid)

    def _row(
        self, conn: Connection, tenant_id: str, rtype: ResourceType, rid: str, *, lock: bool
    ) -> Any:
        query = select(*STORED_COLUMNS).where(
            resources.c.id == rid,
            resources.c.tenant_id == tenant_id,
            resources.c.resource_type == rtype.name,
        )
        if lock and self.dialect == "postgresql":
            query = query.with_for_update()
        row = conn.execute(query).first()
        if row is None:
            raise NotFound(f"{rtype.name} '{rid}' not found")
        return row


def _write(loc: _Loc, row: Any, body: Doc, password: str | None) -> tuple[Doc, datetime]:
    """Store a new version of the document; return it with its meta, and the time."""
    ts = now_utc()
    version = row.version + 1
    body = {**body, "id": row.doc["id"]}
    values: Doc = {"doc": body, "version": version, "last_modified": ts}
    values |= index_columns(loc.rtype, body)
    if password:
        values["password_hash"] = hash_password(password)
    loc.conn.execute(update(resources).where(resources.c.seq == loc.seq).values(values))
    return with_meta(loc.rtype, body, row.created, ts, version), ts


def _sync(
    loc: _Loc, body: Doc, member_list: list[Doc] | None, *, fresh: bool, ts: datetime
) -> None:
    """Bring the side tables (emails, members) in step with the document."""
    if loc.rtype.name == "User":
        relations.sync_emails(loc.conn, loc.seq, loc.tenant_id, body, fresh=fresh)
    elif member_list is not None:
        changed = relations.set_members(loc.conn, loc.seq, loc.tenant_id, member_list, fresh=fresh)
        versions.touch_ids(loc.conn, loc.tenant_id, changed, ts)


def _attach(loc: _Loc, doc: Doc, r: Related) -> Doc:
    """Add the derived multi-valued attributes kept in side tables."""
    if loc.rtype.name == "Group" and r.members:
        found = relations.load_members(loc.conn, loc.seq)
        return {**doc, "members": found} if found else doc
    if loc.rtype.name == "User" and r.groups and loc.rtype.schema.attr("groups"):
        groups = relations.load_groups(loc.conn, loc.tenant_id, [doc["id"]]).get(doc["id"])
        return {**doc, "groups": groups} if groups else doc
    return doc


#: The columns a stored resource is read from: its document and the meta kept beside it.
STORED_COLUMNS = (
    resources.c.seq,
    resources.c.doc,
    resources.c.version,
    resources.c.created,
    resources.c.last_modified,
)


def with_meta(
    rtype: ResourceType, doc: Doc, created: datetime, modified: datetime, version: int
) -> Doc:
    """``doc`` with its ``meta`` (RFC 7643 §3.1); ``location`` is added by the provider."""
    meta = {
        "resourceType": rtype.name,
        "created": iso(created),
        "lastModified": iso(modified),
        "version": etag(version),
    }
    return {**doc, "meta": meta}


def fast_doc(rtype: ResourceType, row: tuple[Any, ...]) -> Doc:
    """The document of a :class:`FastReader` row, with its meta and ``groups``."""
    _seq, doc, version, created, modified, _type, groups = row
    doc = with_meta(rtype, doc, created, modified, version)
    return {**doc, "groups": groups} if groups else doc


def stored_doc(rtype: ResourceType, row: Any) -> Doc:
    """The document of a row selected with :data:`STORED_COLUMNS`, with its meta."""
    return with_meta(rtype, row.doc, row.created, row.last_modified, row.version)


def _split(doc: Doc) -> tuple[Doc, str | None, list[Doc] | None]:
    """Separate what is not stored in the document: the password and the members."""
    body = {k: v for k, v in doc.items() if k not in ("password", "members", "groups")}
    return body, doc.get("password"), doc.get("members")


def _unchanged(
    stored: Doc, current: Doc, body: Doc, password: str | None, member_list: list[Doc] | None
) -> bool:
    """Whether a write would change nothing (so the version and ETag stay as they are)."""
    if password is not None or body != {k: v for k, v in stored.items() if k != "id"}:
        return False
    if member_list is None:
        return True
    return {m["value"] for m in member_list} == {m["value"] for m in current.get("members", [])}


def _check_precondition(if_match: str | None, version: int) -> None:
    if if_match is not None and not matches_etag(if_match, version):
        raise PreconditionFailed(
            f"If-Match does not match the current version {etag(version)}", scim_type=None
        )


@contextmanager
def _unique(doc: Doc) -> Iterator[None]:
    """Translate a userName unique-index violation into a 409 uniqueness error."""
    try:
        yield
    except IntegrityError as exc:
        raise Uniqueness(f"userName '{doc.get('userName')}' is already in use") from exc
