"""The provisioning log: written by the engine's writer, read over the REST API and the CLI.

Entries are written with ``write_log`` (what the engine calls) on the session database, then
read over real HTTP (``/api/v1/applications/{ref}/log``) and with the `scimhub log` script.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from scimhub.config import Settings
from scimhub.hub import Hub, build_hub
from scimhub.provisioning.log import MAX_TEXT, LogEntry, ProvisioningLog, write_log
from scimhub.storage import migrate
from scimhub.storage.provisioning_tables import provisioning_log
from scimhub.storage.transactions import write_tx

from .cli_support import Cli, fresh_database
from .conftest import unique

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
PARIS = timezone(timedelta(hours=1))


def entry(app_id: str, minute: int, username: str | None = "ann", **fields: object) -> LogEntry:
    values: dict = {
        "action": "update",
        "status": "ok",
        "summary": f"PATCH /Users/r-{minute}: replace title",
        "http_status": 200,
    } | fields
    return LogEntry(
        at=T0 + timedelta(minutes=minute),
        app_id=app_id,
        user_id=None if username is None else f"id-{username.lower()}",
        username=username,
        **values,
    )


def written(hub: Hub, *entries: LogEntry) -> None:
    with write_tx(hub.engine) as conn:
        write_log(conn, entries)


def new_app(hub: Hub) -> str:
    return hub.applications.create(catalog_key="profitco", label=unique("Log ")).id


def minutes(listed: list[dict]) -> list[int]:
    """When each entry was written, in minutes after T0."""
    return [(datetime.fromisoformat(e["at"]) - T0) // timedelta(minutes=1) for e in listed]


def items(response: httpx.Response) -> list[dict]:
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"items", "next_cursor"}
    return response.json()["items"]


@pytest.fixture
def app_id(hub: Hub) -> str:
    """An application with five entries: ann (create, update, retry), bob (error), and one
    step without a user (the application's quarantine)."""
    app = new_app(hub)
    written(
        hub,
        entry(app, 1, action="create", http_status=201),
        entry(app, 2, "Bob", status="error", http_status=400, message="title: too long"),
        entry(app, 3, "ANN", status="retry", http_status=503, elapsed_ms=30),
        entry(app, 4, None, action="quarantine", status="stopped", http_status=401),
        entry(app, 5, "ann", action="update"),
    )
    return app


# --- reading over the API ---------------------------------------------------------------------


def test_entries_are_listed_newest_first_with_every_field(api, app_id):
    listed = items(api.get(f"/applications/{app_id}/log"))
    assert minutes(listed) == [5, 4, 3, 2, 1]
    assert listed[0]["summary"] == "PATCH /Users/r-5: replace title"
    bob = listed[3]
    assert bob["username"] == "Bob" and bob["user_id"] == "id-bob"
    assert (bob["action"], bob["status"], bob["http_status"]) == ("update", "error", 400)
    assert bob["message"] == "title: too long" and bob["elapsed_ms"] is None
    assert datetime.fromisoformat(bob["at"]) == T0 + timedelta(minutes=2)
    assert listed[2]["elapsed_ms"] == 30 and listed[1]["username"] is None
    assert listed[0]["id"] > listed[1]["id"]


def test_entries_of_other_applications_are_not_listed(api, hub, app_id):
    other = new_app(hub)
    written(hub, entry(other, 9, action="delete"))
    assert [e["action"] for e in items(api.get(f"/applications/{other}/log"))] == ["delete"]
    assert "delete" not in [e["action"] for e in items(api.get(f"/applications/{app_id}/log"))]


def test_an_application_is_named_by_its_label_too(api, hub, app_id):
    label = hub.applications.get(app_id).label
    assert len(items(api.get(f"/applications/{label.upper()}/log"))) == 5


def test_the_user_filter_is_the_username_in_any_case(api, app_id):
    for spelled in ("ann", "ANN", "Ann"):
        listed = items(api.get(f"/applications/{app_id}/log", params={"user": spelled}))
        assert minutes(listed) == [5, 3, 1]
    assert items(api.get(f"/applications/{app_id}/log", params={"user": "an"})) == []


def test_status_and_action_filters_combine(api, app_id):
    log = f"/applications/{app_id}/log"
    assert [e["username"] for e in items(api.get(log, params={"status": "error"}))] == ["Bob"]
    assert len(items(api.get(log, params={"action": "update"}))) == 3
    both = items(api.get(log, params={"action": "update", "status": "ok", "user": "ANN"}))
    assert minutes(both) == [5]
    assert items(api.get(log, params={"action": "create", "status": "error"})) == []


def test_pages_follow_the_cursor_without_skipping_or_repeating(api, hub, app_id):
    log, seen, after = f"/applications/{app_id}/log", [], None
    while True:
        response = api.get(log, params={"limit": 2} | ({"after": after} if after else {}))
        page = items(response)
        assert len(page) <= 2
        seen += [e["id"] for e in page]
        after = response.json()["next_cursor"]
        if after is None:
            break
    assert seen == sorted(seen, reverse=True) and len(set(seen)) == 5


def test_an_entry_written_after_the_first_page_does_not_shift_the_next(api, hub, app_id):
    log = f"/applications/{app_id}/log"
    first = api.get(log, params={"limit": 2}).json()
    written(hub, entry(app_id, 6, action="deactivate"))
    rest = items(api.get(log, params={"limit": 10, "after": first["next_cursor"]}))
    assert [e["id"] for e in rest] == sorted(e["id"] for e in rest)[::-1]
    assert len(rest) == 3 and {e["id"] for e in rest}.isdisjoint(e["id"] for e in first["items"])


def test_an_unknown_application_is_404(api):
    response = api.get("/applications/no-such-app/log")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"status": "failed"}, "ok, error, retry, stopped, planned"),
        ({"action": "provision"}, "lookup, create, link, update"),
        ({"after": "not-a-cursor"}, "cursor is not valid"),
        ({"after": "WyJ4Il0"}, "cursor is not valid"),  # a well-formed cursor naming no id
    ],
)
def test_unknown_filter_values_and_forged_cursors_are_422(api, app_id, params, named):
    response = api.get(f"/applications/{app_id}/log", params=params)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid"
    assert named in response.json()["detail"]


