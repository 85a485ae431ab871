"""The IdM integration lifecycle through the service, over real HTTP on loopback.

The project's own provider is the target (a Profit.co tenant at Profit.co's path, a generic
tenant at /scim/v2); two tiny servers play a target that never answers and one that is not
SCIM. ``failing_target`` is shared with the API and CLI tests.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from conftest import Tenant, free_port
from scimhub.applications.idm import TOKEN_RULE, IdmIntegrations, VerificationFailed
from scimhub.applications.models import IdmState
from scimhub.problems import Invalid, NotFound, Refused
from scimhub.storage.tenants import TenantStore

from .conftest import unique

PROFITCO_PATH = "/app/rest/platform/auth/scim/v2"
FAILURES = ["wrong_token", "wrong_path", "unreachable", "timeout", "not_scim"]


# --- targets that fail verification -----------------------------------------------------------


@contextmanager
def silent_server() -> Iterator[str]:
    """A loopback port that takes connections and never answers; yields its base URL."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(32)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/scim/v2"


class _WebPage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<!doctype html><html><body>Welcome to our web site</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def web_page_server() -> Iterator[str]:
    """A loopback web server answering an HTML page on every path; yields a base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _WebPage)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/scim/v2"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass(frozen=True)
class Failure:
    base_url: str
    token: str
    outcome: str
    says: str  #: a fragment of the reason shown to the admin
    status_code: int | None


@contextmanager
def failing_target(reason: str, tenant: Tenant) -> Iterator[Failure]:
    """A base URL and token that fail verification for ``reason`` (see FAILURES).

    ``timeout`` needs an integration whose timeout is about a second.
    """
    if reason == "wrong_token":
        yield Failure(tenant.base, "scim_wrong" + tenant.token[-8:], "token_rejected", "401", 401)
    elif reason == "wrong_path":
        base = tenant.base.replace("/scim/v2", "/scim/v3")
        yield Failure(base, tenant.token, "not_found", "404 Not Found", 404)
    elif reason == "unreachable":
        base = f"http://127.0.0.1:{free_port()}/scim/v2"
        yield Failure(base, tenant.token, "unreachable", "connection refused", None)
    elif reason == "timeout":
        with silent_server() as base:
            yield Failure(base, tenant.token, "timeout", "did not answer within 1 s", None)
    elif reason == "not_scim":
        with web_page_server() as base:
            yield Failure(base, tenant.token, "not_scim", "not SCIM", 200)
    else:
        raise ValueError(reason)


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def quick(hub) -> IdmIntegrations:
    """The hub's integrations with a one-second verification budget."""
    return IdmIntegrations(hub.engine, hub.idm.box, timeout=1)


def new_app(hub, catalog_key: str = "scim2"):
    return hub.applications.create(catalog_key=catalog_key, label=unique("Idm "))


@pytest.fixture
def active(hub, tenant):
    """A generic SCIM application, activated against the generic tenant."""
    app = new_app(hub)
    hub.idm.activate(app.id, base_url=tenant.base, token=tenant.token)
    return app


# --- activation succeeds ----------------------------------------------------------------------


def test_profitco_application_activates_against_a_typed_profitco_base_url(hub, provider, profitco):
    app = new_app(hub, "profitco")
    base = f"{provider.url}{PROFITCO_PATH}"
    hub.idm.configure(app.id, base_url=base, token=profitco.token)
    result = hub.idm.activate(app.id)
    assert result.message == "The Identity Management integration has been successfully verified."
    status = hub.idm.get(app.id)
    assert status.state is IdmState.ACTIVE
    assert (status.base_url, status.region) == (base, None)
    assert status.generation == 1
    assert status.activated_at is not None and status.verified_at is not None
    assert status.last_check["outcome"] == "verified" and status.last_check["ok"] is True
    assert status.last_check["status_code"] == 200
    assert hub.applications.get(app.id).idm_state is IdmState.ACTIVE
    assert status.capabilities is None  # Profit.co's capabilities come from its catalog entry


def test_generic_application_stores_capabilities_read_from_service_provider_config(hub, tenant):
    app = new_app(hub)
    result = hub.idm.activate(app.id, base_url=tenant.base, token=tenant.token)
    assert result.verification.outcome == "verified"
    caps = hub.idm.get(app.id).capabilities
    assert caps["source"] == "ServiceProviderConfig"
    assert caps["patch"] is True and caps["filter"] is True
    assert {"User", "Group"} <= set(caps["resource_types"])
    assert caps["groups"] is True


