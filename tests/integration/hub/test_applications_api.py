"""The applications side of the hub's REST API, over real HTTP on loopback."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import httpx
import pytest

from conftest import LiveServer
from scimhub.api import create_api
from scimhub.applications.idm import TOKEN_RULE
from scimhub.config import Settings
from scimhub.problems import Invalid
from scimhub.storage.tenants import TenantStore

from .conftest import unique
from .test_applications import JPEG, SVG, png
from .test_idm_lifecycle import FAILURES, PROFITCO_PATH, failing_target

MISSING = object()
EU_URL = "https://eu2-app.profit.co/app/rest/platform/auth/scim/v2"


def new_app(api: httpx.Client, catalog_key: str = "scim2", **fields: object) -> dict:
    response = api.post(
        "/applications", json={"catalog_key": catalog_key, "label": unique("Api "), **fields}
    )
    assert response.status_code == 201, response.text
    return response.json()


def problem(response: httpx.Response, status: int, code: str) -> str:
    """The ``detail`` of an error response, after checking its status and code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error"] == code, body
    assert isinstance(body["detail"], str) and body["detail"]
    return str(body["detail"])


@pytest.fixture
def activated(api, tenant) -> dict:
    """A generic application activated against the generic tenant over the API."""
    app = new_app(api)
    body = {"base_url": tenant.base, "token": tenant.token}
    response = api.post(f"/applications/{app['id']}/idm/activate", json=body)
    assert response.status_code == 200, response.text
    return app


@pytest.fixture(scope="module")
def quick_server(hub) -> Iterator[LiveServer]:
    """The API on the same database with a one-second verification budget."""
    settings = Settings(data_dir=hub.settings.data_dir, idm_verify_timeout_seconds=1)
    with LiveServer(create_api(settings, hub.engine)) as live:
        yield live


@pytest.fixture
def quick_api(quick_server, api_key) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=f"{quick_server.url}/api/v1",
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=30,
    ) as client:
        yield client


# --- authentication and the OpenAPI document --------------------------------------------------


def test_requests_without_a_key_are_401_with_a_bearer_challenge(hub_server):
    response = httpx.get(f"{hub_server.url}/api/v1/applications")
    assert problem(response, 401, "unauthorized").startswith("Send an API key")
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "authorization", ["Bearer shk_unknown-key", "Basic dXNlcjpwYXNz", "Bearer"]
)
def test_requests_with_an_unknown_or_malformed_key_are_401(hub_server, authorization):
    response = httpx.get(
        f"{hub_server.url}/api/v1/catalog", headers={"Authorization": authorization}
    )
    assert response.status_code == 401


def test_a_revoked_key_is_401_from_then_on(hub, hub_server):
    key, info = hub.api_keys.create(unique("revoke-me"))
    url, headers = f"{hub_server.url}/api/v1/catalog", {"Authorization": f"Bearer {key}"}
    assert httpx.get(url, headers=headers).status_code == 200
    hub.api_keys.revoke(info.prefix)
    assert problem(httpx.get(url, headers=headers), 401, "unauthorized") == (
        "The API key is unknown or revoked"
    )


@pytest.mark.parametrize("prefix", ["", "   "])
def test_revoking_a_key_needs_its_prefix_or_id(hub, prefix):
    key, info = hub.api_keys.create(unique("kept"))
    with pytest.raises(Invalid, match="prefix or id"):
        hub.api_keys.revoke(prefix)
    assert hub.api_keys.authenticate(key).id == info.id


def test_the_openapi_document_lists_the_application_paths(hub_server):
    document = httpx.get(f"{hub_server.url}/openapi.json").json()
    paths = document["paths"]
    for path, methods in {
        "/api/v1/catalog": {"get"},
        "/api/v1/catalog/{key}": {"get"},
        "/api/v1/applications": {"get", "post"},
        "/api/v1/applications/delete": {"post"},
        "/api/v1/applications/{ref}": {"get", "patch", "delete"},
        "/api/v1/applications/{ref}/image": {"get", "put", "delete"},
        "/api/v1/applications/{ref}/groups": {"get", "post"},
        "/api/v1/applications/{ref}/groups/unbind": {"post"},
        "/api/v1/applications/{ref}/idm": {"get", "put"},
        "/api/v1/applications/{ref}/idm/activate": {"post"},
        "/api/v1/applications/{ref}/idm/deactivate": {"post"},
    }.items():
        assert methods <= set(paths[path]), path
    assert "HTTPBearer" in document["components"]["securitySchemes"]
    token_field = document["components"]["schemas"]["IdmIn"]["properties"]["token"]
    assert "write-only" in token_field["description"]


