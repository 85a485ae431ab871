"""What stops the engine, end to end against the project's own provider: a revoked token
(quarantine), the deprovisioning guard, deactivation midway through a backlog; and the
generic profile's DELETE."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from conftest import LiveServer
from scimhub.storage.tenants import TenantStore

from .engine_support import bench, wait_until

PROFILES = ["profitco", "generic"]
PROVIDER_AUTH_CACHE_SECONDS = 2.1


@pytest.mark.parametrize("profile", PROFILES)
def test_a_token_revoked_mid_backlog_quarantines_the_application_until_it_is_fixed(
    backend: str, tmp_path: Path, engine: Engine, provider: LiveServer, profile: str
) -> None:
    with bench(backend, tmp_path, engine, provider, profile, worker_batch_size=5) as s:
        users = [s.user("q") for _ in range(120)]
        s.group(*users)
        s.drain(rounds=1)  # one batch of the backlog goes through
        assert s.remote_count() == 5
        TenantStore(engine).revoke_token(s.target.token[:12])
        time.sleep(PROVIDER_AUTH_CACHE_SECONDS)  # the provider honours a revocation after this
        s.start()
        status = wait_until(
            lambda: (st := s.hub.provisioning.status(s.app)).state == "quarantined" and st,
            timeout=15,
        )
        assert "401" in (status.reason or "") and s.target.token not in (status.reason or "")
        stopped = s.log(action="quarantine")
        assert stopped and stopped[0].status == "stopped"
        assert status.pending > 0, "the rest of the backlog waits"
        # Fixed the documented way: deactivate, new token, activate.
        token, _ = TenantStore(engine).create_token(s.target.name)
        s.hub.idm.deactivate(s.app)
        s.hub.idm.configure(s.app, token=token)
        s.hub.idm.activate(s.app)
        s.target.client.headers["Authorization"] = f"Bearer {token}"
        wait_until(lambda: s.remote_count() == 120, timeout=30)
        assert s.hub.provisioning.status(s.app).state == "running"


@pytest.mark.parametrize("profile", PROFILES)
def test_the_deprovisioning_guard_pauses_a_mass_deprovisioning_until_confirmed(
    backend: str, tmp_path: Path, engine: Engine, provider: LiveServer, profile: str
) -> None:
    with bench(backend, tmp_path, engine, provider, profile) as s:
        keep = [s.user("k") for _ in range(6)]
        leave = [s.user("l") for _ in range(4)]
        s.group(*keep)
        doomed = s.group(*leave)
        s.drain()
        assert s.remote_count() == 10
        s.hub.bindings.unbind(s.app, [doomed])  # 4 of 10 = 40% > 20%
        s.drain()
        status = s.hub.provisioning.status(s.app)
        assert status.state == "paused" and "4 of 10" in (status.reason or "")
        assert all(s.remote(u.username)["active"] for u in leave)  # type: ignore[index]
        s.hub.provisioning.confirm_deprovision(s.app)
        s.drain()
        assert not any(s.remote(u.username)["active"] for u in leave)  # type: ignore[index]
        assert all(s.remote(u.username)["active"] for u in keep)  # type: ignore[index]
        assert s.hub.provisioning.status(s.app).state == "running"


def test_one_leaver_in_a_small_application_is_not_held_by_the_guard(
    backend: str, tmp_path: Path, engine: Engine, provider: LiveServer
) -> None:
    with bench(backend, tmp_path, engine, provider, "profitco") as s:
        users = [s.user("k") for _ in range(3)]
        s.group(*users)
        s.drain()
        s.hub.users.suspend(users[0].id)  # 33%, but one user
        s.drain()
        assert s.remote(users[0].username)["active"] is False  # type: ignore[index]


@pytest.mark.parametrize("profile", PROFILES)
def test_deactivating_the_integration_stops_a_backlog_midway(
    backend: str, tmp_path: Path, engine: Engine, provider: LiveServer, profile: str
) -> None:
    with bench(backend, tmp_path, engine, provider, profile, worker_batch_size=5) as s:
        s.group(*(s.user("d") for _ in range(150)))
        s.start()
        wait_until(lambda: s.remote_count() >= 5)
        s.hub.idm.deactivate(s.app)
        settled = s.remote_count()
        time.sleep(0.2)  # batches in flight finish their current user, then stop
        settled = s.remote_count()
        time.sleep(1.0)
        assert s.remote_count() == settled < 150
        assert s.hub.provisioning.status(s.app).pending >= 150 - settled


def test_the_generic_profile_deletes_leavers_when_the_application_is_set_to(
    backend: str, tmp_path: Path, engine: Engine, provider: LiveServer
) -> None:
    options = {"delete_users": True}
    with bench(backend, tmp_path, engine, provider, "generic", options=options) as s:
        ada = s.user("ada")
        s.group(ada, *(s.user("o") for _ in range(5)))
        s.drain()
        assert s.remote(ada.username) is not None
        s.hub.users.suspend(ada.id)
        s.drain()
        assert s.remote(ada.username) is None
        assert s.log(user=ada.username)[0].action == "delete"


def test_confirmed_deprovisionings_are_used_up_and_a_later_wave_is_guarded_again(
    backend: str, tmp_path: Path, engine: Engine, provider: LiveServer
) -> None:
    with bench(backend, tmp_path, engine, provider, "profitco") as s:
        keep = [s.user("k") for _ in range(10)]
        first = [s.user("a") for _ in range(4)]
        second = [s.user("b") for _ in range(4)]
        s.group(*keep)
        wave1, wave2 = s.group(*first), s.group(*second)
        s.drain()
        s.hub.bindings.unbind(s.app, [wave1])
        s.drain()
        assert s.hub.provisioning.status(s.app).state == "paused"
        s.hub.provisioning.confirm_deprovision(s.app)
        s.drain()
        assert not any(s.remote(u.username)["active"] for u in first)  # type: ignore[index]
        s.hub.bindings.unbind(s.app, [wave2])  # 4 of 14: past the guard again
        s.drain()
        assert s.hub.provisioning.status(s.app).state == "paused"
        assert all(s.remote(u.username)["active"] for u in second)  # type: ignore[index]


def test_a_guard_pause_lifts_by_itself_once_the_binding_is_restored(
    backend: str, tmp_path: Path, engine: Engine, provider: LiveServer
) -> None:
    with bench(backend, tmp_path, engine, provider, "profitco") as s:
        keep = [s.user("k") for _ in range(5)]
        leave = [s.user("l") for _ in range(5)]
        s.group(*keep)
        doomed = s.group(*leave)
        s.drain()
        s.hub.bindings.unbind(s.app, [doomed])
        s.drain()
        assert s.hub.provisioning.status(s.app).state == "paused"
        s.hub.bindings.bind(s.app, [doomed])  # the accident is undone
        newcomer = s.user("n")
        s.hub.groups.add_members(doomed, [newcomer.id])
        s.start()
        wait_until(lambda: s.hub.provisioning.status(s.app).state == "running", timeout=10)
        wait_until(lambda: s.remote(newcomer.username), timeout=10)
        assert all(s.remote(u.username)["active"] for u in leave)  # type: ignore[index]
