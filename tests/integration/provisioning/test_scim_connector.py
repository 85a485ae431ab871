"""ScimConnector against the project's own provider over real HTTP, in both profiles.

Shapes the provider never produces (a target refusing or-filters, 2xx answers without a
resource, rows that do not match the filter, 429/5xx, hangs, resets, redirects) come from
`FaultyProxy`, a real HTTP server in front of the provider; pages capped short come from a
second provider whose page size is 3.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs

import pytest
from sqlalchemy import Engine

from conftest import LiveServer, Tenant, free_port, make_tenant
from scimhub.applications.catalog import ENTERPRISE_DEPARTMENT, PROFITCO
from scimhub.config import Settings
from scimhub.provider import create_app
from scimhub.provisioning.attributes import (
    Values,
    patch_operations,
    replaced_resource,
    resource_of,
    values_of,
)
from scimhub.provisioning.connector import Remote
from scimhub.provisioning.outcomes import (
    AlreadyExists,
    Gone,
    RateLimited,
    Rejected,
    Stop,
    Transient,
)
from scimhub.provisioning.scim_connector import ScimConnector

from .faulty import Fault, Request

#: The SCIM base path each provider profile is reached on, as its real application has it.
BASE_PATHS = {"generic": "/scim/v2", "profitco": "/app/rest/platform/auth/scim/v2"}
MAPPING = PROFITCO.mapping
WORK_EMAIL = 'emails[type eq "work"].value'


def values(name: str, **changes: Any) -> Values:
    base: Values = {
        "userName": name,
        WORK_EMAIL: name,
        "name.givenName": "Ann",
        "name.familyName": "Lee",
        "active": True,
        ENTERPRISE_DEPARTMENT: "Engineering",
        "title": None,
    }
    return {**base, **{k.replace("__", "."): v for k, v in changes.items()}}


class Target:
    """A fresh tenant of one profile, reached on its profile's base path."""

    def __init__(self, tenant: Tenant, base_url: str, profile: str) -> None:
        self.tenant, self.base_url, self.profile = tenant, base_url, profile
        self.connector = ScimConnector(base_url, tenant.token, timeout=10)

    def create(self, name: str, **changes: Any) -> Remote:
        return self.connector.create(resource_of(values(name, **changes), MAPPING))


@pytest.fixture(params=sorted(BASE_PATHS))
def target(
    request: pytest.FixtureRequest, engine: Engine, provider: LiveServer
) -> Iterator[Target]:
    profile = request.param
    tenant = make_tenant(engine, provider, profile)
    made = Target(tenant, provider.url + BASE_PATHS[profile], profile)
    yield made
    made.connector.close()
    tenant.client.close()


@pytest.fixture
def through(
    faulty: Callable[..., Any],
) -> Iterator[Callable[..., tuple[Any, ScimConnector]]]:
    """A connector reaching a fresh tenant of ``profile`` through a `FaultyProxy`."""
    opened: list[ScimConnector] = []

    def make(profile: str = "generic", timeout: float = 10) -> tuple[Any, ScimConnector]:
        proxied = faulty(profile)
        opened.append(ScimConnector(proxied.base_url, proxied.token, timeout=timeout))
        return proxied, opened[-1]

    yield make
    for connector in opened:
        connector.close()


# --- create, get, lookups ----------------------------------------------------------------


def test_create_returns_the_user_as_stored_and_get_reads_it_back(target):
    made = target.create("ann.lee@example.com")
    assert values_of(made.resource, MAPPING) == values("ann.lee@example.com")
    got = target.connector.get(made.id)
    assert got is not None and got.id == made.id
    assert values_of(got.resource, MAPPING) == values("ann.lee@example.com")


def test_creating_a_taken_username_is_already_exists(target):
    target.create("taken@example.com")
    with pytest.raises(AlreadyExists) as caught:
        target.create("TAKEN@example.com")
    assert caught.value.status == 409
    assert caught.value.message.startswith("POST /Users answered HTTP 409.")
    assert "The application said:" in caught.value.message


def test_get_of_an_unknown_id_is_none(target):
    assert target.connector.get("no-such-id") is None


