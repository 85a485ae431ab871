"""Creating directory users from an application's records, each linked to its remote id.

Runs inside the caller's transaction (a page of a job, or a small import): a bad record
is reported and the others go in, with one INSERT for the page's users and one for their
links in one savepoint (one user at a time if a concurrent writer collides). The link
row's state is ``imported``: the engine updates the account once the user is in scope and
never creates it again; until then it leaves the account alone (an imported user is in no
group yet, and importing must not deprovision anybody).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, insert
from sqlalchemy.exc import IntegrityError

from scimhub.directory.changes import ChangeSink
from scimhub.directory.users import insert_user, insert_users
from scimhub.directory.validation import NewUser
from scimhub.problems import Problem
from scimhub.storage.provisioning_tables import provisioning_links as links
from scimhub.storage.resources import now_utc

from ..attributes import fingerprint
from ..executor import IMPORTED as IMPORTED_LINK
from .matching import IMPORTED, Candidate, classify
from .records import RemoteUser, new_user_of

__all__ = ["CREATED", "FAILED", "SKIPPED", "Importer", "ItemResult"]

CREATED = "created"
SKIPPED = "skipped"
FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ItemResult:
    """What became of one application user: created, or skipped/failed with the reason."""

    key: str
    username: str
    remote_id: str | None
    outcome: str
    reason: str | None = None
    user_id: str | None = None


class Importer:
    """Imports records of one application; remembers what this run has seen, so a second
    account with a userName or email already met is reported as a duplicate."""

    def __init__(self, app_id: str, changes: ChangeSink) -> None:
        self.app_id = app_id
        self.changes = changes
        self._names: dict[str, str] = {}
        self._emails: dict[str, str] = {}
        self.passed_over = 0  #: users ``only_new`` passed over (already in the directory)

    def apply(
        self, conn: Connection, remotes: Sequence[RemoteUser], *, only_new: bool = False
    ) -> list[ItemResult]:
        """Import ``remotes``; ``only_new`` passes over those already in the directory
        (reporting only the ones that conflict with it). The page's new users go in with
        one INSERT for the users and one for the links; a collision with a concurrent
        writer falls back to one user at a time, each reported on its own."""
        candidates = classify(conn, self.app_id, remotes)
        if only_new:
            kept = [c for c in candidates if c.in_all_new]
            self.passed_over += len(candidates) - len(kept)
            candidates = kept
        screened = [self._screen(c) for c in candidates]
        fresh = [
            (c, s) for c, s in zip(candidates, screened, strict=True) if isinstance(s, NewUser)
        ]
        created = iter(self._insert_all(conn, fresh))
        return [s if isinstance(s, ItemResult) else next(created) for s in screened]

    def _screen(self, candidate: Candidate) -> ItemResult | NewUser:
        """The user to create, or why this record gives none."""
        remote = candidate.remote
        reason = self._duplicate(remote)
        self._remember(remote)
        if reason is not None:
            return _result(remote, FAILED, reason)
        if candidate.status == IMPORTED:
            return _already(candidate)
        try:
            return new_user_of(remote)
        except Problem as exc:
            return _result(remote, FAILED, exc.detail)

    def _insert_all(
        self, conn: Connection, fresh: list[tuple[Candidate, NewUser]]
    ) -> list[ItemResult]:
        """The results of ``fresh``, in its order."""
        if not fresh:
            return []
        try:
            with conn.begin_nested():
                made = insert_users(conn, [new for _, new in fresh], self.changes)
                rows = [
                    _link_row(self.app_id, u.id, c.remote)
                    for (c, _), u in zip(fresh, made, strict=True)
                ]
                conn.execute(insert(links), rows)
        except IntegrityError:  # someone created one of them meanwhile: one by one
            return [self._insert_one(conn, c.remote, new) for c, new in fresh]
        return [
            _result(c.remote, CREATED, None, u.id) for (c, _), u in zip(fresh, made, strict=True)
        ]

    def _insert_one(self, conn: Connection, remote: RemoteUser, new: NewUser) -> ItemResult:
        try:
            with conn.begin_nested():
                user = insert_user(conn, new, self.changes)
                conn.execute(insert(links), [_link_row(self.app_id, user.id, remote)])
        except Problem as exc:
            return _result(remote, FAILED, exc.detail)
        return _result(remote, CREATED, None, user.id)

    def _duplicate(self, remote: RemoteUser) -> str | None:
        other = self._names.get(remote.key) if remote.username else None
        if other is not None and other != remote.remote_id:
            return f"Duplicate in the application: account '{other}' has the same userName"
        email = remote.email.lower()
        other = self._emails.get(email) if email else None
        if other is not None and other != remote.remote_id:
            return f"Duplicate in the application: account '{other}' has the same email"
        return None

    def _remember(self, remote: RemoteUser) -> None:
        if remote.username:
            self._names.setdefault(remote.key, remote.remote_id)
        if remote.email:
            self._emails.setdefault(remote.email.lower(), remote.remote_id)


def _already(candidate: Candidate) -> ItemResult:
    conflict = candidate.conflict
    if conflict is not None:
        return _result(candidate.remote, FAILED, conflict)
    reason = f"Already in the directory as '{candidate.directory_username}'"
    return _result(candidate.remote, SKIPPED, reason, candidate.directory_user_id)


def _result(
    remote: RemoteUser, outcome: str, reason: str | None, user_id: str | None = None
) -> ItemResult:
    return ItemResult(remote.key, remote.printable_name, remote.remote_id, outcome, reason, user_id)


def _link_row(app_id: str, user_id: str, remote: RemoteUser) -> dict[str, object]:
    now = now_utc()
    return {
        "app_id": app_id,
        "user_id": user_id,
        "username": remote.username,
        "remote_id": remote.remote_id,
        "remote_state": IMPORTED_LINK,
        "pushed": remote.values,
        "pushed_hash": fingerprint(remote.values),
        "attempts": 0,
        "seq": 0,
        "due": None,
        "verify": False,
        "updated": now,
    }
