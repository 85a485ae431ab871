"""`scimhub users` and `scimhub groups`: the real console script on a fresh database.

Each test runs on SQLite (a fresh data directory) and on PostgreSQL (a fresh schema); see
``cli_support``. Each subprocess costs about 0.7 s, so each test walks a whole workflow.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .cli_support import Cli, fresh_database


@pytest.fixture
def cli(backend: str, tmp_path: Path) -> Iterator[Cli]:
    """The console script on a fresh database (the hub commands migrate it first)."""
    with fresh_database(backend, tmp_path) as database:
        yield Cli(database)


def table(stdout: str) -> list[dict[str, str]]:
    header, *rows = [line for line in stdout.splitlines() if "\t" in line]
    names = header.lower().split("\t")
    return [dict(zip(names, row.split("\t"), strict=True)) for row in rows]


def test_users_add_list_show_edit_suspend_activate_and_delete(cli):
    out = cli(
        "users",
        "add",
        "ann",
        "--email",
        "Ann@Example.com",
        "--firstname",
        "Ann",
        "--job-title",
        "Dev",
        "--state",
        "staged",
    ).stdout
    assert "Created user 'ann' (STAGED)" in out
    cli("users", "add", "bob", "--email", "bob@example.com", "--lastname", "Lee")

    first = cli("users", "list", "--limit", "1").stdout
    assert [r["username"] for r in table(first)] == ["ann"]
    cursor = first.splitlines()[-1].removeprefix("next page: --after ")
    second = cli("users", "list", "--limit", "1", "--after", cursor).stdout
    assert [(r["username"], r["lastname"]) for r in table(second)] == [("bob", "Lee")]
    assert "next page" not in second
    staged = cli.json("users", "list", "--state", "STAGED", "--search", "AN")
    assert [u["username"] for u in staged["items"]] == ["ann"]

    refused = cli("users", "suspend", "ann", code=1)
    assert "error: User 'ann' is STAGED" in refused.stderr
    assert "is ACTIVATED" in cli("users", "activate", "ann").stdout
    assert "is SUSPENDED" in cli("users", "suspend", "ANN").stdout
    cli("users", "edit", "ann", "--department", "R&D", "--email", "ann@example.org")
    shown = cli.json("users", "show", "ann")
    assert (shown["email"], shown["department"], shown["job_title"]) == (
        "ann@example.org",
        "R&D",
        "Dev",
    )
    assert (shown["state"], shown["groups"]) == ("SUSPENDED", [])
    assert "department : R&D" in cli("users", "show", shown["id"]).stdout
    assert (
        "already used by user 'ann'"
        in cli("users", "edit", "bob", "--email", "ANN@example.org", code=1).stderr
    )
    assert cli("users", "edit", "bob", code=2).stderr.count("at least one attribute") == 1

    assert "Aborted" in cli("users", "delete", "bob", input="n\n", code=1).stderr
    assert "Deleted user 'bob'" in cli("users", "delete", "bob", input="y\n").stdout
    assert "No user with id or username 'bob'" in cli("users", "show", "bob", code=1).stderr
    assert "Invalid email 'nope'" in cli("users", "add", "cy", "--email", "nope", code=1).stderr


def test_groups_add_list_show_members_and_delete(cli):
    for name in ("ann", "bob"):
        cli("users", "add", name, "--email", f"{name}@example.com")
    assert (
        "Created group 'Engineering'"
        in cli("groups", "add", "Engineering", "--description", "Builds").stdout
    )
    assert "already exists" in cli("groups", "add", "engineering", code=1).stderr

    unknown = cli("groups", "members", "add", "engineering", "ann", "ghost", "phantom", code=1)
    assert "'ghost', 'phantom'" in unknown.stderr
    added = cli("groups", "members", "add", "engineering", "ann", "bob").stdout
    assert "Added: ann, bob" in added
    again = cli("groups", "members", "add", "engineering", "ann").stdout
    assert "Unchanged (already members): ann" in again

    (row,) = table(cli("groups", "list").stdout)
    assert (row["name"], row["members"], row["description"]) == ("Engineering", "2", "Builds")
    shown = cli("groups", "show", "ENGINEERING").stdout
    assert "members     : 2" in shown
    assert [r["username"] for r in table(shown)] == ["ann", "bob"]
    assert cli.json("users", "show", "ann")["groups"][0]["name"] == "Engineering"

    removed = cli("groups", "members", "remove", "engineering", "ann", "bob").stdout
    assert "Removed: ann, bob" in removed
    assert cli.json("groups", "show", "engineering")["members"] == []
    assert "applications: none bound" in cli("groups", "show", "engineering").stdout

    edited = cli("groups", "edit", "engineering", "--name", "Eng", "--description", "R&D")
    assert "Updated group 'Eng'" in edited.stdout
    assert cli.json("groups", "show", "eng")["description"] == "R&D"
    assert (
        "Updated group 'Engineering'"
        in cli("groups", "edit", "eng", "--name", "Engineering").stdout
    )

    assert "Deleted group 'Engineering'" in cli("groups", "delete", "engineering", "--yes").stdout
    assert "No group" in cli("groups", "show", "engineering", code=1).stderr


def test_users_import_reports_bad_rows_exits_3_and_imports_the_rest(cli, tmp_path):
    csv = tmp_path / "people.csv"
    csv.write_text(
        "\ufeffusername,email,first_name,lastname,department,jobTitle\n"
        "ann,ann@example.com,Ann,Lee,R&D,Dev\n"
        "bad name,bad@example.com,,,,\n"
        "cy,not-an-email,,,,\n"
        "dee,dee@example.com,Dee,,,\n",
        encoding="utf-8",
    )
    proc = cli("users", "import", str(csv), code=3)
    assert proc.stdout.strip() == "2 created, 2 failed"
    assert "line 3 (bad name): Invalid username" in proc.stderr
    assert "line 4 (cy): Invalid email 'not-an-email'" in proc.stderr
    assert [u["username"] for u in cli.json("users", "list")["items"]] == ["ann", "dee"]

    clean = tmp_path / "clean.csv"
    clean.write_text("username,email\neve,eve@example.com\n", encoding="utf-8")
    assert cli("users", "import", str(clean), "--state", "STAGED").stdout.strip() == (
        "1 created, 0 failed"
    )
    assert cli.json("users", "show", "eve")["state"] == "STAGED"


def test_users_import_of_a_file_without_required_columns_exits_1_writing_nothing(cli, tmp_path):
    csv = tmp_path / "people.csv"
    csv.write_text("username,firstname\nann,Ann\n", encoding="utf-8")
    proc = cli("users", "import", str(csv), code=1)
    assert "error: Missing required column(s) email" in proc.stderr
    assert cli.json("users", "list")["items"] == []
