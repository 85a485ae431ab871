"""Admin accounts of the web UI: argon2id hashes, one answer for wrong names and wrong
passwords, failed sign-ins slowing the next attempts down; `scimhub admin`, both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from scimhub.hub import Hub
from scimhub.problems import Conflict, Invalid, NotFound, Throttled
from scimhub.storage.admin_accounts import FREE_FAILURES, SignInFailed, wait_after
from scimhub.storage.hub_tables import admin_accounts
from scimhub.storage.resources import now_utc
from scimhub.storage.transactions import write_tx

from .cli_support import Cli, fresh_database
from .conftest import unique

PASSWORD = "correct horse battery staple"


def test_an_admin_is_stored_with_an_argon2id_hash_never_the_password(hub: Hub) -> None:
    name = unique("admin")
    account = hub.admins.create(name, PASSWORD)
    assert account.username == name and account.last_sign_in is None
    with hub.engine.connect() as conn:
        stored = conn.execute(
            select(admin_accounts.c.password_hash).where(admin_accounts.c.id == account.id)
        ).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_the_right_password_signs_in_and_is_remembered(hub: Hub) -> None:
    name = unique("admin")
    hub.admins.create(name, PASSWORD)
    signed = hub.admins.sign_in(name.upper(), PASSWORD)
    assert signed.username == name and signed.last_sign_in is not None


@pytest.mark.parametrize("who", ["wrong password", "unknown name"])
def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(hub: Hub, who: str) -> None:
    name = unique("admin")
    hub.admins.create(name, PASSWORD)
    with pytest.raises(SignInFailed, match="Wrong username or password") as caught:
        if who == "unknown name":
            hub.admins.sign_in(unique("nobody"), PASSWORD)
        else:
            hub.admins.sign_in(name, PASSWORD + "!")
    assert caught.value.status == 401


def test_repeated_failures_slow_the_next_attempts_down(hub: Hub) -> None:
    name = unique("admin")
    hub.admins.create(name, PASSWORD)
    for _ in range(FREE_FAILURES):
        with pytest.raises(SignInFailed):
            hub.admins.sign_in(name, "not the password!")
    with pytest.raises(Throttled) as caught:  # even with the right password, for a while
        hub.admins.sign_in(name, PASSWORD)
    assert 0 < caught.value.retry_after <= wait_after(FREE_FAILURES)
    assert caught.value.status == 429
    with write_tx(hub.engine) as conn:  # the wait is over
        earlier = now_utc() - timedelta(seconds=wait_after(FREE_FAILURES) + 1)
        conn.execute(
            update(admin_accounts)
            .where(admin_accounts.c.username == name)
            .values(last_failure=earlier)
        )
    assert hub.admins.sign_in(name, PASSWORD).failures == 0


def test_the_wait_doubles_with_each_failure_up_to_five_minutes() -> None:
    waits = [wait_after(n) for n in range(FREE_FAILURES + 12)]
    assert waits[:FREE_FAILURES] == [0.0] * FREE_FAILURES
    assert waits[FREE_FAILURES : FREE_FAILURES + 4] == [1.0, 2.0, 4.0, 8.0]
    assert waits[-1] == 300.0


def test_names_passwords_and_duplicates_are_checked(hub: Hub) -> None:
    name = unique("admin")
    hub.admins.create(name, PASSWORD)
    with pytest.raises(Conflict, match="already exists"):
        hub.admins.create(name.upper(), PASSWORD)
    with pytest.raises(Invalid, match="12 to 1024 characters"):
        hub.admins.create(unique("admin"), "short")
    with pytest.raises(Invalid, match="no spaces"):
        hub.admins.create("two words", PASSWORD)
    with pytest.raises(NotFound):
        hub.admins.set_password(unique("nobody"), PASSWORD)


def test_a_new_password_replaces_the_old_one_and_clears_the_failures(hub: Hub) -> None:
    name = unique("admin")
    hub.admins.create(name, PASSWORD)
    for _ in range(FREE_FAILURES + 2):
        with pytest.raises((SignInFailed, Throttled)):
            hub.admins.sign_in(name, "not the password!")
    hub.admins.set_password(name, "a brand new passphrase")
    assert hub.admins.sign_in(name, "a brand new passphrase").username == name
    with pytest.raises(SignInFailed):
        hub.admins.sign_in(name, PASSWORD)


@pytest.fixture
def cli(backend: str, tmp_path: Path) -> Iterator[Cli]:
    with fresh_database(backend, tmp_path) as database:
        yield Cli(database)


def test_scimhub_admin_creates_lists_changes_and_deletes_admins(cli: Cli) -> None:
    created = cli("admin", "create", "root@example.com", "--password-stdin", input=PASSWORD + "\n")
    assert "Created admin 'root@example.com'" in created.stdout
    listed = cli.json("admin", "list")
    assert [(a["username"], a["last_sign_in"]) for a in listed] == [("root@example.com", None)]
    assert "hash" not in str(listed) and PASSWORD not in str(listed)
    cli("admin", "passwd", "root@example.com", "--password-stdin", input="another long one\n")
    short = cli("admin", "create", "x", "--password-stdin", input="short\n", code=1)
    assert "error: The password must have 12" in short.stderr
    taken = cli("admin", "create", "ROOT@example.com", "--password-stdin", input=PASSWORD, code=1)
    assert "already exists" in taken.stderr
    cli("admin", "delete", "root@example.com")
    assert cli.json("admin", "list") == []
