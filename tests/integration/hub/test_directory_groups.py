"""User groups and memberships through the service: names, pages, all-or-nothing members."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from scimhub.directory.groups import Groups
from scimhub.problems import Conflict, Invalid, NotFound

from .conftest import unique
from .test_directory_users import RecordingSink, SinkFailed, add, ensure_change_log, logged_ids


@pytest.fixture(scope="session")
def logged(engine):
    return ensure_change_log(engine)


@pytest.fixture
def sink(logged):
    return RecordingSink()


@pytest.fixture
def groups(hub, sink) -> Groups:
    """The groups service with the recording sink."""
    return Groups(hub.engine, sink)


def new_group(groups, **fields):
    return groups.add(name=fields.pop("name", None) or unique("Group "), **fields)


# --- add, get, list -------------------------------------------------------------------------


def test_add_stores_the_name_and_description_stripped(hub):
    name = unique("Engineering ")
    group = hub.groups.add(name=f"  {name} ", description=" Builds things ")
    assert (group.name, group.description, group.member_count) == (name, "Builds things", 0)
    assert group.created == group.updated
    assert group.created.utcoffset() is not None
    assert hub.groups.get(group.id) == group


def test_get_finds_a_group_by_id_or_by_name_in_any_case(hub):
    group = new_group(hub.groups)
    assert hub.groups.get(group.name.upper()) == group
    assert hub.groups.get(group.id) == group
    with pytest.raises(NotFound, match="No group with id or name 'no such group'"):
        hub.groups.get("no such group")


def test_a_group_name_taken_in_another_case_is_a_conflict(hub):
    group = new_group(hub.groups)
    with pytest.raises(Conflict, match=f"A group named '{group.name.lower()}' already exists"):
        hub.groups.add(name=group.name.lower())


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "   "}, "group name is required"),
        ({"name": "x" * 201}, "group name must be at most 200 characters"),
        ({"name": "a\x00b"}, "group name must not contain NUL"),
        ({"description": "x" * 2001}, "description must be at most 2000 characters"),
    ],
)
def test_invalid_group_fields_are_refused_naming_the_field(hub, fields, message):
    with pytest.raises(Invalid, match=message):
        hub.groups.add(**({"name": unique("G")} | fields))


def test_list_walks_every_page_in_name_order_and_searches_a_prefix(hub):
    stem = unique("Walk ")
    names = [f"{stem}{c}" for c in "dBaCe"]
    for name in names:
        hub.groups.add(name=name)
    seen, after = [], None
    while True:
        page = hub.groups.list(q=stem.upper(), limit=2, after=after)
        seen += [g.name for g in page.items]
        if (after := page.next_cursor) is None:
            break
    assert seen == sorted(names, key=str.lower)


# --- members --------------------------------------------------------------------------------


def test_add_members_by_id_or_username_reports_who_was_already_a_member(hub):
    group = new_group(hub.groups)
    ann, bob, cy = add(hub.users), add(hub.users), add(hub.users)
    first = hub.groups.add_members(group.name, [ann.id, bob.username.upper()])
    assert {u.id for u in first.changed} == {ann.id, bob.id}
    assert first.unchanged == []
    again = hub.groups.add_members(group.id, [bob.id, cy.username])
    assert [u.id for u in again.changed] == [cy.id]
    assert [u.id for u in again.unchanged] == [bob.id]
    assert again.group.member_count == 3
    assert hub.groups.get(group.id).member_count == 3


def test_naming_one_user_twice_adds_them_once(hub):
    group, ann = new_group(hub.groups), add(hub.users)
    change = hub.groups.add_members(group.id, [ann.id, ann.username, ann.username.upper()])
    assert [u.id for u in change.changed] == [ann.id]
    assert change.group.member_count == 1


def test_adding_unknown_users_changes_nothing_and_lists_every_unknown_ref(hub):
    group, ann = new_group(hub.groups), add(hub.users)
    with pytest.raises(NotFound) as caught:
        hub.groups.add_members(group.id, [ann.id, "ghost-one", "ghost-two"])
    assert "'ghost-one', 'ghost-two'" in caught.value.detail
    assert "no membership was changed" in caught.value.detail
    assert hub.groups.get(group.id).member_count == 0


def test_removing_unknown_users_changes_nothing(hub):
    group, ann = new_group(hub.groups), add(hub.users)
    hub.groups.add_members(group.id, [ann.id])
    with pytest.raises(NotFound, match="'ghost'"):
        hub.groups.remove_members(group.id, [ann.id, "ghost"])
    assert hub.groups.get(group.id).member_count == 1


def test_remove_members_reports_who_was_not_a_member(hub):
    group, ann, bob = new_group(hub.groups), add(hub.users), add(hub.users)
    hub.groups.add_members(group.id, [ann.id])
    change = hub.groups.remove_members(group.id, [ann.username, bob.id])
    assert [u.id for u in change.changed] == [ann.id]
    assert [u.id for u in change.unchanged] == [bob.id]
    assert change.group.member_count == 0
    assert hub.groups.groups_of(ann.id) == []


def test_membership_changes_need_at_least_one_user_and_a_known_group(hub):
    group = new_group(hub.groups)
    with pytest.raises(Invalid, match="at least one user"):
        hub.groups.add_members(group.id, [])
    with pytest.raises(NotFound, match="No group"):
        hub.groups.add_members(unique("nogroup"), [add(hub.users).id])


def test_a_membership_change_updates_the_group_time_and_a_no_op_does_not(hub):
    group, ann = new_group(hub.groups), add(hub.users)
    added = hub.groups.add_members(group.id, [ann.id]).group
    assert added.updated > group.updated
    assert hub.groups.add_members(group.id, [ann.id]).group.updated == added.updated


def test_members_walks_the_members_in_username_order(hub):
    group = new_group(hub.groups)
    stem = unique("m")
    members = [add(hub.users, username=f"{stem}-{n}") for n in (4, 1, 3, 0, 2)]
    add(hub.users, username=f"{stem}-outsider")
    hub.groups.add_members(group.id, [u.id for u in members])
    seen, after = [], None
    while True:
        page = hub.groups.members(group.name, limit=2, after=after)
        seen += [u.username for u in page.items]
        if (after := page.next_cursor) is None:
            break
    assert seen == [f"{stem}-{n}" for n in range(5)]


def test_groups_of_lists_a_users_groups_by_name(hub):
    ann = add(hub.users)
    stem = unique("Of ")
    b, a = hub.groups.add(name=f"{stem}b"), hub.groups.add(name=f"{stem}A")
    new_group(hub.groups)  # ann is not a member
    for group in (b, a):
        hub.groups.add_members(group.id, [ann.id])
    assert [g.name for g in hub.groups.groups_of(ann.username)] == [a.name, b.name]
    assert [g.member_count for g in hub.groups.groups_of(ann.id)] == [1, 1]
    with pytest.raises(NotFound):
        hub.groups.groups_of(unique("ghost"))


def test_deleting_a_group_keeps_its_users(hub):
    group, ann = new_group(hub.groups), add(hub.users)
    hub.groups.add_members(group.id, [ann.id])
    assert hub.groups.delete(group.name).id == group.id
    with pytest.raises(NotFound):
        hub.groups.get(group.id)
    assert hub.users.get(ann.id) == ann
    assert hub.groups.groups_of(ann.id) == []


# --- the change sink ------------------------------------------------------------------------


def test_membership_changes_tell_the_sink_only_about_the_users_they_change(groups, sink, hub):
    group, ann, bob = new_group(groups), add(hub.users), add(hub.users)
    groups.add_members(group.id, [ann.id])
    groups.add_members(group.id, [ann.id, bob.id])
    groups.add_members(group.id, [bob.id])  # no change: the sink is not called
    groups.remove_members(group.id, [ann.id, bob.id])
    assert [sorted(c.user_ids) for c in sink.calls] == [
        [ann.id],
        [bob.id],
        sorted([ann.id, bob.id]),
    ]
    assert all(c.in_write_tx for c in sink.calls)


def test_deleting_a_group_tells_the_sink_about_its_members_before_they_leave(groups, sink, hub):
    group, ann, bob = new_group(groups), add(hub.users), add(hub.users)
    groups.add_members(group.id, [ann.id, bob.id])
    groups.delete(group.id)
    assert sorted(sink.calls[-1].user_ids) == sorted([ann.id, bob.id])
    assert sink.calls[-1].in_write_tx


def test_deleting_an_empty_group_tells_the_sink_nothing(groups, sink):
    groups.delete(new_group(groups).id)
    assert sink.calls == []


def test_a_failing_sink_rolls_back_the_membership_change(hub, logged):
    group, ann = new_group(hub.groups), add(hub.users)
    failing = Groups(hub.engine, RecordingSink(fail=True))
    with pytest.raises(SinkFailed):
        failing.add_members(group.id, [ann.id])
    assert hub.groups.get(group.id).member_count == 0
    hub.groups.add_members(group.id, [ann.id])
    for attempt in (
        lambda: failing.remove_members(group.id, [ann.id]),
        lambda: failing.delete(group.id),
    ):
        with pytest.raises(SinkFailed):
            attempt()
    assert hub.groups.get(group.id).member_count == 1
    assert logged_ids(logged, [ann.id]) == set()


def test_concurrent_adds_of_one_member_add_them_once(groups, sink, hub):
    group, ann = new_group(groups), add(hub.users)
    with ThreadPoolExecutor(max_workers=4) as pool:
        changes = list(pool.map(lambda _: groups.add_members(group.id, [ann.id]), range(4)))
    assert sorted(len(c.changed) for c in changes) == [0, 0, 0, 1]
    assert hub.groups.get(group.id).member_count == 1
    assert sink.changed == [ann.id]


def test_a_group_can_be_renamed_and_described_but_not_onto_a_taken_name(hub):
    group = hub.groups.add(name=unique("old"))
    taken = hub.groups.add(name=unique("taken"))
    new_name = unique("New")
    renamed = hub.groups.edit(group.id, name=new_name, description="Renamed")
    assert (renamed.name, renamed.description) == (new_name, "Renamed")
    assert hub.groups.get(new_name.upper()).id == group.id
    with pytest.raises(Conflict, match="already exists"):
        hub.groups.edit(group.id, name=taken.name.upper())
    assert hub.groups.edit(group.id, name=new_name.lower()).name == new_name.lower()


def test_group_edit_over_the_api(api):
    created = api.post("/groups", json={"name": unique("api")}).json()
    r = api.patch(f"/groups/{created['id']}", json={"description": "Desc"})
    assert (r.status_code, r.json()["description"]) == (200, "Desc")
    assert api.patch(f"/groups/{created['id']}", json={"name": ""}).status_code == 422
    assert api.patch(f"/groups/{created['id']}", json={"name": 5}).status_code == 422
