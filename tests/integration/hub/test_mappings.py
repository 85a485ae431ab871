"""Editing an application's attribute mapping: the service, the REST API over real HTTP, and
the `scimhub apps mapping` script, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Connection, select

from scimhub.applications.catalog import ENTERPRISE_DEPARTMENT, PROFITCO, Mapping
from scimhub.applications.mapping_rules import mapping_to_json
from scimhub.applications.mappings import Mappings
from scimhub.hub import Hub
from scimhub.problems import Invalid, NotFound
from scimhub.storage.hub_tables import idm_integrations

from .cli_support import Cli
from .conftest import unique
from .test_provisioning_log import cli_with_hub

DIVISION = ENTERPRISE_DEPARTMENT.removesuffix("department") + "division"
DEFAULT = mapping_to_json(PROFITCO.mapping)
#: Profit.co's default with the department sent as the enterprise division, and no title.
EDITED = [
    {"source": "username", "target": "userName", "note": "an email", "primary": False},
    {"source": "email", "target": 'emails[type eq "work"].value', "note": "", "primary": True},
    {"source": "firstname", "target": "name.givenName", "note": "", "primary": False},
    {"source": "lastname", "target": "name.familyName", "note": "", "primary": False},
    {"source": "state", "target": "active", "note": "", "primary": False},
    {"source": "department", "target": DIVISION, "note": "", "primary": False},
]


@dataclass
class RecordingSink:
    """Stands where the engine's ScopeSink plugs in: records each call and whether it came
    inside the writer's transaction; ``fail`` makes it raise, as a failing engine would."""

    calls: list[tuple[str, bool]] = field(default_factory=list)
    fail: bool = False

    def bindings_changed(self, conn: Connection, app_id: str, group_ids: Collection[str]) -> None:
        raise AssertionError("a mapping change is not a binding change")

    def integration_changed(
        self, conn: Connection, app_id: str, *, activated: bool = False
    ) -> None:
        self.calls.append((app_id, conn.in_transaction()))
        if self.fail:
            raise RuntimeError("the engine could not mark the links")


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


@pytest.fixture
def mappings(hub: Hub, sink: RecordingSink) -> Mappings:
    return Mappings(hub.engine, sink)


@pytest.fixture
def app_id(hub: Hub) -> str:
    return hub.applications.create(catalog_key="profitco", label=unique("Mapped ")).id


def stored(hub: Hub, app_id: str) -> tuple[object, object]:
    """The stored mapping column and the IdM row's ``updated``."""
    with hub.engine.connect() as conn:
        query = select(idm_integrations.c.mapping, idm_integrations.c.updated)
        row = conn.execute(query.where(idm_integrations.c.app_id == app_id)).one()
    return row.mapping, row.updated


def edited() -> tuple[Mapping, ...]:
    return tuple(Mapping(**e) for e in EDITED)


# --- the service ------------------------------------------------------------------------------


def test_a_new_application_uses_its_catalog_default(mappings, app_id):
    view = mappings.get(app_id)
    assert (view.app_id, view.catalog_key, view.is_default) == (app_id, "profitco", True)
    assert view.entries == PROFITCO.mapping


def test_setting_a_mapping_stores_it_and_tells_provisioning_in_the_transaction(
    hub, mappings, sink, app_id
):
    view = mappings.set(app_id, edited())
    assert view.entries == edited() and not view.is_default
    assert mappings.get(app_id) == view
    assert stored(hub, app_id)[0] == EDITED
    assert sink.calls == [(app_id, True)]


def test_setting_the_same_mapping_again_writes_nothing_and_marks_nothing(
    hub, mappings, sink, app_id
):
    mappings.set(app_id, edited())
    before = stored(hub, app_id)
    assert mappings.set(app_id, edited()) == mappings.get(app_id)
    assert stored(hub, app_id) == before
    assert len(sink.calls) == 1


def test_setting_the_default_keeps_following_the_catalog(hub, mappings, sink, app_id):
    assert mappings.set(app_id, PROFITCO.mapping).is_default
    assert stored(hub, app_id)[0] is None and sink.calls == []
    mappings.set(app_id, edited())
    assert mappings.set(app_id, PROFITCO.mapping).is_default
    assert stored(hub, app_id)[0] is None and len(sink.calls) == 2


def test_reset_goes_back_to_the_default_once(hub, mappings, sink, app_id):
    mappings.set(app_id, edited())
    view = mappings.reset(app_id)
    assert view.is_default and view.entries == PROFITCO.mapping
    assert stored(hub, app_id)[0] is None
    before = stored(hub, app_id)
    mappings.reset(app_id)
    assert stored(hub, app_id) == before and len(sink.calls) == 2


def test_a_failing_sink_leaves_the_mapping_as_it_was(hub, mappings, sink, app_id):
    sink.fail = True
    with pytest.raises(RuntimeError):
        mappings.set(app_id, edited())
    assert mappings.get(app_id).is_default and stored(hub, app_id)[0] is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            {"source": "jobTitle", "target": 'roles[type eq "admin"].value'},
            "entry 7: 'roles[type eq \"admin\"].value' is never sent to an application",
        ),
        (
            {"source": "lastname", "target": f"{DIVISION.removesuffix('division')}manager.value"},
            "entry 7: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value'"
            " is never sent",
        ),
        ({"source": "nickname", "target": "nickName"}, "entry 7: unknown source 'nickname'"),
    ],
)
def test_a_mapping_sending_roles_or_manager_or_an_unknown_source_is_refused(
    mappings, sink, app_id, change, reason
):
    with pytest.raises(Invalid) as refused:
        mappings.set(app_id, (*edited(), Mapping(**change)))
    assert reason in refused.value.detail
    assert mappings.get(app_id).is_default and sink.calls == []


