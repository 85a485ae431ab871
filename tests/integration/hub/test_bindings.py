"""Group bindings through the service: bind, unbind, list with member counts."""

from __future__ import annotations

import pytest

from scimhub.applications.bindings import Bindings
from scimhub.problems import Invalid, NotFound

from .conftest import unique
from .test_idm_lifecycle import RecordingScope


@pytest.fixture
def app(hub):
    return hub.applications.create(catalog_key="profitco", label=unique("Bound "))


def group_with_members(hub, members: int):
    group = hub.groups.add(name=unique("Group "))
    users = [
        hub.users.add(username=(name := unique("user")), email=f"{name}@example.com")
        for _ in range(members)
    ]
    if users:
        hub.groups.add_members(group.id, [u.id for u in users])
    return group


def test_bind_binds_the_groups_and_list_shows_their_member_counts(hub, app):
    three, none = group_with_members(hub, 3), group_with_members(hub, 0)
    change = hub.bindings.bind(app.id, [three.name, none.id])
    assert sorted(change.changed) == sorted([three.name, none.name])
    assert change.unchanged == []
    listed = {b.group_name: b.member_count for b in hub.bindings.list(app.id)}
    assert listed == {three.name: 3, none.name: 0}


def test_list_counts_members_added_after_binding(hub, app):
    group = group_with_members(hub, 1)
    hub.bindings.bind(app.id, [group.id])
    user = hub.users.add(username=(name := unique("late")), email=f"{name}@example.com")
    hub.groups.add_members(group.id, [user.id])
    (binding,) = hub.bindings.list(app.id)
    assert (binding.group_id, binding.member_count) == (group.id, 2)
    assert binding.created.utcoffset() is not None


def test_list_orders_bindings_by_group_name(hub, app):
    stem = unique("Order ")
    for name in ("c", "A", "b"):
        hub.groups.add(name=f"{stem}{name}")
    hub.bindings.bind(app.id, [f"{stem}c", f"{stem}A", f"{stem}b"])
    assert [b.group_name for b in hub.bindings.list(app.id)] == [
        f"{stem}A",
        f"{stem}b",
        f"{stem}c",
    ]


def test_binding_a_group_by_name_ignores_case(hub, app):
    group = hub.groups.add(name=unique("MixedCase"))
    assert hub.bindings.bind(app.id, [group.name.upper()]).changed == [group.name]
    assert [b.group_id for b in hub.bindings.list(app.id)] == [group.id]


def test_binding_an_already_bound_group_reports_it_unchanged(hub, app):
    bound, fresh = group_with_members(hub, 1), group_with_members(hub, 0)
    hub.bindings.bind(app.id, [bound.id])
    change = hub.bindings.bind(app.id, [bound.name, fresh.name])
    assert (change.changed, change.unchanged) == ([fresh.name], [bound.name])
    assert len(hub.bindings.list(app.id)) == 2


def test_naming_a_group_twice_binds_it_once(hub, app):
    group = hub.groups.add(name=unique("Twice"))
    change = hub.bindings.bind(app.id, [group.id, group.name, group.name.lower()])
    assert change.changed == [group.name]
    assert len(hub.bindings.list(app.id)) == 1


def test_binding_an_unknown_group_is_not_found_and_binds_nothing(hub, app):
    known = hub.groups.add(name=unique("Known"))
    with pytest.raises(NotFound, match="no-such-group") as caught:
        hub.bindings.bind(app.id, [known.name, "no-such-group"])
    assert "nothing was changed" in caught.value.detail
    assert hub.bindings.list(app.id) == []


def test_binding_no_group_is_invalid(hub, app):
    with pytest.raises(Invalid, match="at least one"):
        hub.bindings.bind(app.id, ["  "])


def test_binding_to_an_unknown_application_is_not_found(hub):
    group = hub.groups.add(name=unique())
    with pytest.raises(NotFound, match="no-such-app"):
        hub.bindings.bind("no-such-app", [group.name])
    assert hub.bindings.applications_of_group(group.id) == []


def test_unbind_removes_only_the_named_groups(hub, app):
    keep, drop = hub.groups.add(name=unique("Keep")), hub.groups.add(name=unique("Drop"))
    hub.bindings.bind(app.id, [keep.id, drop.id])
    change = hub.bindings.unbind(app.id, [drop.name])
    assert (change.changed, change.unchanged) == ([drop.name], [])
    assert [b.group_id for b in hub.bindings.list(app.id)] == [keep.id]


def test_unbinding_a_group_that_is_not_bound_reports_it_unchanged(hub, app):
    loose = hub.groups.add(name=unique("Loose"))
    change = hub.bindings.unbind(app.id, [loose.name])
    assert (change.changed, change.unchanged) == ([], [loose.name])


def test_unbinding_an_unknown_group_is_not_found_and_unbinds_nothing(hub, app):
    bound = hub.groups.add(name=unique("Stays"))
    hub.bindings.bind(app.id, [bound.id])
    with pytest.raises(NotFound):
        hub.bindings.unbind(app.id, [bound.name, "no-such-group"])
    assert [b.group_id for b in hub.bindings.list(app.id)] == [bound.id]


def test_applications_of_a_group_are_listed_by_label(hub):
    group = hub.groups.add(name=unique("Shared"))
    stem = unique("App ")
    second = hub.applications.create(catalog_key="scim2", label=f"{stem}b")
    first = hub.applications.create(catalog_key="profitco", label=f"{stem}a")
    for app in (second, first):
        hub.bindings.bind(app.id, [group.id])
    assert hub.bindings.applications_of_group(group.id) == [
        (first.id, first.label),
        (second.id, second.label),
    ]


def test_deleting_a_group_removes_its_bindings(hub, app):
    group = hub.groups.add(name=unique("Doomed"))
    hub.bindings.bind(app.id, [group.id])
    hub.groups.delete(group.id)
    assert hub.bindings.list(app.id) == []


def test_provisioning_is_told_which_groups_were_bound_and_unbound(hub, app):
    scope = RecordingScope()
    bindings = Bindings(hub.engine, scope=scope)
    first, second = hub.groups.add(name=unique("S1")), hub.groups.add(name=unique("S2"))
    bindings.bind(app.id, [first.id, second.id])
    bindings.bind(app.id, [first.id])  # unchanged: nothing to tell
    bindings.unbind(app.id, [second.id])
    assert scope.bindings == [
        (app.id, sorted([first.id, second.id])),
        (app.id, [second.id]),
    ]


def test_a_binding_provisioning_cannot_record_is_rolled_back(hub, app):
    group = hub.groups.add(name=unique("Rollback"))
    with pytest.raises(RuntimeError):
        Bindings(hub.engine, scope=RecordingScope(fail=True)).bind(app.id, [group.id])
    assert hub.bindings.list(app.id) == []


def test_a_group_lists_the_applications_it_is_bound_to_over_the_api(hub, api):
    group = hub.groups.add(name=unique("g"))
    first = hub.applications.create(catalog_key="profitco", label=unique("a"))
    second = hub.applications.create(catalog_key="scim2", label=unique("b"))
    hub.bindings.bind(first.id, [group.id])
    hub.bindings.bind(second.id, [group.name])
    r = api.get(f"/groups/{group.id}/applications")
    assert r.status_code == 200
    assert sorted(a["id"] for a in r.json()) == sorted([first.id, second.id])
    assert api.get("/groups/no-such-group/applications").status_code == 404
