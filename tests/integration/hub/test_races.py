"""Two services at once on one row: every outcome is a success or a precise problem.

Each test starts its calls together (a barrier) on a thread pool, many rounds over, and
asserts two things: every call either returns or raises NotFound / Conflict / Refused (never
an IntegrityError, NoResultFound or deadlock from the database), and the final state is
consistent. The races bite on PostgreSQL (row locks, READ COMMITTED); on SQLite every writer
takes the write lock at BEGIN, so the same tests must pass there trivially.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import func, select

from scimhub.applications.models import IdmState
from scimhub.hub import Hub
from scimhub.problems import Conflict, NotFound, Problem, Refused
from scimhub.storage.hub_tables import (
    app_group_bindings,
    application_images,
    applications,
    directory_groups,
    directory_memberships,
    directory_users,
)

from .conftest import unique
from .test_applications import png

#: The problems a call may end with when it loses a race.
LOST = (NotFound, Conflict, Refused)


def race(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run ``calls`` at once (one thread each, released together); results or problems."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        barrier.wait(timeout=10)
        try:
            return call()
        except LOST as problem:
            return problem

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def lost(outcomes: list[Any], kind: type[Problem]) -> list[Any]:
    """The outcomes that are problems, each checked to be of ``kind``."""
    problems = [o for o in outcomes if isinstance(o, Problem)]
    assert all(isinstance(p, kind) for p in problems), problems
    return problems


def rows(hub: Hub, table: Any, *where: Any) -> int:
    with hub.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar())


def new_users(hub: Hub, n: int) -> list[Any]:
    return [
        hub.users.add(username=(name := unique("race")), email=f"{name}@example.com")
        for _ in range(n)
    ]


def new_app(hub: Hub, catalog_key: str = "scim2") -> Any:
    return hub.applications.create(catalog_key=catalog_key, label=unique("Race "))


def shuffled(items: list[Any]) -> list[Any]:
    return random.sample(items, len(items))


# --- application images -------------------------------------------------------------------


def test_concurrent_image_uploads_to_one_application_leave_exactly_one_of_them(hub):
    images = [png(width) for width in range(1, 13)]
    for _ in range(5):
        app = new_app(hub)
        outcomes = race(
            [lambda data=data: hub.applications.set_image(app.id, data) for data in images]
        )
        assert not lost(outcomes, Problem)
        stored = hub.applications.image(app.id)
        assert stored.data in images
        assert hub.applications.get(app.id).image_sha256 == stored.sha256
        assert rows(hub, application_images, application_images.c.app_id == app.id) == 1


def test_an_image_uploaded_while_its_application_is_deleted_is_not_found_or_deleted_with_it(hub):
    for _ in range(8):
        app = new_app(hub)
        calls = [lambda w=w: hub.applications.set_image(app.id, png(w)) for w in range(1, 8)]
        outcomes = race([*calls, lambda: hub.applications.delete([app.id], confirm_count=1)])
        lost(outcomes, NotFound)
        assert rows(hub, application_images, application_images.c.app_id == app.id) == 0


# --- group members ------------------------------------------------------------------------


def test_adding_members_to_a_group_being_deleted_adds_them_or_is_not_found(hub):
    for _ in range(8):
        group = hub.groups.add(name=unique("Race "))
        users = new_users(hub, 7)
        adds = [lambda u=u: hub.groups.add_members(group.id, [u.id]) for u in users]
        outcomes = race([*adds, lambda: hub.groups.delete(group.id)])
        lost(outcomes, NotFound)
        assert not isinstance(outcomes[-1], Problem)
        where = directory_memberships.c.group_id == group.id
        assert rows(hub, directory_memberships, where) == 0


def test_concurrent_deletes_of_one_group_delete_it_once(hub):
    for _ in range(5):
        group = hub.groups.add(name=unique("Race "))
        hub.groups.add_members(group.id, [u.id for u in new_users(hub, 2)])
        outcomes = race([lambda: hub.groups.delete(group.id) for _ in range(8)])
        assert len(lost(outcomes, NotFound)) == 7
        assert rows(hub, directory_groups, directory_groups.c.id == group.id) == 0


def test_adding_users_who_are_being_deleted_adds_them_or_is_not_found(hub):
    for _ in range(6):
        group = hub.groups.add(name=unique("Race "))
        users = new_users(hub, 6)
        adds = [lambda u=u: hub.groups.add_members(group.id, [u.id]) for u in users]
        deletes = [lambda u=u: hub.users.delete(u.id) for u in users]
        outcomes = race([*adds, *deletes])
        lost(outcomes, NotFound)
        assert all(not isinstance(o, Problem) for o in outcomes[len(adds) :])
        assert hub.groups.get(group.id).member_count == 0
        assert rows(hub, directory_memberships, directory_memberships.c.group_id == group.id) == 0


def test_changing_members_named_in_opposite_orders_while_they_are_deleted(hub):
    """Adds and removes naming the same users in different orders, users deleted meanwhile."""
    for _ in range(5):
        group = hub.groups.add(name=unique("Race "))
        users = new_users(hub, 6)
        ids = [u.id for u in users]
        hub.groups.add_members(group.id, ids[:3])
        calls: list[Callable[[], Any]] = []
        for i in range(6):
            named = shuffled(ids)
            change = hub.groups.add_members if i % 2 else hub.groups.remove_members
            calls.append(lambda change=change, named=named: change(group.id, named))
        calls += [lambda: hub.users.delete(ids[0]), lambda: hub.users.delete(ids[-1])]
        outcomes = race(calls)
        lost(outcomes, NotFound)
        counted = rows(hub, directory_memberships, directory_memberships.c.group_id == group.id)
        assert hub.groups.get(group.id).member_count == counted
        assert rows(hub, directory_users, directory_users.c.id.in_([ids[0], ids[-1]])) == 0


def test_deleting_groups_and_their_members_at_once_deletes_them_all(hub):
    """Group and user deletes meet on membership rows: they queue, never deadlock."""
    for _ in range(5):
        groups = [hub.groups.add(name=unique("Race ")) for _ in range(4)]
        users = new_users(hub, 4)
        for user in users:  # each user's memberships stored in a different order
            for group in shuffled(groups):
                hub.groups.add_members(group.id, [user.id])
        calls = [lambda g=g: hub.groups.delete(g.id) for g in shuffled(groups)]
        calls += [lambda u=u: hub.users.delete(u.id) for u in shuffled(users)]
        outcomes = race(shuffled(calls))
        assert not lost(outcomes, Problem)
        assert rows(hub, directory_groups, directory_groups.c.id.in_([g.id for g in groups])) == 0
        assert rows(hub, directory_users, directory_users.c.id.in_([u.id for u in users])) == 0
        gone = directory_memberships.c.user_id.in_([u.id for u in users])
        assert rows(hub, directory_memberships, gone) == 0


# --- bindings -----------------------------------------------------------------------------


def test_binding_groups_that_are_being_deleted_binds_them_or_is_not_found(hub):
    for _ in range(6):
        app = new_app(hub)
        groups = [hub.groups.add(name=unique("Race ")) for _ in range(4)]
        binds = [lambda g=g: hub.bindings.bind(app.id, [g.id]) for g in groups]
        binds.append(lambda: hub.bindings.bind(app.id, [g.id for g in shuffled(groups)]))
        deletes = [lambda g=g: hub.groups.delete(g.id) for g in groups]
        outcomes = race([*binds, *deletes])
        lost(outcomes, NotFound)
        assert all(not isinstance(o, Problem) for o in outcomes[len(binds) :])
        assert hub.bindings.list(app.id) == []
        assert rows(hub, app_group_bindings, app_group_bindings.c.app_id == app.id) == 0


def test_binding_to_an_application_being_deleted_binds_or_is_not_found(hub):
    for _ in range(8):
        app = new_app(hub)
        groups = [hub.groups.add(name=unique("Race ")) for _ in range(6)]
        binds = [lambda g=g: hub.bindings.bind(app.id, [g.id]) for g in groups]
        outcomes = race([*binds, lambda: hub.applications.delete([app.id], confirm_count=1)])
        lost(outcomes, NotFound)
        assert not isinstance(outcomes[-1], Problem)
        assert rows(hub, app_group_bindings, app_group_bindings.c.app_id == app.id) == 0


def test_deleting_applications_and_their_bound_groups_at_once(hub):
    """Cascades from both sides remove the same binding rows: no deadlock reaches the caller."""
    for _ in range(5):
        apps = [new_app(hub) for _ in range(4)]
        groups = [hub.groups.add(name=unique("Race ")) for _ in range(3)]
        for app, group in shuffled([(a, g) for a in apps for g in groups]):
            hub.bindings.bind(app.id, [group.id])  # binding rows stored in no particular order
        ids = [a.id for a in apps]
        calls: list[Callable[[], Any]] = [
            lambda named=shuffled(ids): hub.applications.delete(named, confirm_count=len(named))
            for _ in range(3)
        ]
        calls += [lambda g=g: hub.groups.delete(g.id) for g in groups]
        outcomes = race(calls)
        lost(outcomes, NotFound)
        assert all(not isinstance(o, Problem) for o in outcomes[3:])
        assert len([o for o in outcomes[:3] if not isinstance(o, Problem)]) == 1
        assert rows(hub, applications, applications.c.id.in_(ids)) == 0
        assert rows(hub, app_group_bindings, app_group_bindings.c.app_id.in_(ids)) == 0


# --- deleting applications ----------------------------------------------------------------


def test_deletes_naming_the_same_applications_in_different_orders_delete_them_once(hub):
    for _ in range(5):
        ids = [new_app(hub).id for _ in range(6)]
        orders = [ids, ids[::-1], *(shuffled(ids) for _ in range(6))]
        outcomes = race(
            [
                lambda named=named: hub.applications.delete(named, confirm_count=6)
                for named in orders
            ]
        )
        assert len(lost(outcomes, NotFound)) == len(orders) - 1
        assert rows(hub, applications, applications.c.id.in_(ids)) == 0


# --- IdM integration ----------------------------------------------------------------------


def test_activating_an_application_that_is_being_deleted_is_not_found_or_blocks_the_delete(
    hub, tenant
):
    for _ in range(6):
        app = new_app(hub)
        hub.idm.configure(app.id, base_url=tenant.base, token=tenant.token)
        outcomes = race(
            [
                lambda: hub.idm.activate(app.id),
                lambda: hub.applications.delete([app.id], confirm_count=1),
            ]
        )
        activated, deleted = outcomes
        lost(outcomes[:1], NotFound)
        lost(outcomes[1:], Refused)
        assert isinstance(activated, Problem) != isinstance(deleted, Problem), outcomes
        if isinstance(deleted, Refused):  # activated first: the delete refused to go on
            assert hub.idm.get(app.id).state is IdmState.ACTIVE
            hub.idm.deactivate(app.id)
            hub.applications.delete([app.id], confirm_count=1)
        else:
            assert rows(hub, applications, applications.c.id == app.id) == 0


def test_configuring_an_application_that_is_being_deleted_configures_or_is_not_found(hub, tenant):
    for _ in range(8):
        app = new_app(hub)
        configures = [
            lambda: hub.idm.configure(app.id, base_url=tenant.base, token=tenant.token),
            lambda: hub.idm.configure(app.id, options={"delete_users": True}),
            lambda: hub.idm.get(app.id),
        ]
        outcomes = race(
            [*configures * 2, lambda: hub.applications.delete([app.id], confirm_count=1)]
        )
        lost(outcomes, NotFound)
        assert not isinstance(outcomes[-1], Problem)
        assert rows(hub, applications, applications.c.id == app.id) == 0


def test_deactivating_while_deleting_deletes_only_after_the_deactivation(hub, tenant):
    for _ in range(6):
        app = new_app(hub)
        hub.idm.activate(app.id, base_url=tenant.base, token=tenant.token)
        outcomes = race(
            [
                lambda: hub.idm.deactivate(app.id),
                lambda: hub.applications.delete([app.id], confirm_count=1),
            ]
        )
        deactivated, deleted = outcomes
        assert not isinstance(deactivated, Problem)
        lost(outcomes[1:], Refused)
        if isinstance(deleted, Refused):
            hub.applications.delete([app.id], confirm_count=1)
        assert rows(hub, applications, applications.c.id == app.id) == 0