def test_verification_creates_nothing_in_the_target(hub, tenant):
    app = new_app(hub)
    hub.idm.activate(app.id, base_url=tenant.base, token=tenant.token)
    for endpoint in ("Users", "Groups"):
        assert tenant.client.get(f"/{endpoint}").json()["totalResults"] == 0


def test_activating_an_active_integration_verifies_again_without_a_new_generation(hub, active):
    first = hub.idm.get(active.id)
    again = hub.idm.activate(active.id).status
    assert again.state is IdmState.ACTIVE
    assert again.generation == first.generation
    assert again.verified_at >= first.verified_at


# --- activation fails, precisely --------------------------------------------------------------


@pytest.mark.parametrize("reason", FAILURES)
def test_a_failed_verification_leaves_the_integration_inactive_and_records_why(
    hub, quick, tenant, reason
):
    app = new_app(hub)
    with failing_target(reason, tenant) as bad:
        quick.configure(app.id, base_url=bad.base_url, token=bad.token)
        with pytest.raises(VerificationFailed) as caught:
            quick.activate(app.id)
    failure = caught.value
    assert str(failure.verification.outcome) == bad.outcome
    assert bad.says in failure.detail
    assert failure.as_dict()["outcome"] == bad.outcome
    status = hub.idm.get(app.id)
    assert status.state is IdmState.INACTIVE
    assert status.generation == 0 and status.activated_at is None and status.verified_at is None
    check = status.last_check
    assert (check["outcome"], check["ok"], check["status_code"]) == (
        bad.outcome,
        False,
        bad.status_code,
    )
    assert bad.says in check["message"]
    assert bad.token not in check["message"]


def test_a_timeout_is_reported_within_about_the_budget(hub, quick, tenant):
    app = new_app(hub)
    with failing_target("timeout", tenant) as bad:
        quick.configure(app.id, base_url=bad.base_url, token=bad.token)
        with pytest.raises(VerificationFailed) as caught:
            quick.activate(app.id)
    assert caught.value.verification.elapsed_ms < 3000


def test_a_failed_check_after_a_good_one_is_recorded_and_a_fixed_token_activates(hub, tenant):
    app = new_app(hub)
    with pytest.raises(VerificationFailed):
        hub.idm.activate(app.id, base_url=tenant.base, token="scim_wrong_token_abcd")
    assert hub.idm.get(app.id).last_check["outcome"] == "token_rejected"
    hub.idm.activate(app.id, token=tenant.token)
    status = hub.idm.get(app.id)
    assert (status.state, status.last_check["outcome"]) == (IdmState.ACTIVE, "verified")


def test_activating_before_configuring_is_invalid(hub):
    app = new_app(hub)
    with pytest.raises(Invalid, match="Enter the base URL"):
        hub.idm.activate(app.id)
    hub.idm.configure(app.id, base_url="https://scim.example.com/v2")
    with pytest.raises(Invalid, match="token"):
        hub.idm.activate(app.id)
    assert hub.idm.get(app.id).state is IdmState.UNCONFIGURED


def test_activate_with_an_empty_token_is_invalid_rather_than_ignored(hub, active):
    with pytest.raises(Invalid, match="token is empty"):
        hub.idm.activate(active.id, token="")


