"""SSO Applications screens over real HTTP (both databases): the list and its search, the
add wizard, the General tab, the IdM tab against a real provider tenant (wrong token, right
token, the token refused while active, deactivation), User Groups, the provisioning log's
filters and pages, and deleting with the typed count (refused while IdM is active)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from html import unescape

import httpx
import pytest
from sqlalchemy import Engine

from conftest import LiveServer, Tenant, make_tenant
from scimhub.applications.idm_rules import TOKEN_RULE
from scimhub.applications.models import Application, IdmState
from scimhub.hub import Hub
from scimhub.problems import NotFound
from scimhub.provisioning.control import QUARANTINED, set_state
from scimhub.provisioning.log import LogEntry, write_log
from scimhub.storage.resources import now_utc

from .support import Admin, hidden_csrf, sign_in

HTMX = {"HX-Request": "true"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PROFITCO_PATH = "/app/rest/platform/auth/scim/v2"


@pytest.fixture
def csrf(client: httpx.Client, admin: Admin) -> str:
    """Signs ``client`` in; the session's CSRF token."""
    sign_in(client, admin)
    return hidden_csrf(client.get("/ui/").text)


@pytest.fixture
def target(engine: Engine, provider: LiveServer) -> Iterator[Tenant]:
    tenant = make_tenant(engine, provider, "profitco")
    yield tenant
    tenant.client.close()


def _label(prefix: str = "App") -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def _app(hub: Hub, label: str | None = None) -> Application:
    return hub.applications.create(catalog_key="profitco", label=label or _label())


def _flash(answer: httpx.Response) -> str:
    """Where a successful form went (303)."""
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"])