def test_find_by_username_ignores_case(target):
    made = target.create("Mixed.Case@Example.com")
    found = target.connector.find_by_username("mixed.case@EXAMPLE.COM")
    assert found is not None and found.id == made.id
    assert target.connector.find_by_username("other@example.com") is None


def test_find_by_username_escapes_quotes_and_backslashes(target):
    tricky = target.create('o"brien\\x@example.com')
    plain = target.create('o"brien@example.com')
    found = target.connector.find_by_username('O"Brien\\X@example.com')
    assert found is not None and found.id == tricky.id
    again = target.connector.find_by_username('o"brien@example.com')
    assert again is not None and again.id == plain.id


def test_find_by_usernames_finds_many_across_chunks(target):
    made = {target.create(f"user{i:03}@example.com").id for i in range(0, 120, 2)}
    names = [f"USER{i:03}@example.com" for i in range(120)]
    found = target.connector.find_by_usernames(names)
    assert sorted(found) == [f"user{i:03}@example.com" for i in range(0, 120, 2)]
    assert {r.id for r in found.values()} == made


def test_find_by_usernames_of_nothing_asks_nothing(target):
    assert target.connector.find_by_usernames([]) == {}


def test_find_by_usernames_walks_pages_when_the_target_caps_them(engine, settings):
    capped = Settings(data_dir=settings.data_dir, max_page_size=3)
    with LiveServer(create_app(capped, engine)) as small:
        tenant = make_tenant(engine, small)
        with ScimConnector(tenant.base, tenant.token) as connector:
            for i in range(8):
                connector.create(resource_of(values(f"p{i}@example.com"), MAPPING))
            found = connector.find_by_usernames([f"p{i}@example.com" for i in range(10)])
        tenant.client.close()
    assert sorted(found) == [f"p{i}@example.com" for i in range(8)]


def test_list_page_reads_pages_of_users(target):
    for i in range(5):
        target.create(f"list{i}@example.com")
    first = target.connector.list_page(1, 2)
    rest = target.connector.list_page(3, 10)
    assert (first.total_results, first.start_index, first.items_per_page) == (5, 1, 2)
    assert (rest.total_results, rest.start_index, rest.items_per_page) == (5, 3, 3)
    ids = [r.id for r in (*first.resources, *rest.resources)]
    assert len(set(ids)) == 5


# --- changes -----------------------------------------------------------------------------

CHANGES = {
    "a simple value": {"title": "Engineer"},
    "a sub-attribute": {"name__givenName": "Annie"},
    "an extension attribute": {ENTERPRISE_DEPARTMENT: "Sales"},
    "the work email": {WORK_EMAIL: "ann.work@example.com"},
    "cleared values": {"name__givenName": None, ENTERPRISE_DEPARTMENT: None, WORK_EMAIL: None},
    "deactivation": {"active": False},
    "the username": {"userName": "renamed@example.com"},
}


@pytest.mark.parametrize("change", list(CHANGES.values()), ids=list(CHANGES))
def test_patch_operations_are_accepted_and_read_back_as_desired(target, change):
    made = target.create("patch@example.com")
    wanted = values("patch@example.com", **change)
    ops = patch_operations(values_of(made.resource, MAPPING), wanted, MAPPING)
    answered = target.connector.patch(made.id, ops)
    assert answered is not None and values_of(answered.resource, MAPPING) == wanted
    stored = target.connector.get(made.id)
    assert stored is not None and values_of(stored.resource, MAPPING) == wanted


def test_an_email_removed_then_added_back_is_primary_again(target):
    made = target.create("again@example.com")
    gone = values("again@example.com", **{WORK_EMAIL: None})
    target.connector.patch(made.id, patch_operations(values("again@example.com"), gone, MAPPING))
    back = values("again@example.com", **{WORK_EMAIL: "back@example.com"})
    ops = patch_operations(gone, back, MAPPING)
    assert ops == [
        {
            "op": "add",
            "path": "emails",
            "value": [{"type": "work", "value": "back@example.com", "primary": True}],
        }
    ]
    answered = target.connector.patch(made.id, ops)
    assert answered is not None
    assert answered.resource["emails"] == [
        {"type": "work", "value": "back@example.com", "primary": True}
    ]


