"""The engine end to end over real HTTP against the project's own provider, in both the
profitco and generic profiles and on both databases: create, update, every way of leaving
scope, reactivation, lookup-and-link, provision on demand and the dry run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, update

from conftest import LiveServer
from scimhub.applications.catalog import Mapping
from scimhub.provisioning import executor as executor_module
from scimhub.storage.hub_tables import idm_integrations
from scimhub.storage.transactions import write_tx

from .engine_support import ENTERPRISE, Bench, bench, wait_until


@pytest.fixture(params=["profitco", "generic"])
def scenario(
    request: pytest.FixtureRequest,
    backend: str,
    tmp_path: Path,
    engine: Engine,
    provider: LiveServer,
) -> Iterator[Bench]:
    with bench(backend, tmp_path, engine, provider, request.param) as made:
        yield made


def test_binding_a_group_creates_its_activated_users_with_the_mapped_attributes(
    scenario: Bench,
) -> None:
    ada = scenario.user("ada", department="R&D", job_title="Engineer", lastname="Lovelace")
    bob = scenario.user("bob")
    staged = scenario.user("stg", state="STAGED")
    scenario.group(ada, bob, staged)
    scenario.drain()
    remote = scenario.remote(ada.username)
    assert remote is not None
    assert remote["active"] is True
    assert remote["name"] == {"givenName": "Ada", "familyName": "Lovelace"} | {
        k: v for k, v in remote["name"].items() if k not in ("givenName", "familyName")
    }
    assert remote["title"] == "Engineer"
    assert remote[ENTERPRISE]["department"] == "R&D"
    assert [e["value"] for e in remote["emails"] if e.get("type") == "work"] == [ada.email]
    assert scenario.remote(bob.username) is not None
    assert scenario.remote(staged.username) is None, "STAGED users are never pushed"
    assert scenario.remote_count() == 2


def test_an_edit_sends_only_what_changed_and_nothing_when_nothing_mapped_changed(
    scenario: Bench,
) -> None:
    ada = scenario.user("ada", job_title="Engineer")
    scenario.group(ada)
    scenario.drain()
    scenario.hub.users.edit(ada.id, job_title="Lead")
    scenario.drain()
    assert scenario.remote(ada.username)["title"] == "Lead"  # type: ignore[index]
    update = [e for e in scenario.log(user=ada.username) if e.action == "update"]
    assert len(update) == 1 and update[0].status == "ok"
    assert "title" in update[0].summary and "givenName" not in update[0].summary
    assert "'Engineer' → 'Lead'" in (update[0].message or "")
    scenario.group(ada)  # a second bound group: marked dirty, nothing mapped changed
    scenario.drain()
    after = [e for e in scenario.log(user=ada.username) if e.action in ("update", "create")]
    assert len(after) == 2, "no request when nothing mapped changed"


@pytest.mark.parametrize("leave", ["remove_member", "unbind", "suspend", "delete"])
def test_every_way_of_leaving_scope_deactivates_the_remote_user(
    scenario: Bench, leave: str
) -> None:
    ada = scenario.user("ada")
    others = [scenario.user("o") for _ in range(9)]  # the guard watches shares, not one leaver
    group = scenario.group(ada, *others)
    scenario.drain()
    remote_id = scenario.remote(ada.username)["id"]  # type: ignore[index]
    if leave == "remove_member":
        scenario.hub.groups.remove_members(group, [ada.id])
    elif leave == "unbind":
        scenario.group(*others)  # the others stay in scope through another group
        scenario.hub.bindings.unbind(scenario.app, [group])
    elif leave == "suspend":
        scenario.hub.users.suspend(ada.id)
    else:
        scenario.hub.users.delete(ada.id)
    scenario.drain()
    remote = scenario.remote(ada.username)
    assert remote is not None and remote["id"] == remote_id, "deprovisioning never deletes here"
    assert remote["active"] is False
    assert all(scenario.remote(o.username)["active"] for o in others)  # type: ignore[index]
    entry = [e for e in scenario.log(user=ada.username) if e.action == "deactivate"]
    assert entry and entry[0].status == "ok" and "active" in entry[0].summary


def test_a_user_coming_back_is_reactivated_under_the_same_remote_id(scenario: Bench) -> None:
    ada = scenario.user("ada")
    scenario.group(ada, *(scenario.user("o") for _ in range(5)))
    scenario.drain()
    remote_id = scenario.remote(ada.username)["id"]  # type: ignore[index]
    scenario.hub.users.suspend(ada.id)
    scenario.drain()
    scenario.hub.users.activate(ada.id)
    scenario.drain()
    remote = scenario.remote(ada.username)
    assert remote is not None and remote["id"] == remote_id and remote["active"] is True
    assert [e.action for e in scenario.log(user=ada.username)][:1] == ["reactivate"]


def test_a_user_who_already_exists_in_the_target_is_looked_up_and_linked_not_created(
    scenario: Bench,
) -> None:
    ada = scenario.user("ada", job_title="Engineer")
    made = scenario.target.client.post(
        "/Users",
        json={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": ada.username.upper(),
            "active": False,
            "title": "Intern",
        },
    )
    assert made.status_code == 201, made.text
    scenario.group(ada, scenario.user("b"))
    scenario.drain()
    remote = scenario.remote(ada.username)
    assert remote is not None and remote["id"] == made.json()["id"]
    assert remote["title"] == "Engineer" and remote["active"] is True
    actions = [e.action for e in reversed(scenario.log(user=ada.username))]
    assert actions[:3] == ["lookup", "link", "reactivate"]
    assert "create" not in actions
    assert scenario.remote_count() == 2


def test_provision_on_demand_runs_one_user_now_and_reports_each_step(scenario: Bench) -> None:
    ada = scenario.user("ada")
    scenario.group(ada)
    seen: list[str] = []
    link = scenario.hub.provisioning.sync_user(
        scenario.app, ada.username, observer=lambda e: seen.append(f"{e.action}:{e.status}")
    )
    assert seen == ["lookup:ok", "create:ok"]
    assert link is not None and link.remote_state == "active" and link.remote_id
    assert scenario.remote(ada.username) is not None
    scenario.drain()  # the worker has nothing left to do for ada
    assert [e.action for e in scenario.log(user=ada.username)] == ["create", "lookup"]


def test_a_dry_run_prints_the_plan_and_writes_nothing(scenario: Bench) -> None:
    ada = scenario.user("ada", job_title="Engineer")
    bob = scenario.user("bob")
    group = scenario.group(ada, bob)
    scenario.drain()
    scenario.hub.users.edit(ada.id, job_title="Lead")
    carl = scenario.user("carl")
    scenario.hub.groups.add_members(group, [carl.id])
    scenario.hub.users.suspend(bob.id)
    before = len(scenario.log())
    planned: list[tuple[str, str, str]] = []
    scenario.hub.provisioning.dry_run(
        scenario.app,
        lambda e: (
            planned.append((e.username or "", e.action, e.message or ""))
            if e.action != "lookup"
            else None
        ),
    )
    by_user = {name: (action, note) for name, action, note in planned}
    assert by_user[ada.username] == ("update", "title: 'Engineer' → 'Lead'")
    assert by_user[carl.username][0] == "create"
    assert by_user[bob.username][0] == "deactivate"
    assert scenario.remote(carl.username) is None
    assert scenario.remote(ada.username)["title"] == "Engineer"  # type: ignore[index]
    assert scenario.remote(bob.username)["active"] is True  # type: ignore[index]
    assert len(scenario.log()) == before, "a dry run writes no log either"


def test_the_running_worker_propagates_a_change_within_two_seconds(scenario: Bench) -> None:
    ada = scenario.user("ada", job_title="Engineer")
    scenario.group(ada)
    scenario.start()
    wait_until(lambda: scenario.remote(ada.username), timeout=5)
    scenario.hub.users.edit(ada.id, job_title="Lead")
    wait_until(lambda: scenario.remote(ada.username)["title"] == "Lead", timeout=2)  # type: ignore[index]


def test_an_edited_mapping_is_what_the_engine_sends_and_unmapped_targets_are_left_alone(
    scenario: Bench,
) -> None:
    ada = scenario.user("ada", job_title="Engineer", department="R&D")
    scenario.group(ada)
    scenario.drain()
    default = scenario.hub.mappings.get(scenario.app).entries
    edited = [m for m in default if m.target != "title"]
    edited = [
        Mapping(m.source, m.target, m.note, m.primary)
        if m.source != "department"
        else Mapping("jobTitle", m.target)
        for m in edited
    ]
    scenario.hub.mappings.set(scenario.app, edited)
    scenario.drain()
    remote = scenario.remote(ada.username)
    assert remote is not None
    assert remote[ENTERPRISE]["department"] == "Engineer", "now fed from the job title"
    assert remote["title"] == "Engineer", "no longer mapped: left as it was"
    scenario.hub.users.edit(ada.id, job_title="Lead", department="Ops")
    scenario.drain()
    remote = scenario.remote(ada.username)
    assert remote[ENTERPRISE]["department"] == "Lead"  # type: ignore[index]
    assert remote["title"] == "Engineer"  # type: ignore[index]


def test_a_full_reconcile_repairs_drift_made_inside_the_application(scenario: Bench) -> None:
    ada = scenario.user("ada", job_title="Engineer")
    bob = scenario.user("bob")
    scenario.group(ada, bob)
    scenario.drain()
    remote = scenario.remote(ada.username)
    assert remote is not None
    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "title", "value": "Changed in the app"}],
    }
    assert scenario.target.client.patch(f"/Users/{remote['id']}", json=patch).status_code == 200
    bob_id = scenario.remote(bob.username)["id"]  # type: ignore[index]
    assert scenario.target.client.patch(
        f"/Users/{bob_id}",
        json=patch | {"Operations": [{"op": "replace", "path": "active", "value": False}]},
    ).is_success
    scenario.drain()
    assert scenario.remote(ada.username)["title"] == "Changed in the app"  # type: ignore[index]
    scenario.hub.provisioning.reconcile(scenario.app)
    scenario.drain()
    assert scenario.remote(ada.username)["title"] == "Engineer"  # type: ignore[index]
    assert scenario.remote(bob.username)["active"] is True  # type: ignore[index]


def test_the_worker_reconciles_each_application_on_its_interval(
    backend: str, tmp_path: Path, engine: Engine, provider: LiveServer
) -> None:
    with bench(backend, tmp_path, engine, provider, "generic", reconcile_interval_seconds=1) as s:
        ada = s.user("ada", job_title="Engineer")
        s.group(ada)
        s.start()
        remote = wait_until(lambda: s.remote(ada.username))
        patch = {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "title", "value": "Drifted"}],
        }
        assert s.target.client.patch(f"/Users/{remote['id']}", json=patch).status_code == 200
        wait_until(lambda: s.remote(ada.username)["title"] == "Engineer", timeout=10)  # type: ignore[index]
        assert s.hub.provisioning.status(s.app).last_reconcile is not None


def test_a_target_without_patch_is_updated_with_put_keeping_what_is_not_mapped(
    backend: str, tmp_path: Path, engine: Engine, provider: LiveServer
) -> None:
    with bench(backend, tmp_path, engine, provider, "generic") as s:
        with write_tx(s.hub.engine) as conn:  # as if its /ServiceProviderConfig said so
            no_patch = {"patch": False, "filter": True, "source": "ServiceProviderConfig"}
            conn.execute(update(idm_integrations).values(capabilities=no_patch))
        ada = s.user("ada", job_title="Engineer")
        s.group(ada)
        s.drain()
        remote = s.remote(ada.username)
        assert remote is not None
        extra = {"op": "replace", "path": "nickName", "value": "Countess"}
        s.target.client.patch(
            f"/Users/{remote['id']}",
            json={
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [extra],
            },
        )
        s.hub.users.edit(ada.id, job_title="Lead")
        s.drain()
        after = s.remote(ada.username)
        assert after["title"] == "Lead" and after["nickName"] == "Countess"  # type: ignore[index]
        summaries = [e.summary for e in s.log(user=ada.username, action="update")]
        assert summaries and summaries[0].startswith("PUT /Users/")


def test_an_unexpected_error_fails_only_that_user_and_the_others_go_on(
    scenario: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = scenario.user("broken")
    others = [scenario.user("ok") for _ in range(3)]
    real = executor_module.resource_of

    def resource_of(values: dict[str, object], mapping: object) -> dict[str, object]:
        if values.get("userName") == broken.username:  # a bug, as it would surface
            raise KeyError("boom")
        return real(values, mapping)  # type: ignore[arg-type]

    monkeypatch.setattr(executor_module, "resource_of", resource_of)
    scenario.group(broken, *others)
    scenario.drain(rounds=3)
    assert all(scenario.remote(u.username) for u in others)
    assert scenario.remote(broken.username) is None
    status = scenario.hub.provisioning.status(scenario.app)
    assert status.errors == 1 and status.state == "running"
    entry = scenario.log(user=broken.username, status="error")
    assert entry and "unexpected error: KeyError" in (entry[0].message or "")


def test_a_change_is_not_kept_waiting_behind_a_full_reconcile(
    backend: str, tmp_path: Path, engine: Engine, provider: LiveServer
) -> None:
    with bench(backend, tmp_path, engine, provider, "profitco", worker_batch_size=10) as s:
        users = [s.user("r", job_title="Engineer") for _ in range(60)]
        s.group(*users)
        s.drain()
        s.hub.provisioning.reconcile(s.app)  # 60 comparisons due now
        s.hub.users.edit(users[-1].id, job_title="Lead")  # due after them
        s.drain(rounds=1)  # one claim of 10
        assert s.remote(users[-1].username)["title"] == "Lead"  # type: ignore[index]
        assert s.hub.provisioning.status(s.app).pending >= 50, "the reconcile waits its turn"


def test_a_reconcile_deactivates_again_an_account_re_enabled_inside_the_application(
    scenario: Bench,
) -> None:
    ada = scenario.user("ada")
    scenario.group(ada, *(scenario.user("o") for _ in range(5)))
    scenario.drain()
    scenario.hub.users.suspend(ada.id)
    scenario.drain()
    remote = scenario.remote(ada.username)
    assert remote is not None and remote["active"] is False
    enable = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": True}],
    }
    assert scenario.target.client.patch(f"/Users/{remote['id']}", json=enable).is_success
    scenario.hub.provisioning.reconcile(scenario.app)
    scenario.drain()
    assert scenario.remote(ada.username)["active"] is False  # type: ignore[index]
