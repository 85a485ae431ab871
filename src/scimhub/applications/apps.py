"""Applications: instances of catalog connectors, with their portal settings and image."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, Engine, delete, insert, select, tuple_, update

from scimhub.fields import checked_line, checked_paragraph
from scimhub.problems import Invalid, NotFound, Refused
from scimhub.storage.hub_tables import (
    app_group_bindings,
    application_images,
    applications,
    directory_groups,
    idm_integrations,
)
from scimhub.storage.keyset import Page, decode_after, page_limit, paged
from scimhub.storage.resources import now_utc
from scimhub.storage.transactions import read_tx, retrying, write_tx

from .catalog import catalog_entry
from .images import checked_image
from .models import Application, IdmState, Image

__all__ = ["Applications"]

_EDITABLE = ("label", "description", "show_in_portal", "bookmark_url")


class Applications:
    def __init__(self, engine: Engine, *, max_image_bytes: int = 524_288) -> None:
        self.engine = engine
        self.max_image_bytes = max_image_bytes

    def create(
        self,
        *,
        catalog_key: str,
        label: str,
        description: str = "",
        show_in_portal: bool = True,
        bookmark_url: str | None = None,
        image: bytes | None = None,
    ) -> Application:
        """Create an application from a catalog entry, with an unconfigured IdM integration.

        Everything given, the image too, is checked first and written in one transaction:
        a refused value leaves no application behind.
        """
        entry = catalog_entry(catalog_key)
        now = now_utc()
        fields = _checked(
            {
                "label": label,
                "description": description,
                "show_in_portal": show_in_portal,
                "bookmark_url": bookmark_url,
            }
        )
        row = {"id": str(uuid.uuid4()), "catalog_key": entry.key, "created": now, "updated": now}
        idm = {
            "app_id": row["id"],
            "status": IdmState.UNCONFIGURED.value,
            "generation": 0,
            "options": entry.default_options(),
            "updated": now,
        }
        picture = None if image is None else checked_image(image, self.max_image_bytes)
        with write_tx(self.engine) as conn:
            conn.execute(insert(applications), [row | fields])
            conn.execute(insert(idm_integrations), [idm])
            if picture is not None:
                _replace_image(conn, str(row["id"]), picture)
            return _load(conn, str(row["id"]))

    def get(self, ref: str) -> Application:
        """An application by id, or by label when exactly one application has it."""
        with read_tx(self.engine) as conn:
            return _load(conn, resolve(conn, ref))

    def list(
        self, *, q: str | None = None, limit: int = 50, after: str | None = None
    ) -> Page[Application]:
        """Applications by label; ``q`` matches labels containing it (case-insensitive)."""
        limit = page_limit(max(1, limit))
        query = _selected().order_by(applications.c.label_ci, applications.c.id).limit(limit + 1)
        if q:
            query = query.where(
                applications.c.label_ci.contains(q.strip().lower(), autoescape=True)
            )
        if after:
            key = tuple_(applications.c.label_ci, applications.c.id)
            query = query.where(key > tuple_(*decode_after(after, 2)))
        with read_tx(self.engine) as conn:
            rows = conn.execute(query).all()
        return paged(rows, limit, _application, "label_ci", "id")

    def edit(self, ref: str, *, image: bytes | None = None, **changes: Any) -> Application:
        """Change portal settings and (with ``image``) the image: all of it, or nothing."""
        unknown = set(changes) - set(_EDITABLE)
        if unknown:
            raise Invalid(f"Cannot edit {', '.join(sorted(unknown))} of an application")
        fields = _checked({k: v for k, v in changes.items()})
        picture = None if image is None else checked_image(image, self.max_image_bytes)
        with write_tx(self.engine) as conn:
            app_id = resolve(conn, ref, lock=True)
            if picture is not None:
                _replace_image(conn, app_id, picture)
            if fields or picture is not None:
                conn.execute(
                    update(applications)
                    .where(applications.c.id == app_id)
                    .values(**fields, updated=now_utc())
                )
            return _load(conn, app_id)

    def delete(self, refs: Sequence[str], *, confirm_count: int) -> builtins.list[Application]:
        """Delete applications at once; ``confirm_count`` must be how many are deleted.

        Nothing is deleted if any of them still has an active IdM integration.
        """
        return retrying(lambda: self._delete(refs, confirm_count))

    def set_image(self, ref: str, data: bytes) -> Image:
        image = checked_image(data, self.max_image_bytes)
        with write_tx(self.engine) as conn:
            app_id = resolve(conn, ref, lock=True)
            _replace_image(conn, app_id, image)
            _touch(conn, app_id)
        return image

    def image(self, ref: str) -> Image:
        with read_tx(self.engine) as conn:
            app_id = resolve(conn, ref)
            row = conn.execute(
                select(application_images).where(application_images.c.app_id == app_id)
            ).first()
        if row is None:
            raise NotFound("This application has no user portal image")
        return Image(row.content_type, row.sha256, bytes(row.data))

    def remove_image(self, ref: str) -> None:
        with write_tx(self.engine) as conn:
            app_id = resolve(conn, ref, lock=True)
            conn.execute(delete(application_images).where(application_images.c.app_id == app_id))
            _touch(conn, app_id)

    def _delete(self, refs: Sequence[str], confirm_count: int) -> builtins.list[Application]:
        with write_tx(self.engine) as conn:
            ids = list(dict.fromkeys(resolve(conn, ref) for ref in refs))
            if not ids:
                raise Invalid("Choose at least one application to delete")
            if confirm_count != len(ids):
                raise Refused(
                    f"You are deleting {len(ids)} application(s): enter {len(ids)} "
                    f"to confirm (got {confirm_count})"
                )
            gone = _locked_for_delete(conn, ids)
            _refuse_active(gone)
            _lock_bound_groups(conn, ids)
            conn.execute(delete(applications).where(applications.c.id.in_(ids)))
        return gone


def resolve(conn: Connection, ref: str, *, lock: bool = False) -> str:
    """The id of the application ``ref`` names: an id, or a label that is unique.

    With ``lock`` the application's row is locked by the statement that finds it, so one
    deleted meanwhile is NotFound, and writers of one application queue.
    """
    ref = ref.strip()
    by_id = select(applications.c.id).where(applications.c.id == ref)
    by_label = select(applications.c.id).where(applications.c.label_ci == ref.lower()).limit(11)
    if lock:
        by_id, by_label = by_id.with_for_update(), by_label.with_for_update()
    found = conn.execute(by_id).first()
    if found is not None:
        return str(found.id)
    rows = conn.execute(by_label).all()
    if not rows:
        raise NotFound(f"No application with id or label '{ref}'")
    if len(rows) > 1:
        ids = ", ".join(r.id for r in rows[:10])
        raise Refused(f"{len(rows)} applications are labelled '{ref}'; use an id ({ids})")
    return str(rows[0][0])


def _locked_for_delete(conn: Connection, ids: Sequence[str]) -> builtins.list[Application]:
    """The applications and their IdM rows, locked in id order (so deletes cannot deadlock).

    Lock order across the hub: applications (and their IdM rows), then groups, then users.
    """
    query = (
        _selected()
        .where(applications.c.id.in_(ids))
        .order_by(applications.c.id)
        .with_for_update(of=[applications, idm_integrations])
    )
    held = {r.id: _application(r) for r in conn.execute(query)}
    missing = [app_id for app_id in ids if app_id not in held]
    if missing:
        raise NotFound(f"No application with id '{missing[0]}'")
    return [held[app_id] for app_id in ids]


def _lock_bound_groups(conn: Connection, app_ids: Sequence[str]) -> None:
    """Share-lock the groups bound to the applications, in id order.

    Deleting the applications cascades to their binding rows, and deleting a group cascades
    to the same rows; holding the groups first makes the two queue instead of deadlocking.
    """
    bound = select(app_group_bindings.c.group_id).where(app_group_bindings.c.app_id.in_(app_ids))
    query = (
        select(directory_groups.c.id)
        .where(directory_groups.c.id.in_(bound))
        .order_by(directory_groups.c.id)
        .with_for_update(read=True)
    )
    conn.execute(query).all()


def _replace_image(conn: Connection, app_id: str, image: Image) -> None:
    """Store ``image`` as the application's only image; the caller holds the row lock."""
    conn.execute(delete(application_images).where(application_images.c.app_id == app_id))
    row = {
        "app_id": app_id,
        "content_type": image.content_type,
        "sha256": image.sha256,
        "data": image.data,
        "updated": now_utc(),
    }
    conn.execute(insert(application_images), [row])