# --- catalog ----------------------------------------------------------------------------------


def test_catalog_search_finds_profitco_with_its_regions(api):
    response = api.get("/catalog", params={"q": "profit"})
    assert response.status_code == 200
    (entry,) = response.json()
    assert (entry["key"], entry["name"], entry["user_delete"]) == ("profitco", "Profit.co", False)
    assert {r["key"]: r["base_url"] for r in entry["regions"]}["eu"] == EU_URL


def test_catalog_search_without_a_match_is_an_empty_list(api):
    assert api.get("/catalog", params={"q": "nothing-like-this"}).json() == []


def test_catalog_entry_by_key_and_an_unknown_key(api):
    assert api.get("/catalog/scim2").json()["reads_service_provider_config"] is True
    assert "known: profitco, scim2" in problem(api.get("/catalog/nosuch"), 404, "not_found")


# --- create, show, list, edit -----------------------------------------------------------------


def test_create_returns_201_with_a_location_that_shows_the_application(api):
    label = unique("Created ")
    response = api.post(
        "/applications",
        json={
            "catalog_key": "profitco",
            "label": label,
            "description": "OKRs",
            "show_in_portal": False,
            "bookmark_url": "https://okr.example.com",
        },
    )
    assert response.status_code == 201
    created = response.json()
    assert response.headers["location"] == f"/api/v1/applications/{created['id']}"
    assert api.get(response.headers["location"].removeprefix("/api/v1")).json() == created
    assert created["idm_state"] == "unconfigured"
    assert (created["show_in_portal"], created["bookmark_url"]) == (
        False,
        "https://okr.example.com",
    )
    assert created["created"].endswith(("Z", "+00:00"))


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"catalog_key": "profitco", "label": MISSING}, 422, "label"),
        ({"catalog_key": "profitco", "label": "  "}, 422, "label is required"),
        ({"catalog_key": "profitco", "bookmark_url": "ftp://x"}, 422, "bookmark"),
        ({"catalog_key": "profitco", "colour": "red"}, 422, "colour"),
        ({"catalog_key": "profitco", "label": 5}, 422, "label"),
        ({"catalog_key": "profitco", "show_in_portal": "yes"}, 422, "show_in_portal"),
        ({"catalog_key": "nosuch"}, 404, "nosuch"),
    ],
)
def test_create_with_bad_input_is_refused_with_the_reason(api, body, status, says):
    label = unique("Refused ")
    payload = {k: v for k, v in ({"label": label} | body).items() if v is not MISSING}
    response = api.post("/applications", json=payload)
    assert response.status_code == status, response.text
    assert says in response.json()["detail"]
    assert api.get("/applications", params={"q": label}).json()["items"] == []


def test_show_by_unique_label_and_unknown_is_404(api):
    app = new_app(api)
    assert api.get(f"/applications/{app['label']}").json()["id"] == app["id"]
    assert "no-such-app" in problem(api.get("/applications/no-such-app"), 404, "not_found")


def test_list_searches_and_walks_cursor_pages(api):
    stem = unique("Paged ")
    made = [new_app(api, label=f"{stem}{i}")["id"] for i in range(5)]
    seen, after = [], None
    while True:
        params = {"q": stem.upper(), "limit": 2} | ({"after": after} if after else {})
        page = api.get("/applications", params=params).json()
        seen += [a["id"] for a in page["items"]]
        after = page["next_cursor"]
        if after is None:
            break
    assert seen == made  # ordered by label, each once


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": 501}, {"limit": "ten"}, {"after": "garbage!"}]
)
def test_list_with_bad_parameters_is_422(api, params):
    problem(api.get("/applications", params=params), 422, "invalid")


