"""CSV import through the service: good rows go in, bad rows are reported, nothing half-written."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from scimhub.directory.csv_import import import_csv, import_csv_bytes
from scimhub.directory.models import UserState
from scimhub.directory.users import Users
from scimhub.problems import Invalid, Refused
from scimhub.storage.hub_tables import directory_users

from .conftest import unique
from .test_directory_users import RecordingSink, ensure_change_log, logged_ids

HEADER = "username,email,firstname,lastname,department,jobTitle"


@pytest.fixture(scope="session")
def logged(engine):
    return ensure_change_log(engine)


def run(hub, text: str, **options):
    return import_csv(hub.users, io.StringIO(text, newline=""), **options)


def row(name: str, *rest: str) -> str:
    return ",".join([name, f"{name}@example.com", *rest])


def test_good_rows_are_created_with_every_attribute(hub):
    a, b = unique("csv"), unique("csv")
    report = run(
        hub, f"{HEADER}\n{row(a, 'Ann', 'Lee', 'R&D', 'Engineer')}\n{row(b, '', '', '', '')}\n"
    )
    assert report.errors == []
    assert [u.username for u in report.created] == [a, b]
    user = hub.users.get(a)
    assert (user.firstname, user.lastname, user.department, user.job_title) == (
        "Ann",
        "Lee",
        "R&D",
        "Engineer",
    )
    assert user.state is UserState.ACTIVATED


def test_bad_rows_are_reported_by_line_and_the_others_still_go_in(hub):
    good1, good2, bad_email, bad_name = (unique("ok"), unique("ok"), unique("be"), unique("bn"))
    taken = hub.users.add(username=unique("taken"), email=f"{unique()}@example.com")
    text = "\n".join(
        [
            HEADER,
            row(good1, "A", "", "", ""),  # line 2
            f"{bad_email},not-an-email,,,,",  # line 3
            f"{bad_name} x,{bad_name}@example.com,,,,",  # line 4
            row(taken.username.upper(), "", "", "", ""),  # line 5
            row(good1, "", "", "", ""),  # line 6: repeats line 2
            f"{good2},{good2}@example.com,,",  # line 7: too few fields
            row(good2, "", "", "", ""),  # line 8
        ]
    )
    report = run(hub, text)
    assert [u.username for u in report.created] == [good1, good2]
    errors = {e.line: (e.username, e.detail) for e in report.errors}
    assert sorted(errors) == [3, 4, 5, 6, 7]
    assert errors[3][0] == bad_email and "Invalid email 'not-an-email'" in errors[3][1]
    assert errors[4][0] == f"{bad_name} x" and "Invalid username" in errors[4][1]
    assert "already taken" in errors[5][1]
    assert errors[6][1] == f"The username '{good1}' repeats line 2 of this file"
    assert errors[7][1] == "Expected 6 fields, found 4"
    assert hub.users.find_by_username(bad_email) is None
    assert hub.users.find_by_username(good2) is not None


def test_an_email_repeated_within_the_file_is_a_row_error(hub):
    a, b = unique("rep"), unique("rep")
    report = run(hub, f"username,email\n{a},{a}@example.com\n{b},{a.upper()}@example.com\n")
    (error,) = report.errors
    assert (error.line, error.username) == (3, b)
    assert "repeats line 2" in error.detail
    assert hub.users.find_by_username(b) is None


def test_header_spellings_bom_blank_lines_and_quoted_fields_are_understood(hub):
    a, b = unique("hdr"), unique("hdr")
    text = (
        "\ufeffUser Name,E-Mail,first_name,Last_Name,DEPARTMENT,job_title,State\n"
        "\n"
        f'{a},{a}@example.com,"Lee, Ann","O""Brien",Ops,Dev,staged\n'
        f"{b},{b}@example.com,,,,,\n"
        f"bad user,{b}x@example.com,,,,,\n"
    )
    report = run(hub, text)
    assert [u.username for u in report.created] == [a, b]
    first = hub.users.get(a)
    assert (first.firstname, first.lastname, first.state) == ("Lee, Ann", 'O"Brien', "STAGED")
    assert hub.users.get(b).state is UserState.ACTIVATED
    (error,) = report.errors
    assert error.line == 5


def test_a_quoted_newline_inside_a_name_is_a_row_error_that_keeps_line_numbers(hub):
    a, b = unique("nl"), unique("nl")
    text = f'username,email,lastname\n{a},{a}@example.com,"multi\nline"\n{b},{b}@example.com,B\n'
    report = run(hub, text)
    (error,) = report.errors
    assert (error.line, error.username) == (2, a) and "U+000A" in error.detail
    assert [u.username for u in report.created] == [b]


def test_rows_without_a_state_take_the_default_state(hub):
    a = unique("def")
    report = run(hub, f"username,email\n{a},{a}@example.com\n", default_state=UserState.STAGED)
    assert report.created[0].state is UserState.STAGED


def test_an_invalid_state_is_a_row_error(hub):
    a = unique("state")
    report = run(hub, f"username,email,state\n{a},{a}@example.com,ACTIVE\n")
    assert "Invalid state 'ACTIVE'" in report.errors[0].detail
    assert report.created == []


def test_rows_go_in_across_several_batches(hub):
    names = [unique("batch") for _ in range(7)]
    lines = [f"{n},{n}@example.com" for n in names]
    lines[3] = f"{names[3]},broken"
    report = run(hub, "username,email\n" + "\n".join(lines), batch_size=2)
    assert [u.username for u in report.created] == names[:3] + names[4:]
    assert [(e.line, e.username) for e in report.errors] == [(5, names[3])]


def test_a_row_failing_after_its_insert_leaves_nothing_behind(hub, logged):
    bad, good = unique("half"), unique("whole")

    class RefusingSink(RecordingSink):
        def users_changed(self, conn, user_ids):
            super().users_changed(conn, user_ids)
            if any(hub_user(conn, i) == bad for i in user_ids):
                raise Refused("the provisioning side refused this user")

    sink = RefusingSink()
    users = Users(hub.engine, sink)
    report = import_csv(
        users, io.StringIO(f"username,email\n{bad},{bad}@example.com\n{good},{good}@example.com\n")
    )
    assert [e.detail for e in report.errors] == ["the provisioning side refused this user"]
    assert [u.username for u in report.created] == [good]
    assert hub.users.find_by_username(bad) is None
    bad_id, good_id = (c.user_ids[0] for c in sink.calls)
    assert logged_ids(logged, [bad_id, good_id]) == {good_id}


def hub_user(conn, user_id):
    query = select(directory_users.c.username).where(directory_users.c.id == user_id)
    return conn.execute(query).scalar()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The file is empty"),
        ("\n\n", "The file is empty"),
        ("username,firstname\nx,y\n", "Missing required column(s) email"),
        ("email\nx@example.com\n", "Missing required column(s) username"),
        ("username,email,nickname\nx,x@example.com,y\n", "Unknown column(s) 'nickname'"),
        ("username,email,E_mail\nx,x@example.com,y\n", "column(s) email appear more than once"),
    ],
)
def test_an_unusable_header_refuses_the_whole_file_before_writing(hub, text, message):
    name = unique("never")
    with pytest.raises(Invalid, match=message.replace("(", r"\(").replace(")", r"\)")):
        run(hub, text.replace("x", name))
    assert hub.users.find_by_username(name) is None


def test_bytes_must_be_utf8_and_may_start_with_a_byte_order_mark(hub):
    name = unique("bytes")
    report = import_csv_bytes(
        hub.users, f"\ufeffusername,email,firstname\n{name},{name}@example.com,Zoë\n".encode()
    )
    assert hub.users.get(name).firstname == "Zoë"
    assert report.errors == []
    with pytest.raises(Invalid, match="not UTF-8"):
        import_csv_bytes(hub.users, "username,email\nzoë,z@example.com\n".encode("latin-1"))
