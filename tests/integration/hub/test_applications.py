"""Applications through the service: catalog, create, list, show, edit, image, delete."""

from __future__ import annotations

import struct
import zlib

import pytest
from sqlalchemy import func, select

from scimhub.applications.apps import Applications
from scimhub.applications.catalog import catalog_entry, search_catalog
from scimhub.applications.models import IdmState
from scimhub.hub import Hub
from scimhub.problems import Invalid, NotFound, Refused
from scimhub.storage.hub_tables import (
    app_group_bindings,
    application_images,
    applications,
    idm_integrations,
)

from .conftest import unique


def png(width: int = 1, height: int = 1) -> bytes:
    """A valid PNG of one grey pixel row per line."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def count(hub: Hub, table, app_id: str) -> int:
    column = table.c.id if table is applications else table.c.app_id
    with hub.engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(column == app_id)).scalar_one())


# --- catalog ----------------------------------------------------------------------------------


def test_catalog_search_finds_profitco_by_part_of_its_name_in_any_case():
    assert [e.key for e in search_catalog("PROFIT")] == ["profitco"]


def test_catalog_search_without_text_lists_every_connector():
    assert {e.key for e in search_catalog("")} == {"profitco", "scim2"}


def test_catalog_search_without_a_match_is_empty():
    assert search_catalog("no-such-connector") == []


def test_profitco_entry_has_default_and_eu_regions_and_cannot_delete_users():
    entry = catalog_entry("profitco")
    assert {r.key for r in entry.regions} == {"default", "eu"}
    assert entry.region("eu").base_url.startswith("https://eu2-app.profit.co/")
    assert entry.user_delete is False
    assert any("does not support deletion of a user" in n for n in entry.notes)


def test_unknown_catalog_key_is_not_found():
    with pytest.raises(NotFound, match="known: profitco, scim2"):
        catalog_entry("nosuch")


# --- create and show --------------------------------------------------------------------------


def test_create_stores_the_application_with_an_unconfigured_integration(hub):
    label = unique("Profit ")
    app = hub.applications.create(
        catalog_key="profitco",
        label=f"  {label}  ",
        description="OKRs",
        show_in_portal=False,
        bookmark_url="https://example.com/okr",
    )
    assert app.label == label
    again = hub.applications.get(app.id)
    assert again == app
    assert (again.catalog_key, again.description) == ("profitco", "OKRs")
    assert (again.show_in_portal, again.bookmark_url) == (False, "https://example.com/okr")
    assert again.idm_state is IdmState.UNCONFIGURED
    assert hub.idm.get(app.id).generation == 0


def test_created_timestamps_are_timezone_aware(hub):
    app = hub.applications.create(catalog_key="scim2", label=unique())
    stored = hub.applications.get(app.id)
    assert stored.created.utcoffset() is not None
    assert hub.idm.get(app.id).updated.utcoffset() is not None


def test_generic_application_starts_with_its_default_options(hub):
    app = hub.applications.create(catalog_key="scim2", label=unique())
    assert hub.idm.get(app.id).options == {"delete_users": False, "push_groups": False}


def test_create_from_an_unknown_connector_is_not_found_and_stores_nothing(hub):
    label = unique()
    with pytest.raises(NotFound):
        hub.applications.create(catalog_key="nosuch", label=label)
    assert hub.applications.list(q=label).items == []


@pytest.mark.parametrize("label", ["", "   "])
def test_create_without_a_label_is_invalid(hub, label):
    with pytest.raises(Invalid, match="label is required"):
        hub.applications.create(catalog_key="profitco", label=label)


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "javascript:alert(1)", "https://", "not a url"]
)
def test_create_with_a_bad_bookmark_url_is_invalid(hub, url):
    with pytest.raises(Invalid, match="bookmark URL"):
        hub.applications.create(catalog_key="profitco", label=unique(), bookmark_url=url)


def test_get_by_label_is_case_insensitive(hub):
    label = unique("Label")
    app = hub.applications.create(catalog_key="profitco", label=label)
    assert hub.applications.get(label.upper()).id == app.id


def test_get_by_a_label_two_applications_share_is_refused_and_names_their_ids(hub):
    label = unique()
    first = hub.applications.create(catalog_key="profitco", label=label)
    second = hub.applications.create(catalog_key="scim2", label=label)
    with pytest.raises(Refused, match="use an id") as caught:
        hub.applications.get(label)
    assert first.id in caught.value.detail and second.id in caught.value.detail


def test_get_unknown_application_is_not_found(hub):
    with pytest.raises(NotFound, match="no-such-app"):
        hub.applications.get("no-such-app")


# --- list -------------------------------------------------------------------------------------


def test_list_searches_labels_case_insensitively_and_orders_by_label(hub):
    stem = unique("Search")
    for name in ("Charlie", "alpha", "Bravo"):
        hub.applications.create(catalog_key="profitco", label=f"{stem} {name}")
    page = hub.applications.list(q=stem.upper())
    assert [a.label for a in page.items] == [f"{stem} alpha", f"{stem} Bravo", f"{stem} Charlie"]
    assert page.next_cursor is None


def test_list_search_treats_like_wildcards_literally(hub):
    stem = unique("Pct")
    hub.applications.create(catalog_key="profitco", label=f"{stem} 100%")
    hub.applications.create(catalog_key="profitco", label=f"{stem} 100x")
    assert [a.label for a in hub.applications.list(q=f"{stem} 100%").items] == [f"{stem} 100%"]
    assert [a.label for a in hub.applications.list(q=f"{stem} 10_x").items] == []


def test_list_walks_every_application_once_through_cursor_pages(hub):
    stem = unique("Page")
    made = {
        hub.applications.create(catalog_key="scim2", label=f"{stem} {i:02}").id for i in range(7)
    }
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = hub.applications.list(q=stem, limit=3, after=after)
        seen += [a.id for a in page.items]
        pages += 1
        if page.next_cursor is None:
            break
        after = page.next_cursor
    assert pages == 3
    assert len(seen) == len(set(seen)) == 7
    assert set(seen) == made


def test_list_with_a_forged_cursor_is_invalid(hub):
    with pytest.raises(Invalid, match="cursor"):
        hub.applications.list(after="not-a-cursor")


# --- edit -------------------------------------------------------------------------------------


def test_edit_changes_only_the_given_fields(hub):
    app = hub.applications.create(catalog_key="profitco", label=unique(), description="before")
    label = unique("Renamed")
    edited = hub.applications.edit(app.id, label=label, show_in_portal=False)
    assert (edited.label, edited.show_in_portal, edited.description) == (label, False, "before")
    assert hub.applications.get(label).id == app.id
    assert edited.updated >= app.updated


def test_edit_with_an_empty_bookmark_url_removes_it(hub):
    app = hub.applications.create(
        catalog_key="profitco", label=unique(), bookmark_url="https://example.com"
    )
    assert hub.applications.edit(app.id, bookmark_url="").bookmark_url is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"label": ""}, "label is required"),
        ({"label": None}, "label must be a string"),
        ({"bookmark_url": "mailto:x@example.com"}, "bookmark URL"),
        ({"show_in_portal": "yes"}, "true or false"),
        ({"catalog_key": "scim2"}, "Cannot edit catalog_key"),
        ({"label": "x" * 201}, "at most 200 characters"),
        ({"description": "a\x00b"}, "control character U\\+0000"),
    ],
)
def test_edit_with_invalid_values_is_refused_and_changes_nothing(hub, changes, message):
    label = unique()
    app = hub.applications.create(catalog_key="profitco", label=label)
    with pytest.raises(Invalid, match=message):
        hub.applications.edit(app.id, **changes)
    assert hub.applications.get(app.id) == app


# --- image ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "kind"), [(png(), "image/png"), (JPEG, "image/jpeg")])
def test_png_and_jpeg_images_are_stored_with_their_content_type(hub, data, kind):
    app = hub.applications.create(catalog_key="profitco", label=unique())
    image = hub.applications.set_image(app.id, data)
    assert image.content_type == kind
    stored = hub.applications.image(app.id)
    assert (stored.content_type, stored.data) == (kind, data)
    assert hub.applications.get(app.id).image_sha256 == image.sha256


def test_a_new_image_replaces_the_old_one(hub):
    app = hub.applications.create(catalog_key="profitco", label=unique())
    hub.applications.set_image(app.id, png())
    hub.applications.set_image(app.id, JPEG)
    assert hub.applications.image(app.id).data == JPEG
    assert count(hub, application_images, app.id) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (SVG, "PNG, JPEG, GIF or WebP"),
        (b"<?xml version='1.0'?>" + SVG, "PNG, JPEG, GIF or WebP"),
        (b"definitely not an image", "PNG, JPEG, GIF or WebP"),
        (b"", "empty"),
    ],
)
def test_svg_and_garbage_images_are_refused_and_nothing_is_stored(hub, data, message):
    app = hub.applications.create(catalog_key="profitco", label=unique())
    with pytest.raises(Invalid, match=message):
        hub.applications.set_image(app.id, data)
    assert hub.applications.get(app.id).image_sha256 is None


def test_an_image_over_the_size_limit_is_refused(hub):
    small = Applications(hub.engine, max_image_bytes=64)
    app = small.create(catalog_key="profitco", label=unique())
    with pytest.raises(Invalid, match="limit is 64 bytes"):
        small.set_image(app.id, png(64, 64))
    assert small.get(app.id).image_sha256 is None


def test_removing_the_image_leaves_none(hub):
    app = hub.applications.create(catalog_key="profitco", label=unique())
    hub.applications.set_image(app.id, png())
    hub.applications.remove_image(app.id)
    assert hub.applications.get(app.id).image_sha256 is None
    with pytest.raises(NotFound, match="no user portal image"):
        hub.applications.image(app.id)


# --- delete -----------------------------------------------------------------------------------


def test_delete_with_the_wrong_count_is_refused_and_deletes_nothing(hub):
    apps = [hub.applications.create(catalog_key="profitco", label=unique()) for _ in range(2)]
    with pytest.raises(Refused, match="enter 2 to confirm"):
        hub.applications.delete([a.id for a in apps], confirm_count=1)
    assert all(hub.applications.get(a.id) for a in apps)


def test_delete_with_the_right_count_deletes_them_all_and_their_rows(hub):
    group = hub.groups.add(name=unique("grp"))
    apps = [hub.applications.create(catalog_key="scim2", label=unique()) for _ in range(3)]
    for app in apps:
        hub.applications.set_image(app.id, png())
        hub.bindings.bind(app.id, [group.id])
        hub.idm.configure(app.id, base_url="https://scim.example.com/v2", token="tok-12345678")
    gone = hub.applications.delete([a.id for a in apps], confirm_count=3)
    assert {a.id for a in gone} == {a.id for a in apps}
    for app in apps:
        with pytest.raises(NotFound):
            hub.applications.get(app.id)
        for table in (applications, idm_integrations, application_images, app_group_bindings):
            assert count(hub, table, app.id) == 0, table.name
    assert hub.groups.get(group.id).id == group.id  # the group itself stays


def test_delete_counts_an_application_named_twice_once(hub):
    app = hub.applications.create(catalog_key="profitco", label=unique())
    assert [a.id for a in hub.applications.delete([app.id, app.label], confirm_count=1)] == [app.id]


def test_delete_of_an_unknown_application_is_not_found_and_deletes_nothing(hub):
    app = hub.applications.create(catalog_key="profitco", label=unique())
    with pytest.raises(NotFound):
        hub.applications.delete([app.id, "no-such-app"], confirm_count=2)
    assert hub.applications.get(app.id).id == app.id


def test_delete_of_nothing_is_invalid(hub):
    with pytest.raises(Invalid, match="at least one"):
        hub.applications.delete([], confirm_count=0)