def test_edit_changes_the_given_fields(api):
    app = new_app(api, description="keep me")
    label = unique("Edited ")
    response = api.patch(
        f"/applications/{app['id']}", json={"label": label, "show_in_portal": False}
    )
    assert response.status_code == 200
    edited = response.json()
    assert (edited["label"], edited["show_in_portal"], edited["description"]) == (
        label,
        False,
        "keep me",
    )
    assert api.get(f"/applications/{app['id']}").json() == edited


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"label": ""}, "label is required"),
        ({"label": None}, "label must be a string"),
        ({"bookmark_url": "javascript:alert(1)"}, "bookmark URL"),
        ({"catalog_key": "profitco"}, "catalog_key"),
        ({"show_in_portal": 1}, "show_in_portal"),
    ],
)
def test_edit_with_bad_input_is_422_and_changes_nothing(api, body, says):
    app = new_app(api)
    assert says in problem(api.patch(f"/applications/{app['id']}", json=body), 422, "invalid")
    assert api.get(f"/applications/{app['id']}").json() == app


# --- image ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "kind"), [(png(), "image/png"), (JPEG, "image/jpeg")])
def test_an_uploaded_image_is_served_back_with_its_content_type(api, data, kind):
    app = new_app(api)
    response = api.put(f"/applications/{app['id']}/image", content=data)
    assert response.status_code == 200
    digest = hashlib.sha256(data).hexdigest()
    assert response.json() == {"content_type": kind, "sha256": digest, "size": len(data)}
    served = api.get(f"/applications/{app['id']}/image")
    assert served.status_code == 200
    assert served.content == data
    assert served.headers["content-type"] == kind
    assert served.headers["x-content-type-options"] == "nosniff"
    assert api.get(f"/applications/{app['id']}").json()["image_sha256"] == digest


@pytest.mark.parametrize("data", [SVG, b"GIF88a not really", b"%PDF-1.7"])
def test_svg_and_garbage_images_are_422(api, data):
    app = new_app(api)
    detail = problem(api.put(f"/applications/{app['id']}/image", content=data), 422, "invalid")
    assert "PNG, JPEG, GIF or WebP" in detail
    problem(api.get(f"/applications/{app['id']}/image"), 404, "not_found")


def test_an_image_larger_than_the_request_limit_is_413(api, hub):
    app = new_app(api)
    data = png() + b"\x00" * hub.settings.max_body_bytes
    assert "exceeds" in problem(
        api.put(f"/applications/{app['id']}/image", content=data), 413, "too_large"
    )
    assert api.get(f"/applications/{app['id']}").json()["image_sha256"] is None


def test_deleting_the_image_leaves_none(api):
    app = new_app(api)
    api.put(f"/applications/{app['id']}/image", content=png())
    assert api.delete(f"/applications/{app['id']}/image").status_code == 204
    problem(api.get(f"/applications/{app['id']}/image"), 404, "not_found")
    assert api.get(f"/applications/{app['id']}").json()["image_sha256"] is None


# --- bindings ---------------------------------------------------------------------------------


def test_bind_list_and_unbind_groups(api, hub):
    app = new_app(api)
    group = hub.groups.add(name=unique("Api group "))
    member = hub.users.add(username=(name := unique("m")), email=f"{name}@example.com")
    hub.groups.add_members(group.id, [member.id])
    bound = api.post(f"/applications/{app['id']}/groups", json={"groups": [group.name]})
    assert bound.json() == {"changed": [group.name], "unchanged": []}
    again = api.post(f"/applications/{app['id']}/groups", json={"groups": [group.id]})
    assert again.json() == {"changed": [], "unchanged": [group.name]}
    (listed,) = api.get(f"/applications/{app['id']}/groups").json()
    assert (listed["group_id"], listed["group_name"], listed["member_count"]) == (
        group.id,
        group.name,
        1,
    )
    unbound = api.post(f"/applications/{app['id']}/groups/unbind", json={"groups": [group.id]})
    assert unbound.json() == {"changed": [group.name], "unchanged": []}
    assert api.get(f"/applications/{app['id']}/groups").json() == []