def test_put_sets_the_mapped_values_and_keeps_the_rest(target):
    made = target.connector.create(
        {**resource_of(values("put@example.com"), MAPPING), "nickName": "Nan"}
    )
    wanted = values(
        "put@example.com", title="Lead", name__givenName=None, **{WORK_EMAIL: "p2@example.com"}
    )
    replaced = target.connector.replace(made.id, replaced_resource(made.resource, wanted, MAPPING))
    assert values_of(replaced.resource, MAPPING) == wanted
    assert replaced.resource["nickName"] == "Nan"
    stored = target.connector.get(made.id)
    assert stored is not None and values_of(stored.resource, MAPPING) == wanted


def test_patch_and_put_of_a_vanished_user_are_gone(target):
    ops = [{"op": "replace", "path": "active", "value": False}]
    with pytest.raises(Gone) as caught:
        target.connector.patch("vanished", ops)
    assert caught.value.status == 404 and "PATCH /Users/vanished" in caught.value.message
    with pytest.raises(Gone):
        target.connector.replace("vanished", resource_of(values("v@example.com"), MAPPING))


def test_a_refused_value_is_rejected_with_the_targets_words(target):
    made = target.create("refused@example.com")
    with pytest.raises(Rejected) as caught:
        target.connector.patch(made.id, [{"op": "replace", "path": "active", "value": "maybe"}])
    assert caught.value.status == 400 and type(caught.value) is Rejected
    assert 'The application said: "' in caught.value.message


# --- delete ------------------------------------------------------------------------------


def test_delete_removes_the_user_and_a_second_delete_is_done_too(engine, provider):
    tenant = make_tenant(engine, provider, "generic")
    with ScimConnector(tenant.base, tenant.token) as connector:
        made = connector.create(resource_of(values("del@example.com"), MAPPING))
        connector.delete(made.id)
        assert connector.get(made.id) is None
        connector.delete(made.id)
    tenant.client.close()


def test_profitco_refuses_delete_as_rejected_with_its_advice(engine, provider):
    tenant = make_tenant(engine, provider, "profitco")
    with ScimConnector(provider.url + BASE_PATHS["profitco"], tenant.token) as connector:
        made = connector.create(resource_of(values("keep@example.com"), MAPPING))
        with pytest.raises(Rejected) as caught:
            connector.delete(made.id)
        assert connector.get(made.id) is not None
    tenant.client.close()
    assert caught.value.status == 405
    assert "set 'active' to false" in caught.value.message


# --- stop and transient failures -------------------------------------------------------------


def test_a_wrong_token_stops_the_application_without_showing_the_token(target):
    wrong = "wrong-" + target.tenant.token[6:]
    with ScimConnector(target.base_url, wrong) as connector:
        for call in (
            lambda: connector.create(resource_of(values("x@example.com"), MAPPING)),
            lambda: connector.find_by_username("x@example.com"),
            lambda: connector.get("some-id"),
        ):
            with pytest.raises(Stop) as caught:
                call()
            assert caught.value.status == 401
            assert "refused the token" in caught.value.message
            assert wrong[8:20] not in caught.value.message


def test_a_wrong_base_path_stops_the_application(target, provider):
    connector = ScimConnector(provider.url + "/wrong/v2", target.tenant.token)
    with connector, pytest.raises(Stop) as caught:
        connector.create(resource_of(values("x@example.com"), MAPPING))
    assert caught.value.status == 404 and "base URL or region is wrong" in caught.value.message


def test_an_unreachable_port_is_transient():
    connector = ScimConnector(f"http://127.0.0.1:{free_port()}/scim/v2", "token-1234", timeout=2)
    with connector, pytest.raises(Transient) as caught:
        connector.find_by_username("x@example.com")
    assert caught.value.status is None and "connection refused" in caught.value.message


def test_tls_to_a_plain_http_port_stops_the_application(provider):
    connector = ScimConnector(f"https://127.0.0.1:{provider.port}/scim/v2", "token-1234")
    with connector, pytest.raises(Stop) as caught:
        connector.get("some-id")
    assert "TLS handshake with 127.0.0.1" in caught.value.message