def test_a_mapping_without_username_is_refused(mappings, app_id):
    with pytest.raises(Invalid, match="'userName' must be mapped"):
        mappings.set(app_id, edited()[1:])


def test_an_unknown_application_is_not_found(mappings):
    for call in (mappings.get, mappings.reset, lambda ref: mappings.set(ref, edited())):
        with pytest.raises(NotFound):
            call("no-such-application")


# --- the REST API -----------------------------------------------------------------------------


def test_api_shows_sets_and_resets_the_mapping(api, app_id):
    url = f"/applications/{app_id}/mapping"
    shown = api.get(url).json()
    assert shown == {
        "app_id": app_id,
        "catalog_key": "profitco",
        "is_default": True,
        "entries": DEFAULT,
    }
    put = api.put(url, json={"entries": [{k: v for k, v in e.items() if v} for e in EDITED]})
    assert put.status_code == 200, put.text
    assert put.json()["entries"] == EDITED and put.json()["is_default"] is False
    assert api.get(url).json() == put.json()
    reset = api.delete(url)
    assert reset.status_code == 200 and reset.json() == shown


def test_api_refuses_an_invalid_mapping_with_every_reason(api, app_id):
    url = f"/applications/{app_id}/mapping"
    entries = [*EDITED[1:], {"source": "jobTitle", "target": 'roles[type eq "x"].value'}]
    response = api.put(url, json={"entries": entries})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "invalid"
    assert "'userName' must be mapped" in body["detail"]
    assert "is never sent to an application" in body["detail"]
    assert len(body["errors"]) == 2
    assert api.get(url).json()["is_default"] is True


@pytest.mark.parametrize(
    "body",
    [
        {"entries": [{"source": "username", "target": "userName", "extra": 1}]},
        {"entries": [{"source": "username"}]},
        {"entries": [{"source": "username", "target": "userName", "primary": "yes"}]},
        {"entries": [{"source": "username", "target": "user\u001bName"}]},
        {"mapping": []},
    ],
)
def test_api_refuses_malformed_bodies_with_422(api, app_id, body):
    response = api.put(f"/applications/{app_id}/mapping", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid"


def test_api_mapping_of_an_unknown_application_is_404(api):
    for method in ("GET", "DELETE"):
        assert api.request(method, "/applications/nope/mapping").status_code == 404
    put = api.put("/applications/nope/mapping", json={"entries": EDITED})
    assert put.status_code == 404


# --- the CLI ----------------------------------------------------------------------------------


@pytest.fixture
def cli_hub(backend: str, tmp_path: Path) -> Iterator[tuple[Cli, Hub]]:
    with cli_with_hub(backend, tmp_path) as pair:
        yield pair


def test_apps_mapping_show_set_from_a_file_and_from_stdin_and_reset(cli_hub, tmp_path):
    cli, hub = cli_hub
    app = hub.applications.create(catalog_key="profitco", label="OKR")
    shown = cli("apps", "mapping", "show", "okr").stdout.splitlines()
    assert shown[:3] == [
        "connector : profitco",
        "mapping   : the catalog's default",
        "SOURCE\tTARGET\tPRIMARY\tNOTE",
    ]
    assert shown[4] == 'email\temails[type eq "work"].value\tyes\tprimary'
    exported = cli.json("apps", "mapping", "show", app.id)
    assert exported["is_default"] is True and exported["entries"] == DEFAULT

    exported["entries"] = EDITED
    path = tmp_path / "mapping.json"
    path.write_text(json.dumps(exported))
    saved = cli("apps", "mapping", "set", "OKR", "--file", str(path)).stdout
    assert saved.startswith("Saved the mapping.\n") and "edited for this application" in saved
    assert hub.mappings.get(app.id).entries == edited()
    again = cli("apps", "mapping", "set", "OKR", "--file", "-", input=json.dumps(EDITED))
    assert again.stdout.startswith("The mapping is unchanged.\n")

    reset = cli("apps", "mapping", "reset", app.id).stdout
    assert reset == "The application uses the default mapping of 'profitco'.\n"
    assert hub.mappings.get(app.id).is_default


def test_apps_mapping_set_refuses_a_bad_file_and_changes_nothing(cli_hub):
    cli, hub = cli_hub
    app = hub.applications.create(catalog_key="scim2", label="Generic")
    manager = {"source": "lastname", "target": "manager"}
    refused = cli(
        "apps", "mapping", "set", app.id, "--file", "-", input=json.dumps([manager]), code=1
    ).stderr
    assert refused.startswith("error: The mapping is not valid: entry 1: 'manager' is never sent")
    assert "'userName' must be mapped" in refused
    not_json = cli("apps", "mapping", "set", app.id, "--file", "-", input="{", code=1)
    assert not_json.stderr == "error: The mapping file is not JSON\n"
    assert hub.mappings.get(app.id).is_default