def test_binding_an_unknown_group_is_404_and_binds_nothing(api, hub):
    app = new_app(api)
    known = hub.groups.add(name=unique("Known "))
    response = api.post(
        f"/applications/{app['id']}/groups", json={"groups": [known.name, "ghost-group"]}
    )
    assert "'ghost-group'" in problem(response, 404, "not_found")
    assert api.get(f"/applications/{app['id']}/groups").json() == []


def test_binding_with_a_malformed_body_is_422(api):
    app = new_app(api)
    problem(api.post(f"/applications/{app['id']}/groups", json={"groups": "x"}), 422, "invalid")
    problem(api.post(f"/applications/{app['id']}/groups", json={"groups": []}), 422, "invalid")


# --- IdM configuration ------------------------------------------------------------------------


def test_region_eu_sets_the_eu_base_url(api):
    app = new_app(api, "profitco")
    response = api.put(f"/applications/{app['id']}/idm", json={"region": "eu"})
    assert response.status_code == 200
    assert (response.json()["region"], response.json()["base_url"]) == ("eu", EU_URL)
    assert response.json()["state"] == "unconfigured"


def test_a_typed_base_url_loses_its_trailing_slash(api):
    app = new_app(api)
    response = api.put(
        f"/applications/{app['id']}/idm", json={"base_url": "https://Scim.Example.com/v2/"}
    )
    assert response.json()["base_url"] == "https://scim.example.com/v2"


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"region": "mars"}, "no region 'mars'"),
        ({"region": "eu", "base_url": "https://okr.example.com/v2"}, "not both"),
        ({"base_url": "http://okr.example.com/v2"}, "must use https"),
        ({"options": {"delete_users": True}}, "does not support deletion of a user"),
        ({"options": {"delete_users": "true"}}, "options.delete_users"),
        ({"token": ["not", "text"]}, "token"),
        ({"password": "x"}, "password"),
    ],
)
def test_bad_idm_configuration_is_422_and_changes_nothing(api, body, says):
    app = new_app(api, "profitco")
    before = api.get(f"/applications/{app['id']}/idm").json()
    assert says in problem(api.put(f"/applications/{app['id']}/idm", json=body), 422, "invalid")
    assert api.get(f"/applications/{app['id']}/idm").json() == before


def test_generic_options_are_accepted(api):
    app = new_app(api)
    response = api.put(
        f"/applications/{app['id']}/idm",
        json={"options": {"delete_users": True, "push_groups": False}},
    )
    assert response.json()["options"] == {"delete_users": True, "push_groups": False}
    refused = api.put(f"/applications/{app['id']}/idm", json={"options": {"push_groups": True}})
    assert refused.status_code == 422
    assert "Pushing groups is not available yet" in refused.json()["detail"]


def test_the_token_is_write_only_and_shown_by_its_last_four_characters(api):
    app = new_app(api)
    token = unique("api-secret-token-") + "WXYZ"
    response = api.put(
        f"/applications/{app['id']}/idm",
        json={"base_url": "https://scim.example.com/v2", "token": token},
    )
    assert response.json()["token_hint"] == "…WXYZ"
    assert response.json()["state"] == "inactive"
    shown = api.get(f"/applications/{app['id']}/idm")
    for r in (response, shown):
        assert token not in r.text and token[:-4] not in r.text
        assert "token" not in r.json()


# --- activation -------------------------------------------------------------------------------


def test_profitco_activates_over_the_api_with_a_typed_base_url(api, provider, profitco):
    app = new_app(api, "profitco")
    base = f"{provider.url}{PROFITCO_PATH}"
    body = {"base_url": base, "token": profitco.token}
    assert api.put(f"/applications/{app['id']}/idm", json=body).status_code == 200
    response = api.post(f"/applications/{app['id']}/idm/activate")
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["activated"], result["outcome"]) == (True, "verified")
    assert (
        result["message"] == "The Identity Management integration has been successfully verified."
    )
    assert result["idm"]["state"] == "active" and result["idm"]["base_url"] == base
    assert result["idm"]["token_hint"] == f"…{profitco.token[-4:]}"
    assert profitco.token not in response.text
    assert api.get(f"/applications/{app['id']}").json()["idm_state"] == "active"


