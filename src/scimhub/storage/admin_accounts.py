"""Admin accounts of the web UI: usernames and argon2id password hashes.

`scimhub admin create` makes them (DESIGN.md "Secrets": admin passwords are hashed with
argon2). Signing in checks the password in constant time whatever the username (an unknown
name is checked against a dummy hash, so timing does not tell which names exist), and
repeated failures slow the next attempts down: after ``FREE_FAILURES`` failed sign-ins in a
row, each attempt waits twice as long as the last (1 s, 2 s, 4 s ... up to 5 minutes),
counted from the last failure, and is refused before any password is checked.
"""

from __future__ import annotations

import builtins
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, Row, Select, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from scimhub.problems import Conflict, Invalid, NotFound, Throttled

from .hub_tables import admin_accounts as accounts
from .resources import now_utc
from .transactions import read_tx, write_tx

__all__ = [
    "FREE_FAILURES",
    "MIN_PASSWORD_LENGTH",
    "AdminAccount",
    "AdminAccounts",
    "SignInFailed",
]

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
FREE_FAILURES = 5
MAX_WAIT_SECONDS = 300.0
_USERNAME = re.compile(r"[A-Za-z0-9._@+-]{1,128}\Z")


@dataclass(frozen=True, slots=True)
class AdminAccount:
    id: str
    username: str
    created: datetime
    password_changed: datetime
    last_sign_in: datetime | None
    failures: int


class SignInFailed(Invalid):
    """Wrong username or password: one message for both, so names cannot be probed."""

    status = 401
    code = "sign_in_failed"

    def __init__(self) -> None:
        super().__init__("Wrong username or password")


class AdminAccounts:
    def __init__(self, engine: Engine, hasher: PasswordHasher | None = None) -> None:
        self.engine = engine
        self.hasher = hasher or PasswordHasher()
        self._dummy = self.hasher.hash("not a password of anyone")

    def create(self, username: str, password: str) -> AdminAccount:
        """A new admin; Conflict if the username (any case) is taken."""
        name, hashed, now = _checked_username(username), self._hash(password), now_utc()
        row: dict[str, Any] = {"id": str(uuid.uuid4()), "username": name}
        row["username_ci"] = name.lower()
        row |= {"password_hash": hashed, "created": now, "password_changed": now}
        try:
            with write_tx(self.engine) as conn:
                conn.execute(insert(accounts).values(**row, failures=0))
        except IntegrityError:
            raise Conflict(f"An admin named '{name}' already exists") from None
        return self.get(name)

    def get(self, username: str) -> AdminAccount:
        with read_tx(self.engine) as conn:
            row = conn.execute(_by_name(username)).first()
        if row is None:
            raise NotFound(f"No admin named '{username}'")
        return _account(row)

    def list(self) -> builtins.list[AdminAccount]:
        with read_tx(self.engine) as conn:
            rows = conn.execute(select(accounts).order_by(accounts.c.username_ci)).all()
        return [_account(r) for r in rows]

    def set_password(self, username: str, password: str) -> AdminAccount:
        """A new password; it also clears the failed sign-ins."""
        hashed = self._hash(password)
        with write_tx(self.engine) as conn:
            found = conn.execute(
                update(accounts)
                .where(accounts.c.username_ci == username.strip().lower())
                .values(password_hash=hashed, password_changed=now_utc(), failures=0)
            )
        if found.rowcount == 0:
            raise NotFound(f"No admin named '{username}'")
        return self.get(username)

    def delete(self, username: str) -> AdminAccount:
        account = self.get(username)
        with write_tx(self.engine) as conn:
            conn.execute(delete(accounts).where(accounts.c.id == account.id))
        return account

    def sign_in(self, username: str, password: str) -> AdminAccount:
        """The account if the password is right; SignInFailed otherwise; Throttled while
        the account must wait after repeated failures (no password is checked then)."""
        with read_tx(self.engine) as conn:
            row = conn.execute(_by_name(username)).first()
        if row is None:
            self._verify(self._dummy, password)  # the same work as for a real name
            raise SignInFailed()
        _refuse_while_waiting(row, now_utc())
        if not self._verify(row.password_hash, password):
            self._failed(row.id)
            raise SignInFailed()
        return self._succeeded(row, password)

    # --- internals ----------------------------------------------------------------------

    def _hash(self, password: str) -> str:
        if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
            raise Invalid(
                f"The password must have {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters"
            )
        return self.hasher.hash(password)

    def _verify(self, hashed: str, password: str) -> bool:
        try:
            return self.hasher.verify(hashed, password)
        except (VerificationError, InvalidHashError):
            return False

    def _failed(self, account_id: str) -> None:
        with write_tx(self.engine) as conn:
            conn.execute(
                update(accounts)
                .where(accounts.c.id == account_id)
                .values(failures=accounts.c.failures + 1, last_failure=now_utc())
            )

    def _succeeded(self, row: Row[Any], password: str) -> AdminAccount:
        values: dict[str, object] = {"failures": 0, "last_sign_in": now_utc()}
        if self.hasher.check_needs_rehash(row.password_hash):  # stronger parameters since
            values["password_hash"] = self.hasher.hash(password)
        with write_tx(self.engine) as conn:
            conn.execute(update(accounts).where(accounts.c.id == row.id).values(**values))
        return self.get(row.username)


def wait_after(failures: int) -> float:
    """Seconds an account waits after ``failures`` failed sign-ins in a row."""
    if failures < FREE_FAILURES:
        return 0.0
    return min(MAX_WAIT_SECONDS, 2.0 ** (failures - FREE_FAILURES))


def _refuse_while_waiting(row: Row[Any], now: datetime) -> None:
    wait = wait_after(int(row.failures))
    if not wait or row.last_failure is None:
        return
    left = (row.last_failure + timedelta(seconds=wait) - now).total_seconds()
    if left > 0:
        raise Throttled(f"Too many failed sign-ins; try again in {left:.0f} s", retry_after=left)


def _checked_username(username: str) -> str:
    name = username.strip()
    if not _USERNAME.match(name):
        raise Invalid("An admin username has 1 to 128 letters, digits or . _ @ + - (no spaces)")
    return name


def _by_name(username: str) -> Select[Any]:
    return select(accounts).where(accounts.c.username_ci == username.strip().lower())


def _account(row: Row[Any]) -> AdminAccount:
    return AdminAccount(
        row.id,
        row.username,
        row.created,
        row.password_changed,
        row.last_sign_in,
        row.failures,
    )