def test_a_target_that_never_answers_is_transient():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        base = f"http://127.0.0.1:{silent.getsockname()[1]}/scim/v2"
        connector = ScimConnector(base, "token-1234", timeout=0.3)
        with connector, pytest.raises(Transient) as caught:
            connector.get("some-id")
    assert "did not answer within 0.3 s" in caught.value.message


# --- misbehaving targets (FaultyProxy) ---------------------------------------------------


def test_429_is_rate_limited_with_the_retry_after_seconds(through):
    proxied, connector = through()
    proxied.proxy.fail("GET", "/Users", Fault.status(429, retry_after=7))
    with pytest.raises(RateLimited) as caught:
        connector.find_by_username("x@example.com")
    assert (caught.value.status, caught.value.retry_after) == (429, 7.0)
    assert "try again in 7 s" in caught.value.message


@pytest.mark.parametrize("code", [500, 502, 503, 408])
def test_server_errors_are_transient(through, code):
    proxied, connector = through()
    proxied.proxy.fail("POST", "/Users", Fault.status(code, retry_after=2 if code == 503 else None))
    with pytest.raises(Transient) as caught:
        connector.create(resource_of(values("t@example.com"), MAPPING))
    assert type(caught.value) is Transient and caught.value.status == code
    assert caught.value.retry_after == (2.0 if code == 503 else None)


def test_a_reset_connection_is_transient_and_the_next_call_works(through):
    proxied, connector = through()
    proxied.proxy.fail("POST", "/Users", Fault.after(Fault.reset()))
    with pytest.raises(Transient):
        connector.create(resource_of(values("reset@example.com"), MAPPING))
    with pytest.raises(AlreadyExists):  # the provider did create it before the reset
        connector.create(resource_of(values("reset@example.com"), MAPPING))
    assert connector.find_by_username("reset@example.com") is not None


def test_a_hanging_target_is_transient(through):
    proxied, connector = through(timeout=0.5)
    proxied.proxy.fail("GET", "/Users", Fault.hang(3))
    with pytest.raises(Transient) as caught:
        connector.get("some-id")
    assert "did not answer within 0.5 s" in caught.value.message


@pytest.mark.parametrize(
    ("code", "kind"), [(401, Stop), (403, Stop), (302, Stop), (413, Rejected), (422, Rejected)]
)
def test_other_statuses_map_to_their_outcome(through, code, kind):
    proxied, connector = through()
    proxied.proxy.fail("PATCH", "/Users", Fault.status(code))
    with pytest.raises(kind) as caught:
        connector.patch("some-id", [{"op": "replace", "path": "title", "value": "x"}])
    assert type(caught.value) is kind and caught.value.status == code


def test_409_on_a_patch_is_rejected_not_already_exists(through):
    proxied, connector = through()
    proxied.proxy.fail("PATCH", "/Users", Fault.status(409))
    with pytest.raises(Rejected) as caught:
        connector.patch("some-id", [{"op": "replace", "path": "title", "value": "x"}])
    assert type(caught.value) is Rejected


def test_400_uniqueness_on_create_is_already_exists(through):
    proxied, connector = through()
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": "400",
        "scimType": "uniqueness",
        "detail": "userName is taken",
    }
    proxied.proxy.fail("POST", "/Users", Fault.status(400, body=body))
    with pytest.raises(AlreadyExists) as caught:
        connector.create(resource_of(values("u@example.com"), MAPPING))
    assert 'The application said: "userName is taken"' in caught.value.message


def test_a_token_echoed_by_the_target_is_redacted(through):
    proxied, connector = through()
    token = proxied.token
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": "400",
        "detail": f"bad request from Bearer {token} (…{token[-12:]})",
    }
    proxied.proxy.fail("PATCH", "/Users", Fault.status(400, body=body))
    with pytest.raises(Rejected) as caught:
        connector.patch("some-id", [{"op": "replace", "path": "title", "value": "x"}])
    message = caught.value.message
    assert token not in message and token[-12:] not in message and "[token]" in message