def test_generic_activation_stores_the_capabilities_of_the_target(api, activated):
    idm = api.get(f"/applications/{activated['id']}/idm").json()
    assert idm["state"] == "active"
    assert idm["capabilities"]["source"] == "ServiceProviderConfig"
    assert idm["capabilities"]["groups"] is True
    assert idm["last_check"]["outcome"] == "verified"


@pytest.mark.parametrize("reason", FAILURES)
def test_a_failed_activation_is_422_with_the_outcome_and_stays_inactive(quick_api, tenant, reason):
    app = new_app(quick_api)
    with failing_target(reason, tenant) as bad:
        body = {"base_url": bad.base_url, "token": bad.token}
        response = quick_api.post(f"/applications/{app['id']}/idm/activate", json=body)
    detail = problem(response, 422, "verification_failed")
    assert response.json()["outcome"] == bad.outcome
    assert response.json()["status_code"] == bad.status_code
    assert bad.says in detail
    assert bad.token not in response.text
    idm = quick_api.get(f"/applications/{app['id']}/idm").json()
    assert idm["state"] == "inactive" and idm["activated_at"] is None
    assert idm["last_check"]["outcome"] == bad.outcome


def test_activating_with_an_empty_token_is_422_and_keeps_the_integration(api, activated):
    response = api.post(f"/applications/{activated['id']}/idm/activate", json={"token": ""})
    assert "token is empty" in problem(response, 422, "invalid")
    assert api.get(f"/applications/{activated['id']}/idm").json()["state"] == "active"


def test_activating_an_unconfigured_integration_is_422(api):
    app = new_app(api)
    assert "Enter the base URL" in problem(
        api.post(f"/applications/{app['id']}/idm/activate"), 422, "invalid"
    )


# --- the token rule, deactivation and deletion ------------------------------------------------


def test_the_token_cannot_change_while_active_but_can_after_deactivating(
    api, engine, activated, tenant
):
    url = f"/applications/{activated['id']}/idm"
    refused = api.put(url, json={"token": "scim_replacement_token_1234"})
    assert problem(refused, 409, "refused") == TOKEN_RULE
    assert api.get(url).json()["token_hint"] == f"…{tenant.token[-4:]}"

    deactivated = api.post(f"{url}/deactivate")
    assert deactivated.status_code == 200 and deactivated.json()["state"] == "inactive"
    fresh, _ = TenantStore(engine).create_token(tenant.name)
    changed = api.put(url, json={"token": fresh})
    assert changed.status_code == 200 and changed.json()["token_hint"] == f"…{fresh[-4:]}"
    reactivated = api.post(f"{url}/activate")
    assert reactivated.status_code == 200 and reactivated.json()["idm"]["state"] == "active"
    for response in (refused, deactivated, changed, reactivated):
        assert tenant.token not in response.text and fresh not in response.text


def test_the_base_url_cannot_change_while_active(api, activated, tenant):
    url = f"/applications/{activated['id']}/idm"
    response = api.put(url, json={"base_url": "https://elsewhere.example.com/scim/v2"})
    assert "base URL cannot be changed" in problem(response, 409, "refused")
    assert api.get(url).json()["base_url"] == tenant.base


def test_deactivate_stops_the_integration_and_a_second_deactivate_is_refused(api, activated):
    url = f"/applications/{activated['id']}/idm/deactivate"
    first = api.post(url)
    assert first.status_code == 200
    assert first.json()["state"] == "inactive" and first.json()["deactivated_at"]
    assert "not active" in problem(api.post(url), 409, "refused")


def test_deleting_an_active_application_is_refused_and_names_it(api, activated):
    response = api.delete(f"/applications/{activated['id']}", params={"confirm_count": 1})
    assert f"'{activated['label']}'" in problem(response, 409, "refused")
    assert api.get(f"/applications/{activated['id']}").status_code == 200


