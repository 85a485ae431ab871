"""Directory users through the service: validation, uniqueness, search, pages, states, changes."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
from sqlalchemy import Column, MetaData, String, Table, insert, select

from scimhub.directory.models import UserState
from scimhub.directory.users import Users, insert_user
from scimhub.directory.validation import new_user
from scimhub.problems import Conflict, Invalid, NotFound, Refused
from scimhub.storage.hub_tables import directory_users
from scimhub.storage.transactions import write_tx

from .conftest import unique

# --- a change sink that records what it saw, and writes a row in the caller's transaction ---

_test_metadata = MetaData()
change_log = Table("test_directory_change_log", _test_metadata, Column("user_id", String(36)))


class SinkFailed(Exception):
    pass


@dataclass
class Call:
    user_ids: list[str]
    in_write_tx: bool
    existing: set[str]  #: which of the users still had their row when the sink was called


@dataclass
class RecordingSink:
    fail: bool = False
    calls: list[Call] = field(default_factory=list)

    def users_changed(self, conn, user_ids):
        ids = list(user_ids)
        query = select(directory_users.c.id).where(directory_users.c.id.in_(ids))
        existing = set(conn.execute(query).scalars())
        self.calls.append(Call(ids, conn.in_transaction() and conn.info["write"], existing))
        conn.execute(insert(change_log), [{"user_id": i} for i in ids])
        if self.fail:
            raise SinkFailed("the sink failed on purpose")

    @property
    def changed(self) -> list[str]:
        return [i for call in self.calls for i in call.user_ids]


def ensure_change_log(engine):
    """Create the test-only table the recording sink writes to, on the session database."""
    _test_metadata.create_all(engine)
    return engine


@pytest.fixture(scope="session")
def logged(engine):
    return ensure_change_log(engine)


def logged_ids(engine, ids) -> set[str]:
    with engine.connect() as conn:
        query = select(change_log.c.user_id).where(change_log.c.user_id.in_(list(ids)))
        return set(conn.execute(query).scalars())


@pytest.fixture
def sink(logged):
    return RecordingSink()


@pytest.fixture
def users(hub, sink) -> Users:
    """The users service with the recording sink."""
    return Users(hub.engine, sink)


def add(users, **fields):
    name = fields.pop("username", None) or unique("user")
    return users.add(username=name, email=fields.pop("email", f"{name}@example.com"), **fields)


# --- add and get ----------------------------------------------------------------------------


def test_add_stores_every_attribute_and_defaults_to_activated(hub):
    name = unique("Ann.")
    user = hub.users.add(
        username=name,
        email=f"{name}@Example.COM",
        firstname="  Ann ",
        lastname="Lee",
        department="R&D",
        job_title="Engineer",
    )
    assert (user.username, user.firstname, user.lastname) == (name, "Ann", "Lee")
    assert (user.department, user.job_title, user.state) == ("R&D", "Engineer", UserState.ACTIVATED)
    assert user.email == f"{name}@example.com"  # the domain is normalized
    assert user.created == user.updated
    assert user.created.utcoffset() is not None
    assert hub.users.get(user.id) == user


def test_get_finds_a_user_by_id_or_by_username_in_any_case(hub):
    user = add(hub.users, username=unique("MiXeD"))
    assert hub.users.get(user.username.upper()) == user
    assert hub.users.get(f"  {user.username.lower()} ") == user
    assert hub.users.get(user.id) == user


def test_get_of_an_unknown_user_is_not_found_naming_the_ref(hub):
    with pytest.raises(NotFound, match="nobody-here"):
        hub.users.get("nobody-here")


def test_an_email_address_is_a_valid_username(hub):
    name = unique("first.last+tag")
    user = hub.users.add(username=f"{name}@example.com", email=f"{name}@example.com")
    assert hub.users.get(f"{name}@EXAMPLE.com").id == user.id


def test_the_state_may_be_given_in_any_case(hub):
    assert add(hub.users, state="staged").state is UserState.STAGED
    assert add(hub.users, state=UserState.SUSPENDED).state is UserState.SUSPENDED


def test_a_username_taken_in_another_case_is_a_conflict_naming_the_username(hub):
    user = add(hub.users)
    with pytest.raises(Conflict, match=r"username .* already taken"):
        hub.users.add(username=user.username.upper(), email=f"{unique()}@example.com")


def test_an_email_taken_in_another_case_is_a_conflict_naming_the_email(hub):
    user = add(hub.users)
    with pytest.raises(Conflict, match=rf"email .* already used by user '{user.username}'"):
        hub.users.add(username=unique(), email=user.email.upper())


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"username": ""}, "Invalid username ''"),
        ({"username": "has space"}, "Invalid username 'has space'"),
        ({"username": "a/b"}, "Invalid username 'a/b'"),
        ({"username": "x" * 129}, "Invalid username"),
        ({"username": "nul\x00byte"}, "username must not contain NUL"),
        ({"username": 42}, "username must be a string"),
        ({"email": "not-an-email"}, "Invalid email 'not-an-email'"),
        ({"email": "a@"}, "Invalid email 'a@'"),
        ({"email": "   "}, "email is required"),
        ({"firstname": "x" * 201}, "firstname must be at most 200 characters"),
        ({"lastname": "x" * 201}, "lastname must be at most 200 characters"),
        ({"department": "R\x00D"}, "department must not contain NUL"),
        ({"job_title": "x" * 201}, "jobTitle must be at most 200 characters"),
        ({"state": "ACTIVE"}, "Invalid state 'ACTIVE': use one of STAGED, ACTIVATED, SUSPENDED"),
    ],
)
def test_invalid_fields_are_refused_with_a_message_naming_the_field(hub, fields, message):
    name = unique("valid")
    given = {"username": name, "email": f"{name}@example.com"} | fields
    with pytest.raises(Invalid, match=message.replace("(", r"\(")):
        hub.users.add(**given)
    assert hub.users.find_by_email(f"{name}@example.com") is None


def test_find_by_username_and_email_ignore_case_and_return_none_when_missing(hub):
    user = add(hub.users)
    assert hub.users.find_by_username(user.username.upper()) == user
    assert hub.users.find_by_email(user.email.upper()) == user
    assert hub.users.find_by_username(unique("missing")) is None
    assert hub.users.find_by_email(f"{unique('missing')}@example.com") is None


def test_get_many_by_username_returns_the_existing_users_keyed_by_lower_case(hub):
    one, two = add(hub.users, username=unique("One")), add(hub.users)
    found = hub.users.get_many_by_username([one.username.upper(), two.username, "no-such-user"])
    assert found == {one.username.lower(): one, two.username.lower(): two}


# --- list -----------------------------------------------------------------------------------


def test_list_walks_every_page_in_username_order_with_cursors(hub):
    stem = unique("page")
    created = [add(hub.users, username=f"{stem}-{n:02d}") for n in (7, 3, 11, 1, 9, 5, 2)]
    seen, after, pages = [], None, 0
    while True:
        page = hub.users.list(q=stem, limit=3, after=after)
        seen += [u.username for u in page.items]
        pages += 1
        if page.next_cursor is None:
            break
        after = page.next_cursor
    assert seen == sorted(u.username for u in created)
    assert pages == 3


def test_a_cursor_skips_nothing_when_earlier_users_are_deleted_meanwhile(hub):
    stem = unique("walk")
    for n in range(4):
        add(hub.users, username=f"{stem}-{n}")
    first = hub.users.list(q=stem, limit=2)
    hub.users.delete(first.items[0].id)
    second = hub.users.list(q=stem, limit=2, after=first.next_cursor)
    assert [u.username for u in second.items] == [f"{stem}-2", f"{stem}-3"]
    assert second.next_cursor is None


def test_list_searches_a_case_insensitive_prefix_of_username_email_and_names(hub):
    stem = unique("srch")
    by_name = add(hub.users, username=f"{stem}-a")
    by_email = add(hub.users, email=f"{stem}-mail@example.com")
    by_first = add(hub.users, firstname=f"{stem.upper()}first")
    by_last = add(hub.users, lastname=f"{stem}Last")
    add(hub.users, firstname=f"x{stem}")  # not a prefix
    found = {u.id for u in hub.users.list(q=stem.upper(), limit=50).items}
    assert found == {by_name.id, by_email.id, by_first.id, by_last.id}


def test_search_treats_like_wildcards_literally(hub):
    stem = unique("wild")
    literal = add(hub.users, username=f"{stem}_x")
    add(hub.users, username=f"{stem}ax")
    assert [u.id for u in hub.users.list(q=f"{stem}_").items] == [literal.id]
    assert hub.users.list(q=f"{stem}%").items == []


def test_list_filters_by_state(hub):
    stem = unique("st")
    staged = add(hub.users, username=f"{stem}-s", state=UserState.STAGED)
    add(hub.users, username=f"{stem}-a")
    page = hub.users.list(q=stem, state="STAGED")
    assert [u.id for u in page.items] == [staged.id]


def test_list_refuses_a_zero_limit_and_a_forged_cursor(hub):
    with pytest.raises(Invalid, match="limit must be at least 1"):
        hub.users.list(limit=0)
    with pytest.raises(Invalid, match="cursor is not valid"):
        hub.users.list(after="not-a-cursor!")


# --- edit -----------------------------------------------------------------------------------


def test_edit_changes_the_given_attributes_and_the_updated_time(users, sink):
    user = add(users)
    new_name = unique("renamed")
    edited = users.edit(user.id, username=new_name, department=" Sales ", job_title="Lead")
    assert (edited.username, edited.department, edited.job_title) == (new_name, "Sales", "Lead")
    assert (edited.email, edited.created) == (user.email, user.created)
    assert edited.updated > user.updated
    assert users.get(new_name.upper()) == edited
    assert sink.changed[-1] == user.id


def test_edit_may_change_the_case_of_the_own_username(hub):
    user = add(hub.users, username=unique("case"))
    assert hub.users.edit(user.id, username=user.username.upper()).username == user.username.upper()


def test_edit_to_a_taken_username_or_email_is_a_conflict_naming_the_field(hub):
    taken, user = add(hub.users), add(hub.users)
    with pytest.raises(Conflict, match="username"):
        hub.users.edit(user.id, username=taken.username.upper())
    with pytest.raises(Conflict, match="email"):
        hub.users.edit(user.id, email=taken.email.upper())
    assert hub.users.get(user.id) == user


def test_edit_revalidates_the_new_values(hub):
    user = add(hub.users)
    with pytest.raises(Invalid, match="Invalid email"):
        hub.users.edit(user.id, email="nope")
    with pytest.raises(Invalid, match="firstname must be a string"):
        hub.users.edit(user.id, firstname=None)


def test_edit_refuses_unknown_fields_and_the_state(hub):
    user = add(hub.users)
    with pytest.raises(Invalid, match="Cannot edit password"):
        hub.users.edit(user.id, password="x")
    with pytest.raises(Invalid, match="suspend or activate"):
        hub.users.edit(user.id, state="SUSPENDED")


def test_an_edit_that_changes_nothing_leaves_the_user_and_reports_no_change(users, sink):
    user = add(users, firstname="Same")
    calls = len(sink.calls)
    assert users.edit(user.username, firstname="Same ") == user
    assert len(sink.calls) == calls


# --- states ---------------------------------------------------------------------------------


def test_activate_moves_staged_and_suspended_users_to_activated(hub):
    staged = add(hub.users, state=UserState.STAGED)
    suspended = add(hub.users, state=UserState.SUSPENDED)
    for user in (staged, suspended):
        activated = hub.users.activate(user.username)
        assert activated.state is UserState.ACTIVATED
        assert activated.updated > user.updated
        assert hub.users.get(user.id).state is UserState.ACTIVATED


def test_suspend_moves_an_activated_user_to_suspended(hub):
    user = add(hub.users)
    assert hub.users.suspend(user.id).state is UserState.SUSPENDED
    assert hub.users.get(user.id).state is UserState.SUSPENDED


def test_suspending_a_staged_user_is_refused_with_the_reason(hub):
    user = add(hub.users, state=UserState.STAGED)
    with pytest.raises(Refused, match="STAGED and was never activated"):
        hub.users.suspend(user.id)
    assert hub.users.get(user.id).state is UserState.STAGED


def test_repeating_the_current_state_is_a_no_op_returning_the_user(users, sink):
    active = add(users)
    suspended = add(users, state=UserState.SUSPENDED)
    calls = len(sink.calls)
    assert users.activate(active.id) == active
    assert users.suspend(suspended.id) == suspended
    assert len(sink.calls) == calls


# --- delete ---------------------------------------------------------------------------------


def test_delete_removes_the_user_and_their_memberships(hub):
    user = add(hub.users)
    group = hub.groups.add(name=unique("Del "))
    hub.groups.add_members(group.id, [user.id])
    assert hub.users.delete(user.username.upper()) == user
    with pytest.raises(NotFound):
        hub.users.get(user.id)
    assert hub.groups.get(group.id).member_count == 0


def test_deleting_an_unknown_user_is_not_found(hub):
    with pytest.raises(NotFound):
        hub.users.delete(unique("ghost"))


# --- the change sink ------------------------------------------------------------------------


def test_every_user_write_tells_the_sink_inside_the_write_transaction(users, sink, engine):
    user = add(users, state=UserState.STAGED)
    users.edit(user.id, lastname="New")
    users.activate(user.id)
    users.suspend(user.id)
    users.delete(user.id)
    assert [c.user_ids for c in sink.calls] == [[user.id]] * 5
    assert all(c.in_write_tx for c in sink.calls)
    assert logged_ids(engine, [user.id]) == {user.id}  # the sink's write committed with it


def test_the_sink_hears_of_a_deletion_while_the_user_still_exists(users, sink):
    user = add(users)
    users.delete(user.id)
    assert sink.calls[-1].existing == {user.id}


def test_a_failing_sink_rolls_back_the_new_user_and_its_own_writes(hub, logged):
    name = unique("rolled")
    failing = Users(hub.engine, RecordingSink(fail=True))
    with pytest.raises(SinkFailed):
        failing.add(username=name, email=f"{name}@example.com")
    assert hub.users.find_by_username(name) is None
    (call,) = failing.changes.calls
    assert logged_ids(logged, call.user_ids) == set()


def test_a_failing_sink_rolls_back_edits_state_changes_and_deletions(hub, logged):
    user = add(hub.users)
    failing = Users(hub.engine, RecordingSink(fail=True))
    for attempt in (
        lambda: failing.edit(user.id, firstname="Changed"),
        lambda: failing.suspend(user.id),
        lambda: failing.delete(user.id),
    ):
        with pytest.raises(SinkFailed):
            attempt()
    assert hub.users.get(user.id) == user
    assert logged_ids(logged, [user.id]) == set()


# --- inserting inside a caller's transaction ------------------------------------------------


def test_insert_user_conflict_leaves_the_callers_transaction_usable(hub, sink):
    first, second = unique("tx"), unique("tx")
    with write_tx(hub.engine) as conn:
        insert_user(conn, new_user(username=first, email=f"{first}@example.com"), sink)
        with pytest.raises(Conflict, match="username"):
            insert_user(conn, new_user(username=first.upper(), email=f"{second}@x.org"), sink)
        insert_user(conn, new_user(username=second, email=f"{second}@example.com"), sink)
    assert hub.users.find_by_username(first) is not None
    assert hub.users.find_by_username(second) is not None
    assert len(sink.calls) == 2


# --- concurrency ----------------------------------------------------------------------------


def test_concurrent_adds_of_one_username_create_one_user_and_conflict_the_rest(hub):
    name = unique("race")

    def attempt(n):
        try:
            return hub.users.add(username=name, email=f"{name}-{n}@example.com")
        except Conflict as exc:
            return exc

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(attempt, range(4)))
    created = [o for o in outcomes if not isinstance(o, Conflict)]
    assert len(created) == 1
    assert all("username" in o.detail for o in outcomes if isinstance(o, Conflict))
    assert hub.users.get(name) == created[0]


def test_concurrent_suspends_change_the_state_once(users, sink):
    user = add(users)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: users.suspend(user.id), range(4)))
    assert {r.state for r in results} == {UserState.SUSPENDED}
    assert sink.changed.count(user.id) == 2  # the add, then one suspension


@pytest.mark.parametrize(
    ("value", "char"),
    [
        ("Ada\nLovelace", "U+000A"),
        ("Ada\tL", "U+0009"),
        ("\x1b[31mAda", "U+001B"),
        ("Ada\u202eecalevol", "U+202E"),
    ],
)
def test_names_that_would_forge_output_are_refused(hub, value, char):
    with pytest.raises(Invalid, match=re.escape(char)):
        hub.users.add(username=unique(), email=f"{unique()}@example.com", firstname=value)


def test_zero_width_joiners_stay_allowed_in_names(hub):
    user = hub.users.add(
        username=unique(),
        email=f"{unique()}@example.com",
        lastname="\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
    )
    assert "\u200c" in user.lastname