@pytest.mark.parametrize("method", ["POST", "PUT", "GET"])
def test_a_2xx_without_a_resource_is_transient(through, method):
    proxied, connector = through()
    proxied.proxy.fail(method, "/Users", Fault.status(200, body={"ok": True}))
    call = {
        "POST": lambda: connector.create(resource_of(values("n@example.com"), MAPPING)),
        "PUT": lambda: connector.replace("some-id", {"userName": "n@example.com"}),
        "GET": lambda: connector.get("some-id"),
    }[method]
    with pytest.raises(Transient) as caught:
        call()
    assert "answered 200 without a SCIM resource" in caught.value.message


def test_rows_that_do_not_match_the_filter_are_ignored(through):
    proxied, connector = through()
    rows = [
        {"id": "1", "userName": "someone@example.com"},
        {"id": "2", "userName": "Wanted@example.com"},
    ]
    listing = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "Resources": rows}
    proxied.proxy.fail("GET", "/Users", Fault.status(200, body=listing), times=None)
    found = connector.find_by_username("wanted@EXAMPLE.com")
    assert found is not None and found.id == "2"
    assert connector.find_by_usernames(["x@example.com", "WANTED@example.com"]) == {
        "wanted@example.com": found
    }


@pytest.mark.parametrize("code", [400, 501])
def test_a_target_refusing_or_filters_is_asked_one_name_at_a_time_from_then_on(through, code):
    proxied, connector = through("profitco")
    proxied.proxy.script(lambda request: _refuse_or_filters(request, code))
    for name in ("a@example.com", "b@example.com"):
        connector.create(resource_of(values(name), MAPPING))
    names = ["a@example.com", "B@example.com", "c@example.com"]
    assert sorted(connector.find_by_usernames(names)) == ["a@example.com", "b@example.com"]
    assert len(_or_filters(proxied)) == 1
    assert sorted(connector.find_by_usernames(names)) == ["a@example.com", "b@example.com"]
    assert len(_or_filters(proxied)) == 1  # not asked again


def _filters(request: Request) -> list[str]:
    return parse_qs(request.query).get("filter", [])


def _refuse_or_filters(request: Request, code: int) -> Fault | None:
    if any(" or " in f for f in _filters(request)):
        return Fault.status(
            code,
            body={
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                "status": str(code),
                "scimType": "invalidFilter",
                "detail": "Only 'eq' filters are supported",
            },
        )
    return None


def _or_filters(proxied: Any) -> list[str]:
    return [f for r in proxied.proxy.calls("GET", "/Users") for f in _filters(r) if " or " in f]


# --- the requests themselves ---------------------------------------------------------------


def test_requests_carry_the_token_and_scim_media_types(through):
    proxied, connector = through()
    connector.create(resource_of(values("hdr@example.com"), MAPPING))
    (sent,) = proxied.proxy.calls("POST", "/Users")
    headers = {k.lower(): v for k, v in sent.headers}
    assert headers["authorization"] == f"Bearer {proxied.token}"
    assert headers["content-type"] == "application/scim+json"
    assert headers["accept"] == "application/scim+json, application/json"
    assert headers["user-agent"].startswith("scimhub/")


@pytest.mark.parametrize(
    ("remote_id", "path"),
    [("a/b", "/Users/a%2Fb"), ("..", "/Users/%2E%2E"), ("ü ?#", "/Users/%C3%BC%20%3F%23")],
)
def test_a_remote_id_is_always_one_path_segment(through, remote_id, path):
    proxied, connector = through()
    assert connector.get(remote_id) is None
    (sent,) = proxied.proxy.requests
    assert sent.target == proxied.proxy.prefix + path


def test_a_redirect_is_not_followed(through, provider):
    proxied, connector = through()
    location = f"{provider.url}/scim/v2/Users"
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": "302",
        "detail": f"moved to {location}",
    }
    proxied.proxy.script(lambda r: Fault.status(302, body=body))
    with pytest.raises(Stop) as caught:
        connector.list_page(1, 10)
    assert len(proxied.proxy.requests) == 1 and caught.value.status == 302


def test_one_connector_serves_many_threads(target):
    names = [f"t{i:02}@example.com" for i in range(40)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        made = list(pool.map(target.create, names))
    assert len({r.id for r in made}) == 40
    assert sorted(target.connector.find_by_usernames(names)) == names