class RecordingScope:
    """A provisioning stand-in that records what it is told, or fails when told."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.integrations: list[str] = []
        self.bindings: list[tuple[str, list[str]]] = []

    def bindings_changed(self, conn, app_id, group_ids) -> None:
        self._told()
        self.bindings.append((app_id, sorted(group_ids)))

    def integration_changed(self, conn, app_id, *, activated=False) -> None:
        self._told()
        self.integrations.append(app_id)

    def _told(self) -> None:
        if self.fail:
            raise RuntimeError("provisioning is down")


def test_provisioning_is_told_of_every_change_to_the_integration(hub, tenant):
    scope = RecordingScope()
    idm = IdmIntegrations(hub.engine, hub.idm.box, scope=scope)
    app = new_app(hub)
    idm.configure(app.id, base_url=tenant.base, token=tenant.token)
    idm.activate(app.id)
    idm.configure(app.id, options={"delete_users": True})  # allowed while active
    idm.deactivate(app.id)
    assert scope.integrations == [app.id] * 4
    with pytest.raises(VerificationFailed):
        idm.activate(app.id, token="scim_wrong_token_abcd")
    assert scope.integrations == [app.id] * 5  # the new token, but no activation


def test_a_change_provisioning_cannot_record_is_rolled_back(hub, tenant):
    idm = IdmIntegrations(hub.engine, hub.idm.box, scope=RecordingScope(fail=True))
    app = new_app(hub)
    with pytest.raises(RuntimeError):
        idm.configure(app.id, base_url=tenant.base, token=tenant.token)
    status = hub.idm.get(app.id)
    assert (status.state, status.base_url, status.token_last4) == (
        IdmState.UNCONFIGURED,
        None,
        None,
    )


# --- configuration ----------------------------------------------------------------------------


def test_configuration_is_inactive_once_both_base_url_and_token_are_set(hub):
    app = new_app(hub)
    assert hub.idm.configure(app.id, token="tok-abcd1234").state is IdmState.UNCONFIGURED
    status = hub.idm.configure(app.id, base_url="https://scim.example.com/v2")
    assert status.state is IdmState.INACTIVE
    assert status.token_last4 == "1234" and status.token_hint == "…1234"


def test_region_eu_sets_the_eu_base_url(hub):
    app = new_app(hub, "profitco")
    status = hub.idm.configure(app.id, region="eu")
    assert status.region == "eu"
    assert status.base_url == "https://eu2-app.profit.co/app/rest/platform/auth/scim/v2"


def test_a_typed_base_url_replaces_the_region(hub):
    app = new_app(hub, "profitco")
    hub.idm.configure(app.id, region="default")
    status = hub.idm.configure(app.id, base_url="https://okr.example.com/scim/v2/")
    assert (status.region, status.base_url) == (None, "https://okr.example.com/scim/v2")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://SCIM.Example.com/v2/", "https://scim.example.com/v2"),
        ("https://scim.example.com:8443/v2///", "https://scim.example.com:8443/v2"),
        ("  http://localhost:8000/scim/v2/  ", "http://localhost:8000/scim/v2"),
        ("http://127.0.0.1:9/scim/v2", "http://127.0.0.1:9/scim/v2"),
        ("http://[::1]:9/scim/v2/", "http://[::1]:9/scim/v2"),
    ],
)
def test_base_urls_are_stored_in_one_canonical_form(hub, given, expected):
    app = new_app(hub)
    assert hub.idm.configure(app.id, base_url=given).base_url == expected


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"region": "mars"}, "no region 'mars' \\(regions: default, eu\\)"),
        ({"region": "eu", "base_url": "https://x.example.com/v2"}, "not both"),
        ({"base_url": "http://scim.example.com/v2"}, "must use https"),
        ({"base_url": "https://scim.example.com/v2?x=1"}, "query string"),
        ({"base_url": "https://user:pw@scim.example.com/v2"}, "user name or password"),
        ({"base_url": "ftp://scim.example.com/v2"}, "must start with https"),
        ({"base_url": "   "}, "required"),
        ({"token": "   "}, "empty"),
        ({"token": "two words"}, "one line"),
        ({"token": "tökén-1234"}, "printable ASCII"),
        ({"token": "tab\tinside"}, "printable ASCII"),
        ({"token": "x" * 4097}, "at most 4096"),
    ],
)
def test_invalid_configuration_is_refused_and_changes_nothing(hub, changes, message):
    app = new_app(hub, "profitco")
    before = hub.idm.get(app.id)
    with pytest.raises(Invalid, match=message):
        hub.idm.configure(app.id, **changes)
    assert hub.idm.get(app.id) == before


def test_a_generic_application_has_no_regions(hub):
    with pytest.raises(Invalid, match="regions: none"):
        hub.idm.configure(new_app(hub).id, region="eu")


def test_generic_option_delete_users_is_accepted_and_group_push_refused_for_now(hub):
    app = new_app(hub)
    status = hub.idm.configure(app.id, options={"delete_users": True})
    assert status.options == {"delete_users": True, "push_groups": False}
    with pytest.raises(Invalid, match="Pushing groups is not available yet"):
        hub.idm.configure(app.id, options={"push_groups": True})
    assert hub.idm.get(app.id).options == {"delete_users": True, "push_groups": False}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"delete_users": True}, "does not support deletion of a user"),
        ({"push_groups": True}, "does not support groups"),
    ],
)
def test_profitco_refuses_the_generic_options_and_says_why(hub, options, message):
    app = new_app(hub, "profitco")
    with pytest.raises(Invalid, match=message):
        hub.idm.configure(app.id, options=options)
    assert hub.idm.get(app.id).options == {}


@pytest.mark.parametrize(
    ("options", "message"),
    [({"delete_users": "yes"}, "true or false"), ({"nosuch": True}, "no option 'nosuch'")],
)
def test_bad_options_are_invalid(hub, options, message):
    with pytest.raises(Invalid, match=message):
        hub.idm.configure(new_app(hub).id, options=options)


def test_configuring_an_unknown_application_is_not_found(hub):
    with pytest.raises(NotFound):
        hub.idm.configure("no-such-app", token="abcd1234")


# --- the token rule and other changes while active --------------------------------------------


def test_changing_the_token_while_active_is_refused_with_the_instruction(hub, active, tenant):
    with pytest.raises(Refused) as caught:
        hub.idm.configure(active.id, token="scim_another_token_zzzz")
    assert caught.value.detail == TOKEN_RULE
    assert "deactivate" in TOKEN_RULE and "activate it again" in TOKEN_RULE
    assert hub.idm.token(active.id) == tenant.token
    assert hub.idm.get(active.id).token_last4 == tenant.token[-4:]


def test_activate_with_a_new_token_while_active_is_refused_too(hub, active, tenant):
    with pytest.raises(Refused, match="token cannot be changed"):
        hub.idm.activate(active.id, token="scim_another_token_zzzz")
    assert hub.idm.token(active.id) == tenant.token


def test_changing_the_base_url_while_active_is_refused(hub, active, tenant):
    with pytest.raises(Refused, match="base URL cannot be changed"):
        hub.idm.configure(active.id, base_url="https://elsewhere.example.com/scim/v2")
    status = hub.idm.get(active.id)
    assert (status.state, status.base_url) == (IdmState.ACTIVE, tenant.base)


def test_choosing_a_region_while_active_is_refused(hub, provider, profitco):
    app = new_app(hub, "profitco")
    hub.idm.activate(app.id, base_url=f"{provider.url}{PROFITCO_PATH}", token=profitco.token)
    with pytest.raises(Refused, match="base URL cannot be changed"):
        hub.idm.configure(app.id, region="eu")
    assert hub.idm.get(app.id).region is None


def test_after_deactivating_the_token_can_change_and_activation_works_again(
    hub, engine, provider, active, tenant
):
    hub.idm.deactivate(active.id)
    fresh = make_token(engine, tenant)
    status = hub.idm.configure(active.id, token=fresh)
    assert status.state is IdmState.INACTIVE and status.token_last4 == fresh[-4:]
    activated = hub.idm.activate(active.id).status
    assert activated.state is IdmState.ACTIVE
    assert activated.generation == 3  # activate, deactivate, activate
    assert hub.idm.token(active.id) == fresh


def make_token(engine: Engine, tenant: Tenant) -> str:
    token, _ = TenantStore(engine).create_token(tenant.name)
    return token


# --- deactivation -----------------------------------------------------------------------------


def test_deactivate_makes_the_integration_inactive_and_bumps_the_generation(hub, active):
    before = hub.idm.get(active.id)
    after = hub.idm.deactivate(active.id)
    assert after.state is IdmState.INACTIVE
    assert after.generation == before.generation + 1
    assert after.deactivated_at is not None and after.deactivated_at >= before.activated_at
    assert hub.applications.get(active.id).idm_state is IdmState.INACTIVE


@pytest.mark.parametrize("configured", [False, True])
def test_deactivating_an_integration_that_is_not_active_is_refused(hub, configured):
    app = new_app(hub)
    if configured:
        hub.idm.configure(app.id, base_url="https://scim.example.com/v2", token="tok-abcd")
    before = hub.idm.get(app.id)
    with pytest.raises(Refused, match="not active"):
        hub.idm.deactivate(app.id)
    assert hub.idm.get(app.id) == before


# --- deletion is refused while active ---------------------------------------------------------


def test_an_application_with_an_active_integration_cannot_be_deleted(hub, active):
    with pytest.raises(Refused) as caught:
        hub.applications.delete([active.id], confirm_count=1)
    assert f"'{active.label}'" in caught.value.detail
    assert "Deactivate the IdM connection first" in caught.value.detail
    assert hub.applications.get(active.id).idm_state is IdmState.ACTIVE


def test_deleting_several_with_one_active_deletes_none_and_names_only_the_active_one(hub, active):
    idle = new_app(hub)
    with pytest.raises(Refused) as caught:
        hub.applications.delete([idle.id, active.id], confirm_count=2)
    assert f"'{active.label}'" in caught.value.detail
    assert idle.label not in caught.value.detail
    assert "Nothing was deleted" in caught.value.detail
    assert hub.applications.get(idle.id).id == idle.id
    assert hub.applications.get(active.id).id == active.id


def test_after_deactivating_the_application_can_be_deleted(hub, active):
    hub.idm.deactivate(active.id)
    assert [a.id for a in hub.applications.delete([active.id], confirm_count=1)] == [active.id]
    with pytest.raises(NotFound):
        hub.idm.get(active.id)


# --- the token at rest ------------------------------------------------------------------------


def stored_text(engine: Engine) -> bytes:
    """Everything the database holds that could carry the token, as bytes."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(FULL)")
        path = Path(engine.url.database or "")
        wal = path.with_name(path.name + "-wal")
        return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    with engine.connect() as conn:
        columns = conn.execute(
            text(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND data_type IN "
                "('text', 'character varying', 'character', 'json', 'jsonb')"
            )
        ).all()
        values = [
            conn.execute(text(f'SELECT string_agg("{c}"::text, \' \') FROM "{t}"')).scalar()
            for t, c in columns
        ]
    return " ".join(v for v in values if v).encode()