def test_the_log_needs_an_api_key(hub_server, app_id):
    response = httpx.get(f"{hub_server.url}/api/v1/applications/{app_id}/log")
    assert response.status_code == 401


# --- the writer -------------------------------------------------------------------------------


def test_long_summaries_and_messages_are_cut_and_an_empty_write_is_a_no_op(hub):
    app = new_app(hub)
    written(hub)
    written(hub, entry(app, 1, summary="S" * 5000, message="M" * 5000))
    (stored,) = ProvisioningLog(hub.engine).list(app).items
    assert stored.summary == "S" * MAX_TEXT and stored.message == "M" * MAX_TEXT


def test_an_unknown_action_or_status_is_refused_and_nothing_is_written(hub):
    app = new_app(hub)
    with pytest.raises(ValueError, match="'explode'"):
        written(hub, entry(app, 1), entry(app, 2, action="explode"))
    assert ProvisioningLog(hub.engine).list(app).items == []


def test_a_dry_run_step_is_accepted_as_planned(hub):
    app = new_app(hub)
    written(hub, entry(app, 1, action="create", status="planned", http_status=None))
    assert ProvisioningLog(hub.engine).list(app, status="planned").items[0].action == "create"


# --- pruning ----------------------------------------------------------------------------------


def count(hub: Hub, app_id: str) -> int:
    with hub.engine.connect() as conn:
        query = select(func.count()).where(provisioning_log.c.app_id == app_id)
        return int(conn.execute(query).scalar_one())


