"""Directory users: create, find, list, edit, change state, delete.

Every write tells the ``ChangeSink`` which users changed inside the same transaction, so
provisioning can never miss a change (DESIGN.md, "The provisioning engine is level-triggered").
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from scimhub.problems import Conflict, Refused
from scimhub.storage.hub_tables import directory_memberships as memberships
from scimhub.storage.hub_tables import directory_users as users
from scimhub.storage.keyset import decode_after, page_limit, paged
from scimhub.storage.resources import now_utc
from scimhub.storage.transactions import read_tx, write_tx

from .changes import NO_CHANGES, ChangeSink
from .models import DirectoryUser, Page, UserState
from .queries import chunks, resolve_user, user_of
from .search import search_rows
from .validation import NewUser, checked_state, checked_user_changes, new_user

__all__ = ["Users", "insert_user", "insert_users"]


class Users:
    def __init__(self, engine: Engine, changes: ChangeSink = NO_CHANGES) -> None:
        self.engine = engine
        self.changes = changes

    def add(
        self,
        *,
        username: str,
        email: str,
        firstname: str = "",
        lastname: str = "",
        department: str = "",
        job_title: str = "",
        state: UserState | str = UserState.ACTIVATED,
    ) -> DirectoryUser:
        new = new_user(
            username=username,
            email=email,
            firstname=firstname,
            lastname=lastname,
            department=department,
            job_title=job_title,
            state=state,
        )
        with write_tx(self.engine) as conn:
            return insert_user(conn, new, self.changes)

    def get(self, ref: str) -> DirectoryUser:
        """The user whose id or username (case-insensitive) is ``ref``; NotFound otherwise."""
        with read_tx(self.engine) as conn:
            return resolve_user(conn, ref)

    def find_by_username(self, username: str) -> DirectoryUser | None:
        return self._find(users.c.username_ci == username.strip().lower())

    def find_by_email(self, email: str) -> DirectoryUser | None:
        return self._find(users.c.email_ci == email.strip().lower())

    def get_many_by_username(self, usernames: Iterable[str]) -> dict[str, DirectoryUser]:
        """The existing users among ``usernames``, keyed by lower-cased username."""
        wanted = list(dict.fromkeys(name.strip().lower() for name in usernames))
        found: dict[str, DirectoryUser] = {}
        with read_tx(self.engine) as conn:
            for chunk in chunks(wanted):
                rows = conn.execute(select(users).where(users.c.username_ci.in_(chunk)))
                found |= {row.username_ci: user_of(row) for row in rows}
        return found

    def list(
        self,
        *,
        q: str | None = None,
        state: UserState | str | None = None,
        limit: int = 50,
        after: str | None = None,
    ) -> Page[DirectoryUser]:
        """Users by username; ``q`` is a case-insensitive prefix of username, email,
        firstname or lastname; ``after`` is the ``next_cursor`` of the previous page."""
        limit = page_limit(limit)
        extra = [] if state is None else [users.c.state == checked_state(state).value]
        start = decode_after(after, 1)[0] if after else None
        with read_tx(self.engine) as conn:
            if q and q.strip():
                rows = search_rows(conn, q.strip(), extra, start, limit + 1)
            else:
                rows = _page(conn, extra, start, limit + 1)
        return paged(rows, limit, user_of, "username_ci")

    def edit(self, ref: str, **fields: Any) -> DirectoryUser:
        """Change attributes; a new username or email must be valid and not taken."""
        values = checked_user_changes(fields)
        try:
            with write_tx(self.engine) as conn:
                user = resolve_user(conn, ref, lock=True)
                changed = {k: v for k, v in values.items() if getattr(user, k) != v}
                if not changed:
                    return user
                _refuse_taken(conn, changed.get("username"), changed.get("email"), user.id)
                conn.execute(
                    update(users)
                    .where(users.c.id == user.id)
                    .values(**changed, **_ci(changed), updated=now_utc())
                )
                self.changes.users_changed(conn, [user.id])
                return resolve_user(conn, user.id)
        except IntegrityError as exc:
            raise _conflict(exc, values.get("username"), values.get("email")) from None

    def activate(self, ref: str) -> DirectoryUser:
        """STAGED or SUSPENDED -> ACTIVATED; an activated user is returned unchanged."""
        return self._set_state(ref, UserState.ACTIVATED)

    def suspend(self, ref: str) -> DirectoryUser:
        """ACTIVATED -> SUSPENDED; a staged user cannot be suspended (Refused)."""
        return self._set_state(ref, UserState.SUSPENDED)

    def delete(self, ref: str) -> DirectoryUser:
        """Delete the user and their memberships; returns the user as it was."""
        with write_tx(self.engine) as conn:
            user = resolve_user(conn, ref, lock=True)
            self.changes.users_changed(conn, [user.id])
            conn.execute(delete(memberships).where(memberships.c.user_id == user.id))
            conn.execute(delete(users).where(users.c.id == user.id))
        return user

    def _set_state(self, ref: str, target: UserState) -> DirectoryUser:
        with write_tx(self.engine) as conn:
            user = resolve_user(conn, ref, lock=True)
            if user.state is target:
                return user
            if user.state is UserState.STAGED and target is UserState.SUSPENDED:
                raise Refused(
                    f"User '{user.username}' is STAGED and was never activated, so there is "
                    "nothing to suspend; activate or delete the user instead"
                )
            conn.execute(
                update(users)
                .where(users.c.id == user.id)
                .values(state=target.value, updated=now_utc())
            )
            self.changes.users_changed(conn, [user.id])
            return resolve_user(conn, user.id)

    def _find(self, condition: Any) -> DirectoryUser | None:
        with read_tx(self.engine) as conn:
            row = conn.execute(select(users).where(condition)).first()
        return None if row is None else user_of(row)


def insert_user(conn: Connection, new: NewUser, changes: ChangeSink = NO_CHANGES) -> DirectoryUser:
    """Insert a validated user inside the caller's transaction and tell ``changes``.

    A taken username or email raises Conflict naming the field. The insert runs in a
    savepoint, so after a Conflict the caller's transaction is still usable.
    """
    _refuse_taken(conn, new.username, new.email)
    row = _new_row(new)
    try:
        with conn.begin_nested():
            conn.execute(insert(users), [row | _ci(row)])
            changes.users_changed(conn, [row["id"]])
    except IntegrityError as exc:
        raise _conflict(exc, new.username, new.email) from None
    return DirectoryUser(**row | {"state": new.state})


def insert_users(
    conn: Connection, news: Iterable[NewUser], changes: ChangeSink = NO_CHANGES
) -> list[DirectoryUser]:
    """Insert many validated users with one statement (bulk imports). The caller has made
    sure no username or email is taken; a collision raises IntegrityError and the caller's
    savepoint must roll back."""
    rows = [_new_row(new) for new in news]
    if not rows:
        return []
    conn.execute(insert(users), [row | _ci(row) for row in rows])
    changes.users_changed(conn, [row["id"] for row in rows])
    return [DirectoryUser(**row | {"state": UserState(row["state"])}) for row in rows]


def _new_row(new: NewUser) -> dict[str, Any]:
    now = now_utc()
    return {
        "id": str(uuid.uuid4()),
        "username": new.username,
        "email": new.email,
        "firstname": new.firstname,
        "lastname": new.lastname,
        "department": new.department,
        "job_title": new.job_title,
        "state": new.state.value,
        "created": now,
        "updated": now,
    }


def _page(conn: Connection, where: list[Any], after: str | None, n: int) -> list[Any]:
    query = select(users).where(*where).order_by(users.c.username_ci).limit(n)
    if after is not None:
        query = query.where(users.c.username_ci > after)
    return list(conn.execute(query).all())


_FOLDED = ("username", "email", "firstname", "lastname")


def _ci(values: dict[str, Any]) -> dict[str, str]:
    """The lower-cased copies (``*_ci`` columns) of the searchable fields among ``values``."""
    return {f"{k}_ci": str(values[k]).lower() for k in _FOLDED if k in values}


def _refuse_taken(
    conn: Connection, username: str | None, email: str | None, own_id: str | None = None
) -> None:
    """Conflict naming the field when another user already has this username or email."""
    wanted = {"username": username, "email": email}
    given = {k: v for k, v in wanted.items() if v is not None}
    if not given:
        return
    query = select(users.c.username, users.c.username_ci, users.c.email_ci).where(
        or_(*(users.c[f"{k}_ci"] == v.lower() for k, v in given.items()))
    )
    if own_id is not None:
        query = query.where(users.c.id != own_id)
    holders = conn.execute(query.limit(2)).all()
    for field, value in given.items():
        for holder in holders:
            if getattr(holder, f"{field}_ci") == value.lower():
                raise Conflict(_taken(field, value, holder.username))


def _taken(field: str, value: str, holder: str | None = None) -> str:
    if field == "username":
        return f"The username '{value}' is already taken"
    owner = f" by user '{holder}'" if holder else ""
    return f"The email '{value}' is already used{owner}"


def _conflict(exc: IntegrityError, username: str | None, email: str | None) -> Conflict:
    """A unique violation that slipped past the pre-check (a concurrent insert)."""
    text = str(exc.orig)
    if "email_ci" in text and email is not None:
        return Conflict(_taken("email", email))
    if username is not None:
        return Conflict(_taken("username", username))
    return Conflict("The user collides with an existing user")