def test_the_token_is_unreadable_in_the_database_but_decrypts_for_the_connector(
    hub, engine, active, tenant
):
    data = stored_text(engine)
    assert active.label.encode() in data  # we are reading the right database
    assert tenant.token.encode() not in data
    assert tenant.token.removeprefix("scim_").encode() not in data
    assert hub.idm.token(active.id) == tenant.token
    assert hub.idm.get(active.id).token_hint == f"…{tenant.token[-4:]}"


def test_a_configured_token_is_encrypted_before_any_activation(hub, engine):
    app = new_app(hub)
    token = unique("plaintext-token-")
    hub.idm.configure(app.id, base_url="https://scim.example.com/v2", token=token)
    assert token.encode() not in stored_text(engine)
    assert hub.idm.token(app.id) == token
    assert token not in repr(hub.idm.get(app.id))


# --- testing the connection without activating ------------------------------------------------


def test_a_connection_test_verifies_and_records_but_never_activates(hub, tenant):
    app = new_app(hub)
    hub.idm.configure(app.id, base_url=tenant.base, token=tenant.token)
    verification, status = hub.idm.test_connection(app.id)
    assert verification.ok and verification.outcome == "verified"
    assert status.state is IdmState.INACTIVE and status.generation == 0
    assert status.last_check["outcome"] == "verified"


@pytest.mark.parametrize("reason", ["wrong_token", "wrong_path", "not_scim"])
def test_a_failed_connection_test_reports_the_reason_and_activates_nothing(
    hub, tenant, active, reason
):
    with failing_target(reason, tenant) as failure:
        app = new_app(hub)
        hub.idm.configure(app.id, base_url=failure.base_url, token=failure.token)
        verification, status = hub.idm.test_connection(app.id)
    assert not verification.ok and verification.outcome == failure.outcome
    assert status.state is IdmState.INACTIVE
    assert status.last_check["outcome"] == failure.outcome
    verified, still = hub.idm.test_connection(active.id)  # an active one stays active
    assert verified.ok and still.state is IdmState.ACTIVE and still.generation == 1


def test_the_connection_test_over_the_api(hub, api, tenant):
    app = new_app(hub)
    api.put(f"/applications/{app.id}/idm", json={"base_url": tenant.base, "token": "scim_nope"})
    r = api.post(f"/applications/{app.id}/idm/test")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["ok"], body["outcome"], body["status_code"]) == (False, "token_rejected", 401)
    assert body["idm"]["state"] == "inactive" and "scim_nope" not in r.text