def _refuse_active(apps: list[Application]) -> None:
    active = [a for a in apps if a.idm_state is IdmState.ACTIVE]
    if active:
        names = ", ".join(f"'{a.label}'" for a in active)
        raise Refused(
            f"Cannot delete {names}: the IdM integration is active. Deactivate the IdM "
            "connection first, then delete the application. Nothing was deleted."
        )


def _selected() -> Any:
    return (
        select(applications, idm_integrations.c.status, application_images.c.sha256)
        .join(idm_integrations, idm_integrations.c.app_id == applications.c.id)
        .outerjoin(application_images, application_images.c.app_id == applications.c.id)
    )


def _load(conn: Connection, app_id: str) -> Application:
    row = conn.execute(_selected().where(applications.c.id == app_id)).first()
    if row is None:
        raise NotFound(f"No application with id '{app_id}'")
    return _application(row)


def _application(r: Any) -> Application:
    return Application(
        r.id,
        r.catalog_key,
        r.label,
        r.description,
        r.show_in_portal,
        r.bookmark_url,
        r.sha256,
        IdmState(r.status),
        r.created,
        r.updated,
    )


def _touch(conn: Connection, app_id: str) -> None:
    conn.execute(update(applications).where(applications.c.id == app_id).values(updated=now_utc()))


def _checked(fields: dict[str, Any]) -> dict[str, Any]:
    """Validated column values for the given application fields."""
    out: dict[str, Any] = {}
    if "label" in fields:
        label = checked_line(fields["label"], "label", 200)
        if not label:
            raise Invalid("The display label is required")
        out |= {"label": label, "label_ci": label.lower()}
    if "description" in fields:
        out["description"] = checked_paragraph(fields["description"] or "", "description", 2000)
    if "show_in_portal" in fields:
        if not isinstance(fields["show_in_portal"], bool):
            raise Invalid("show_in_portal must be true or false")
        out["show_in_portal"] = fields["show_in_portal"]
    if "bookmark_url" in fields:
        out["bookmark_url"] = _bookmark(fields["bookmark_url"])
    return out


def _bookmark(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    url = checked_line(value, "bookmark URL", 2048)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid("The bookmark URL must be an http(s) URL with a host")
    return url