def test_deleting_several_with_one_active_deletes_none(api, activated):
    idle = new_app(api)
    body = {"applications": [idle["id"], activated["id"]], "confirm_count": 2}
    detail = problem(api.post("/applications/delete", json=body), 409, "refused")
    assert f"'{activated['label']}'" in detail and idle["label"] not in detail
    for app in (idle, activated):
        assert api.get(f"/applications/{app['id']}").status_code == 200


def test_delete_by_count_refuses_a_wrong_count_and_deletes_with_the_right_one(api, hub):
    apps = [new_app(api) for _ in range(3)]
    group = hub.groups.add(name=unique("Del group "))
    for app in apps:
        api.put(f"/applications/{app['id']}/image", content=png())
        api.post(f"/applications/{app['id']}/groups", json={"groups": [group.id]})
    ids = [a["id"] for a in apps]
    wrong = api.post("/applications/delete", json={"applications": ids, "confirm_count": 2})
    assert "enter 3 to confirm" in problem(wrong, 409, "refused")
    assert all(api.get(f"/applications/{i}").status_code == 200 for i in ids)
    right = api.post("/applications/delete", json={"applications": ids, "confirm_count": 3})
    assert right.status_code == 200
    assert right.json()["message"] == "3 application(s) deleted"
    assert sorted(a["id"] for a in right.json()["deleted"]) == sorted(ids)
    for i in ids:
        problem(api.get(f"/applications/{i}"), 404, "not_found")
        problem(api.get(f"/applications/{i}/idm"), 404, "not_found")
    assert hub.bindings.applications_of_group(group.id) == []


def test_delete_one_needs_its_count(api):
    app = new_app(api)
    problem(api.delete(f"/applications/{app['id']}"), 422, "invalid")
    problem(api.delete(f"/applications/{app['id']}", params={"confirm_count": 2}), 409, "refused")
    assert api.delete(f"/applications/{app['id']}", params={"confirm_count": 1}).status_code == 204
    problem(api.get(f"/applications/{app['id']}"), 404, "not_found")


# --- malformed requests -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", ""),
        ("PATCH", ""),
        ("GET", "/image"),
        ("GET", "/groups"),
        ("GET", "/idm"),
        ("PUT", "/idm"),
        ("POST", "/idm/activate"),
        ("POST", "/idm/deactivate"),
    ],
)
def test_every_route_of_an_unknown_application_is_404(api, method, path):
    response = api.request(method, f"/applications/no-such-app{path}", json={})
    problem(response, 404, "not_found")


@pytest.mark.parametrize(
    ("path", "content"),
    [
        ("/applications", b'{"catalog_key": "scim2", "label": '),
        ("/applications", b"[1, 2]"),
        ("/applications", b'{"catalog_key": "scim2", "label": {"a": 1}}'),
        ("/applications/delete", b'{"applications": "x", "confirm_count": 1}'),
        ("/applications/delete", b'{"applications": ["x"], "confirm_count": "1"}'),
        ("/applications/delete", b"\xff\xfe not utf-8"),
    ],
)
def test_malformed_json_or_wrong_types_are_422_not_500(api, path, content):
    response = api.post(path, content=content, headers={"Content-Type": "application/json"})
    assert problem(response, 422, "invalid").startswith("The request is not valid")


def test_an_oversized_body_is_413(api, hub):
    body = b'{"catalog_key": "scim2", "label": "' + b"x" * hub.settings.max_body_bytes + b'"}'
    response = api.post("/applications", content=body, headers={"Content-Type": "application/json"})
    problem(response, 413, "too_large")


def test_an_oversized_chunked_body_is_413_too(api, hub):
    def chunks() -> Iterator[bytes]:
        yield b'{"catalog_key": "scim2", "label": "'
        for _ in range(hub.settings.max_body_bytes // 8192 + 2):
            yield b"x" * 8192
        yield b'"}'

    response = api.post(
        "/applications", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    problem(response, 413, "too_large")