def _text(html: str) -> str:
    """The page's text, tags removed and spaces collapsed, for reading messages."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


# --- the list, the wizard, General ----------------------------------------------------------


def test_the_wizard_adds_an_application_with_its_image_and_offers_configure_or_close(
    client: httpx.Client, csrf: str, web_hub: Hub
) -> None:
    found = client.get("/ui/applications/new", params={"q": "profit"})
    assert found.status_code == 200
    assert "Profit.co" in found.text and "Generic SCIM" not in found.text
    details = client.get("/ui/applications/new/details", params={"catalog": "profitco"})
    assert 'value="Profit.co"' in details.text  # the label starts as the catalog name
    label = _label("Profit.co")
    form = {
        "csrf_token": csrf,
        "catalog": "profitco",
        "label": label,
        "description": "OKRs",
        "portal": "hide",
        "bookmark_url": "",
    }
    saved = client.post(
        "/ui/applications/new", data=form, files={"image": ("logo.png", PNG, "image/png")}
    )
    created = _flash(saved)
    assert re.fullmatch(r"/ui/applications/[0-9a-f-]+/created", created)
    app_id = created.split("/")[3]
    app = web_hub.applications.get(app_id)
    assert (app.label, app.description, app.show_in_portal) == (label, "OKRs", False)
    assert app.image_sha256 is not None
    page = client.get(created)
    assert f"Saved {label}." in page.text
    assert f'href="/ui/applications/{app_id}/idm">Configure Application<' in page.text
    assert 'href="/ui/applications">Close<' in page.text
    image = client.get(f"/ui/applications/{app_id}/image")
    assert (image.status_code, image.content) == (200, PNG)
    assert image.headers["content-type"] == "image/png"
    listed = client.get("/ui/applications", params={"q": label.split()[1]})
    assert label in listed.text and "Hidden" in listed.text


def test_the_wizard_shows_the_services_refusals_and_creates_nothing(
    client: httpx.Client, csrf: str, web_hub: Hub
) -> None:
    label = _label("Refused")
    form = {"csrf_token": csrf, "catalog": "profitco", "label": label, "portal": "show"}
    svg = ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml")
    answer = client.post("/ui/applications/new", data=form, files={"image": svg}, headers=HTMX)
    assert answer.status_code == 422
    assert answer.headers["hx-retarget"] == "#alert"
    assert "The image must be a PNG, JPEG, GIF or WebP file" in answer.text
    bad_url = form | {"bookmark_url": "javascript:alert(1)"}
    answer = client.post("/ui/applications/new", data=bad_url, headers=HTMX)
    assert "The bookmark URL must be an http(s) URL with a host" in answer.text
    no_label = form | {"label": "  "}
    assert (
        "The display label is required" in client.post("/ui/applications/new", data=no_label).text
    )
    assert web_hub.applications.list(q=label).items == []


def test_no_file_chosen_keeps_the_image_and_general_edits_the_settings(
    client: httpx.Client, csrf: str, web_hub: Hub
) -> None:
    app = _app(web_hub)
    web_hub.applications.set_image(app.id, PNG)
    before = web_hub.applications.get(app.id).image_sha256
    page = client.get(f"/ui/applications/{app.id}")
    assert page.status_code == 200
    assert 'aria-current="page">General<' in page.text
    assert f'href="/ui/applications/{app.id}/import">Import<' in page.text
    label = _label("Renamed")
    form = {
        "csrf_token": csrf,
        "label": label,
        "description": "new",
        "portal": "show",
        "bookmark_url": "https://okr.example.com/start",
    }
    empty_part = {"image": ("", b"", "application/octet-stream")}  # what a browser sends
    saved = client.post(f"/ui/applications/{app.id}", data=form, files=empty_part)
    assert _flash(saved) == f"/ui/applications/{app.id}"
    now = web_hub.applications.get(app.id)
    assert (now.label, now.bookmark_url) == (label, "https://okr.example.com/start")
    assert now.image_sha256 == before is not None  # no file chosen: the image stays
    removed = client.post(f"/ui/applications/{app.id}/image/remove", data={"csrf_token": csrf})
    _flash(removed)
    assert web_hub.applications.get(app.id).image_sha256 is None


def test_the_list_searches_by_label_and_pages_by_cursor(
    client: httpx.Client, csrf: str, web_hub: Hub
) -> None:
    tag = uuid.uuid4().hex[:8]
    for n in range(51):
        _app(web_hub, f"Paged {tag} {n:02d}")
    page = client.get("/ui/applications", params={"q": tag})
    assert f"Paged {tag} 49" in page.text and f"Paged {tag} 50" not in page.text
    more = re.search(r'href="([^"]*after=[^"]*)">Next page', page.text)
    assert more
    rest = client.get(more.group(1).replace("&amp;", "&"))
    assert f"Paged {tag} 50" in rest.text and f"Paged {tag} 49" not in rest.text
    assert "Next page" not in rest.text and "First page" in rest.text
    none = client.get("/ui/applications", params={"q": f"nothing-{tag}"})
    assert "No application label contains" in none.text


def test_the_screens_need_a_signed_in_admin(client: httpx.Client, web_hub: Hub) -> None:
    app = _app(web_hub)
    for path in ("/ui/applications", f"/ui/applications/{app.id}/idm"):
        answer = client.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/ui/sign-in?next=")


# --- Identity Management ---------------------------------------------------------------------


def test_activation_shows_why_a_wrong_token_fails_then_activates_with_the_right_one(
    client: httpx.Client, csrf: str, web_hub: Hub, target: Tenant, provider: LiveServer
) -> None:
    app = _app(web_hub)
    url = provider.url + PROFITCO_PATH
    tab = f"/ui/applications/{app.id}/idm"
    page = client.get(tab)
    assert "Default" in page.text and "European Union (EU)" in page.text
    wrong = {"csrf_token": csrf, "region": "custom", "base_url": url, "token": "wrong-token-1234"}
    failed = client.post(tab + "/activate", data=wrong, headers=HTMX)
    assert failed.status_code == 422
    assert "The token was rejected by the application (HTTP 401)" in failed.text
    assert web_hub.idm.get(app.id).state is IdmState.INACTIVE
    shown = _text(client.get(tab).text)
    assert "ending in …1234" in shown  # only the last four characters
    assert "wrong-token" not in shown

    right = wrong | {"token": target.token}
    done = client.post(tab + "/activate", data=right)
    assert _flash(done) == tab
    assert web_hub.idm.get(app.id).state is IdmState.ACTIVE
    page = _text(client.get(tab).text)
    assert "The Identity Management integration has been successfully verified." in page
    assert "Provisioning Running" in page
    assert target.token not in client.get(tab).text

    again = right | {"token": "another-token-5678"}
    refused = client.post(tab, data=again, headers=HTMX)
    assert refused.status_code == 409
    assert TOKEN_RULE in refused.text
    # The form repeating the saved choice changes nothing and is accepted.
    assert _flash(client.post(tab, data=right | {"token": ""})) == tab

    confirm = client.get(tab + "/deactivate")
    assert "Deactivate the IdM connection?" in confirm.text
    assert web_hub.idm.get(app.id).state is IdmState.ACTIVE  # asking changed nothing
    _flash(client.post(tab + "/deactivate", data={"csrf_token": csrf}))
    assert web_hub.idm.get(app.id).state is IdmState.INACTIVE
    assert "provisioning has stopped" in client.get(tab).text


def test_a_region_is_chosen_from_the_catalog_and_a_bad_base_url_is_refused(
    client: httpx.Client, csrf: str, web_hub: Hub
) -> None:
    app = _app(web_hub)
    tab = f"/ui/applications/{app.id}/idm"
    form = {"csrf_token": csrf, "region": "eu", "base_url": "", "token": "tok-abcd"}
    _flash(client.post(tab, data=form))
    idm = web_hub.idm.get(app.id)
    assert (idm.region, idm.token_last4) == ("eu", "abcd")
    assert 'value="eu" selected' in client.get(tab).text
    custom = {"csrf_token": csrf, "region": "custom", "base_url": "ftp://x.example", "token": ""}
    refused = client.post(tab, data=custom, headers=HTMX)
    assert refused.status_code == 422
    assert "The base URL must start with https://" in refused.text
    assert web_hub.idm.get(app.id).region == "eu"


def test_engine_quarantine_reason_is_shown_and_resume_ends_it(
    client: httpx.Client, csrf: str, web_hub: Hub, target: Tenant, provider: LiveServer
) -> None:
    app = _app(web_hub)
    web_hub.idm.activate(app.id, base_url=provider.url + PROFITCO_PATH, token=target.token)
    with web_hub.engine.begin() as conn:
        set_state(conn, app.id, QUARANTINED, "The token was rejected (HTTP 401)")
    tab = f"/ui/applications/{app.id}/idm"
    page = _text(client.get(tab).text)
    assert "Provisioning Quarantined : The token was rejected (HTTP 401)" in page
    _flash(client.post(tab + "/resume", data={"csrf_token": csrf}))
    assert web_hub.provisioning.status(app.id).state == "running"
    web_hub.idm.deactivate(app.id)


# --- User Groups, log ------------------------------------------------------------------------


def test_binding_and_unbinding_groups(client: httpx.Client, csrf: str, web_hub: Hub) -> None:
    app = _app(web_hub)
    group = web_hub.groups.add(name=f"Team {uuid.uuid4().hex[:8]}")
    tab = f"/ui/applications/{app.id}/groups"
    assert f'<option value="{group.name}">' in client.get(tab).text
    _flash(client.post(tab, data={"csrf_token": csrf, "group": group.name}))
    assert [b.group_name for b in web_hub.bindings.list(app.id)] == [group.name]
    assert f"Bound {group.name}" in client.get(tab).text
    missing = client.post(tab, data={"csrf_token": csrf, "group": "no-such-group"}, headers=HTMX)
    assert missing.status_code == 404
    assert "No user group named 'no-such-group'" in _text(missing.text)
    confirm = client.get(tab + "/unbind", params={"group": group.id})
    assert f"Unbind {group.name}?" in confirm.text
    _flash(client.post(tab + "/unbind", data={"csrf_token": csrf, "group": group.id}))
    assert web_hub.bindings.list(app.id) == []


def test_the_log_filters_by_user_and_outcome_and_pages_by_cursor(
    client: httpx.Client, csrf: str, web_hub: Hub
) -> None:
    app = _app(web_hub)
    start = now_utc() - timedelta(minutes=5)
    entries = [
        LogEntry(
            start + timedelta(seconds=n),
            app.id,
            None,
            "ann@example.com" if n % 2 else "bob@example.com",
            "create",
            "error" if n == 7 else "ok",
            f"POST /Users step-{n:02d}",
            http_status=400 if n == 7 else 201,
            message="userName is taken" if n == 7 else None,
        )
        for n in range(60)
    ]
    with web_hub.engine.begin() as conn:
        write_log(conn, entries)
    tab = f"/ui/applications/{app.id}/log"
    first = client.get(tab)
    assert "step-59" in first.text and "step-09" not in first.text  # 50 newest
    older = re.search(r'href="([^"]*after=[^"]*)">Older entries', first.text)
    assert older
    second = client.get(older.group(1).replace("&amp;", "&"))
    assert "step-09" in second.text and "step-59" not in second.text
    assert "Older entries" not in second.text
    failed = client.get(tab, params={"status": "error"})
    assert "step-07" in failed.text and "userName is taken" in failed.text
    assert "step-08" not in failed.text
    bob = client.get(tab, params={"user": "BOB@example.com"})
    assert "step-58" in bob.text and "step-59" not in bob.text
    unknown = client.get(tab, params={"status": "nope"})
    assert unknown.status_code == 422
    assert "Unknown status 'nope'" in _text(unknown.text)


# --- delete ----------------------------------------------------------------------------------


def test_delete_asks_for_the_count_and_is_refused_while_idm_is_active(
    client: httpx.Client, csrf: str, web_hub: Hub, target: Tenant, provider: LiveServer
) -> None:
    live, idle = _app(web_hub, _label("Live")), _app(web_hub, _label("Idle"))
    web_hub.idm.activate(live.id, base_url=provider.url + PROFITCO_PATH, token=target.token)
    confirm = client.get("/ui/applications/delete", params={"app": [live.id, idle.id]})
    assert "You are deleting 2 applications" in confirm.text
    assert "Delete Application" in confirm.text
    form = {"csrf_token": csrf, "app": [live.id, idle.id], "confirm_count": "1"}
    wrong = client.post("/ui/applications/delete", data=form, headers=HTMX)
    assert wrong.status_code == 409
    assert "enter 2 to confirm (got 1)" in wrong.text
    refused = client.post("/ui/applications/delete", data=form | {"confirm_count": "2"})
    assert refused.status_code == 409
    assert "the IdM integration is active" in refused.text
    assert "Nothing was deleted" in refused.text
    assert web_hub.applications.get(idle.id)  # nothing deleted
    web_hub.idm.deactivate(live.id)
    done = client.post("/ui/applications/delete", data=form | {"confirm_count": "2"})
    assert _flash(done) == "/ui/applications"
    shown = client.get("/ui/applications").text
    assert f"Deleted 2 applications: {live.label}, {idle.label}." in shown
    for app in (live, idle):
        with pytest.raises(NotFound):
            web_hub.applications.get(app.id)


def test_delete_without_csrf_or_a_typed_number_deletes_nothing(
    client: httpx.Client, csrf: str, web_hub: Hub
) -> None:
    app = _app(web_hub)
    form = {"app": [app.id], "confirm_count": "1"}
    assert client.post("/ui/applications/delete", data=form).status_code == 403
    words = form | {"csrf_token": csrf, "confirm_count": "one"}
    answer = client.post("/ui/applications/delete", data=words)
    assert answer.status_code == 422
    assert "Type the number of applications being deleted" in answer.text
    nothing = client.get("/ui/applications/delete")
    assert "No application was selected" in nothing.text
    assert web_hub.applications.get(app.id)
    # The panel's tabs are behind the same guard: no token, no change.
    renamed = {"label": "Renamed without a token", "portal": "show"}
    assert client.post(f"/ui/applications/{app.id}", data=renamed).status_code == 403
    assert web_hub.applications.get(app.id).label == app.label