def test_prune_deletes_older_entries_in_batches_and_keeps_the_rest(hub):
    app = new_app(hub)
    written(hub, *(entry(app, m) for m in range(7)))
    log = ProvisioningLog(hub.engine)
    assert log.prune(T0 + timedelta(minutes=5), batch=2) >= 5  # other tests' entries are older
    assert [e.at for e in log.list(app).items] == [T0 + timedelta(minutes=m) for m in (6, 5)]
    assert log.prune(T0 + timedelta(minutes=5)) == 0


def test_times_in_any_offset_are_the_same_instant(hub):
    app = new_app(hub)
    later = T0 + timedelta(days=400)
    written(hub, replace(entry(app, 0), at=later.astimezone(PARIS)))  # 13:00+01:00 is 12:00Z
    log = ProvisioningLog(hub.engine)
    assert log.list(app).items[0].at == later
    log.prune(later.astimezone(PARIS))
    assert count(hub, app) == 1
    log.prune((later + timedelta(seconds=1)).astimezone(PARIS))
    assert count(hub, app) == 0


# --- the CLI ----------------------------------------------------------------------------------


@contextmanager
def cli_with_hub(backend: str, tmp_path: Path) -> Iterator[tuple[Cli, Hub]]:
    """The `scimhub` script on a fresh database, and the hub's services on the same one."""
    with fresh_database(backend, tmp_path) as database:
        engine = database.engine()
        migrate.upgrade(engine)
        settings = Settings(data_dir=database.data_dir, database_url=database.url)
        yield Cli(database), build_hub(settings, engine)
        engine.dispose()


@pytest.fixture
def cli_hub(backend: str, tmp_path: Path) -> Iterator[tuple[Cli, Hub]]:
    with cli_with_hub(backend, tmp_path) as pair:
        yield pair


def test_scimhub_log_prints_a_table_newest_first_with_filters(cli_hub):
    cli, hub = cli_hub
    app = hub.applications.create(catalog_key="profitco", label="OKR")
    written(
        hub,
        entry(app.id, 1, action="create", http_status=201),
        entry(app.id, 2, "Bob", status="error", http_status=400, message="bad\nline\x1b[31m"),
    )
    header, bob, ann = cli("log", "--app", "okr").stdout.splitlines()
    assert header.split() == ["TIME", "USER", "ACTION", "STATUS", "HTTP", "SUMMARY", "MESSAGE"]
    assert bob.split()[:6] == ["2030-01-01", "12:02:00", "Bob", "update", "error", "400"]
    assert bob.endswith("replace title  bad line [31m")  # one line, no escape sequence
    assert ann.split()[2:6] == ["ann", "create", "ok", "201"] and ann.endswith("  -")
    only_bob = cli("log", "--app", app.id, "--user", "BOB", "--status", "error").stdout
    assert len(only_bob.splitlines()) == 2 and "Bob" in only_bob


def test_scimhub_log_pages_and_json(cli_hub):
    cli, hub = cli_hub
    app = hub.applications.create(catalog_key="scim2", label="Paged")
    written(hub, *(entry(app.id, m) for m in range(3)))
    first = cli("log", "--app", "Paged", "--limit", "2").stdout.splitlines()
    assert len(first) == 4 and first[-1].startswith("next page: --after ")
    cursor = first[-1].removeprefix("next page: --after ")
    rest = cli.json("log", "--app", "Paged", "--limit", "2", "--after", cursor)
    assert rest["next_cursor"] is None
    assert [e["at"][:19] for e in rest["items"]] == ["2030-01-01T12:00:00"]


def test_scimhub_log_reports_a_bad_filter_and_an_unknown_app(cli_hub):
    cli, hub = cli_hub
    hub.applications.create(catalog_key="scim2", label="Quiet")
    assert cli("log", "--app", "Quiet").stderr == "No log entries match.\n"
    bad = cli("log", "--app", "Quiet", "--status", "bad", code=1).stderr
    assert bad.startswith("error: Unknown status 'bad': choose one of ok, error")
    missing = cli("log", "--app", "nope", code=1).stderr
    assert missing == "error: No application with id or label 'nope'\n"
