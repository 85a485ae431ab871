"""What to do for one (application, user) link, and doing it through the connector.

In scope: a linked user is updated (and reactivated if needed); otherwise the user is
looked up by ``userName eq`` and linked, or created. Only what changed is sent: minimal
PATCH operations, or PUT (GET, change, replace) where the target lacks PATCH; nothing when
nothing mapped changed. Out of scope: DELETE where the target supports it and the
application is set to delete, otherwise PATCH ``active=false``; an account linked by an
import and not managed yet (its user never was in scope) is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scimhub.directory.models import DirectoryUser

from .attributes import (
    Values,
    desired_values,
    differences,
    fingerprint,
    patch_operations,
    replaced_resource,
    resource_of,
    values_of,
)
from .calls import Calls, Subject
from .connector import Connector, Remote
from .links import Link, Outcome
from .outcomes import AlreadyExists, Gone, Rejected
from .summaries import change_note, create_summary, patch_summary, user_path
from .targets import Target

__all__ = ["IMPORTED", "LOOK_UP", "Executor", "Item"]

#: A link made by an import: the account exists, but the hub has not managed it yet.
IMPORTED = "imported"
#: "Nobody looked this user up yet": the executor does it itself.
LOOK_UP: Any = object()
_DEACTIVATE = [{"op": "replace", "path": "active", "value": False}]


@dataclass(frozen=True, slots=True)
class Item:
    link: Link
    user: DirectoryUser | None
    in_scope: bool

    @property
    def subject(self) -> Subject:
        name = self.user.username if self.user is not None else self.link.username
        return Subject(self.link.app_id, self.link.user_id, name)


class Executor:
    """Runs items for one target; failures propagate as ``outcomes`` exceptions."""

    def __init__(self, target: Target, connector: Connector, calls: Calls) -> None:
        self.target = target
        self.connector = connector
        self.calls = calls
        self._recreated = False

    def run(self, item: Item, found: Remote | None = LOOK_UP) -> Outcome:
        self._recreated = False  # a vanished account is looked up again once, not forever
        if item.in_scope and item.user is not None:
            return self._provision(item, item.user, found)
        return self._deprovision(item)

    # --- entering or staying in scope --------------------------------------------------

    def _provision(self, item: Item, user: DirectoryUser, found: Remote | None) -> Outcome:
        desired = desired_values(user, self.target.mapping, active=True)
        link = item.link
        if _unchanged(link, desired):  # what was pushed is what is wanted: no request
            return self._done(item, link.remote_id or "", desired)
        if link.remote_id is not None and link.remote_state != "absent":
            current = self._current(item, link.remote_id)
            if current is not None:
                return self._update(item, link.remote_id, current, desired)
        remote = self.lookup(item, user.username) if found is LOOK_UP else found
        if remote is None:
            return self._create(item, user, desired)
        return self._link(item, remote, desired)

    def _current(self, item: Item, remote_id: str) -> Values | None:
        """What the target holds: its own copy on a verify pass, else what was pushed."""
        if not item.link.verify:
            return dict(item.link.pushed or {})
        path = user_path(remote_id)
        remote = self.calls.run(
            item.subject, "lookup", f"GET {path}", lambda: self.connector.get(remote_id), _found
        )
        return None if remote is None else values_of(remote.resource, self.target.mapping)

    def lookup(self, item: Item, username: str) -> Remote | None:
        summary = f'GET /Users?filter=userName eq "{username}"'
        find = self.connector.find_by_username
        return self.calls.run(item.subject, "lookup", summary, lambda: find(username), _found)

    def _create(self, item: Item, user: DirectoryUser, desired: Values) -> Outcome:
        resource = resource_of(desired, self.target.mapping)
        summary = create_summary(resource)
        try:
            remote = self.calls.run(
                item.subject, "create", summary, lambda: self.connector.create(resource), _made
            )
        except AlreadyExists:
            existing = self.lookup(item, user.username)
            if existing is None:
                raise
            return self._link(item, existing, desired)
        return self._done(item, remote.id, desired)

    def _link(self, item: Item, remote: Remote, desired: Values) -> Outcome:
        current = values_of(remote.resource, self.target.mapping)
        self.calls.add(item.subject, "link", "ok", f"link to {user_path(remote.id)}")
        return self._update(item, remote.id, current, desired)

    def _update(self, item: Item, remote_id: str, current: Values, desired: Values) -> Outcome:
        # Only mapped targets are managed: one the admin unmapped is left as it is.
        current = {k: v for k, v in current.items() if k in desired}
        operations = patch_operations(current, desired, self.target.mapping)
        if not operations:
            return self._done(item, remote_id, desired)
        action = "reactivate" if current.get("active") is False else "update"
        note = change_note(differences(current, desired))
        try:
            self._send(item, action, remote_id, operations, desired, note)
        except Gone:
            if self._recreated:
                raise Rejected(
                    f"The application lists /Users/{remote_id} for this userName but answers "
                    "404 for it; try again once it is consistent",
                    status=404,
                ) from None
            self._recreated = True
            return self._recreate(item, desired)
        return self._done(item, remote_id, desired)

    def _send(  # noqa: PLR0917
        self,
        item: Item,
        action: str,
        remote_id: str,
        ops: list[dict[str, Any]],
        new: Values,
        note: str,
    ) -> None:
        if self.target.patch:
            summary = patch_summary(remote_id, ops)
            self.calls.run(
                item.subject,
                action,
                summary,
                lambda: self.connector.patch(remote_id, ops),
                lambda _: note,
            )
            return
        path = user_path(remote_id)
        remote = self.calls.run(
            item.subject, "lookup", f"GET {path}", lambda: self.connector.get(remote_id), _found
        )
        if remote is None:
            raise Gone(f"GET {path} answered 404", status=404)
        body = replaced_resource(remote.resource, new, self.target.mapping)
        self.calls.run(
            item.subject,
            action,
            f"PUT {path}",
            lambda: self.connector.replace(remote_id, body),
            lambda _: note,
        )

    def _recreate(self, item: Item, desired: Values) -> Outcome:
        """The remote account vanished: find it again by userName or create it."""
        assert item.user is not None
        remote = self.lookup(item, item.user.username)
        if remote is None:
            return self._create(item, item.user, desired)
        return self._link(item, remote, desired)

    def _done(self, item: Item, remote_id: str, desired: Values) -> Outcome:
        return _pushed(item, remote_id, "active", desired)

    # --- leaving scope ------------------------------------------------------------------

    def _deprovision(self, item: Item) -> Outcome:
        link = item.link
        if link.remote_id is None or link.remote_state == "absent":
            return Outcome(link, None, "absent", remove=True)
        if link.remote_state == IMPORTED:  # never managed yet: the account is left alone
            return _pushed(
                item, link.remote_id, IMPORTED, link.pushed or {}, remove=item.user is None
            )
        if link.remote_state == "inactive" and not link.verify:
            return self._kept(item, link.remote_id, link.pushed or {})
        if link.remote_state == "inactive":
            return self._recheck_inactive(item, link.remote_id)
        if self.target.delete_users:
            return self._delete(item, link.remote_id)
        return self._deactivate(item, link.remote_id)

    def _recheck_inactive(self, item: Item, remote_id: str) -> Outcome:
        """A reconcile looks at deprovisioned accounts too: one re-enabled inside the
        application is deactivated again, and deleted if the application is now set to."""
        current = self._current(item, remote_id)
        if current is None:  # gone from the target: nothing left to remember
            return Outcome(item.link, None, "absent", remove=True)
        if self.target.delete_users:
            return self._delete(item, remote_id)
        if current.get("active") is not False:
            return self._deactivate(item, remote_id)
        return self._kept(item, remote_id, item.link.pushed or {})

    def _delete(self, item: Item, remote_id: str) -> Outcome:
        path = user_path(remote_id)
        self.calls.run(
            item.subject, "delete", f"DELETE {path}", lambda: self.connector.delete(remote_id)
        )
        return Outcome(item.link, None, "absent", remove=True)

    def _deactivate(self, item: Item, remote_id: str) -> Outcome:
        pushed = {**(item.link.pushed or {}), "active": False}
        try:
            self._send(
                item, "deactivate", remote_id, list(_DEACTIVATE), pushed, "active: true → false"
            )
        except Gone:
            return Outcome(item.link, None, "absent", remove=True)
        return self._kept(item, remote_id, pushed)

    def _kept(self, item: Item, remote_id: str, pushed: Values) -> Outcome:
        """Deprovisioned; a deleted directory user's link is no longer needed."""
        return _pushed(item, remote_id, "inactive", pushed, remove=item.user is None)


def _pushed(
    item: Item, remote_id: str, state: str, values: Values, *, remove: bool = False
) -> Outcome:
    """The link after ``values`` are what the target holds for it."""
    return Outcome(
        item.link,
        remote_id,
        state,
        pushed=values,
        pushed_hash=fingerprint(values),
        remove=remove,
        username=item.subject.username or "",
    )


def _unchanged(link: Link, desired: Values) -> bool:
    """Linked, active, not asked to compare with the target, and the fingerprint of the
    desired values is the one last pushed."""
    settled = link.remote_id is not None and link.remote_state == "active" and not link.verify
    return settled and link.pushed_hash == fingerprint(desired)


def _found(remote: Remote | None) -> str:
    return "not found" if remote is None else f"found {user_path(remote.id)}"


def _made(remote: Remote) -> str:
    return f"created {user_path(remote.id)}"
