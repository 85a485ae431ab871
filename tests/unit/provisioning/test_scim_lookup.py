"""userName filters the project's own filter parser reads back, chunks, lenient ListResponses."""

from __future__ import annotations

import pytest

from scimhub.provisioning.connector import Remote
from scimhub.provisioning.scim_lookup import (
    MAX_FILTER_CHARS,
    MAX_NAMES_PER_FILTER,
    eq_filter,
    name_chunks,
    or_filter,
    page_of,
    remote_of,
    username_of,
    with_username,
)
from scimhub.scim.filter import parse_filter
from scimhub.scim.filter_ast import Compare, Or

LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


@pytest.mark.parametrize(
    "name",
    ['o"brien@example.com', "back\\slash", 'both\\"', "tab\there", "ünïcødé", "a or b", ")"],
)
def test_an_eq_filter_reads_back_as_the_exact_name(name):
    parsed = parse_filter(eq_filter(name))
    assert isinstance(parsed, Compare)
    assert (str(parsed.path), parsed.op, parsed.value) == ("userName", "eq", name)


def test_an_or_filter_names_every_user():
    parsed = parse_filter(or_filter(["a", 'b"', "c"]))
    assert isinstance(parsed, Or)
    assert or_filter(["a", "b"]) == 'userName eq "a" or userName eq "b"'


def test_chunks_hold_at_most_fifty_distinct_names():
    names = [f"user{i}@example.com" for i in range(120)] + ["USER1@example.com"]
    chunks = list(name_chunks(names))
    assert [len(c) for c in chunks] == [MAX_NAMES_PER_FILTER, MAX_NAMES_PER_FILTER, 20]
    assert [n for c in chunks for n in c] == names[:120]


def test_chunks_keep_filters_short():
    names = [f"{'x' * 200}{i}@example.com" for i in range(40)]
    chunks = list(name_chunks(names))
    assert len(chunks) > 1
    assert all(len(or_filter(c)) <= MAX_FILTER_CHARS for c in chunks)
    assert sum(len(c) for c in chunks) == 40


def test_a_name_longer_than_a_filter_gets_a_chunk_of_its_own():
    chunks = list(name_chunks(["a", "y" * (MAX_FILTER_CHARS + 10), "b"]))
    assert [len(c) for c in chunks] == [1, 1, 1]


def test_no_names_no_chunks():
    assert list(name_chunks([])) == []


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ({"id": "abc", "userName": "a"}, "abc"),
        ({"id": 42}, "42"),
        ({"id": ""}, None),
        ({"id": True}, None),
        ({"id": None}, None),
        ({"userName": "a"}, None),
        (["id"], None),
        ("id", None),
    ],
)
def test_a_remote_needs_an_id(doc, expected):
    remote = remote_of(doc)
    assert (remote.id if remote else None) == expected


def test_usernames_are_read_in_any_case_and_matched_ignoring_case():
    rows = [Remote("1", {"UserName": "Ann@Example.com"}), Remote("2", {"userName": 3})]
    assert username_of(rows[0]) == "Ann@Example.com" and username_of(rows[1]) is None
    assert with_username(rows, "ann@example.COM") is rows[0]
    assert with_username(rows, "bob@example.com") is None


def test_a_full_list_response_is_read():
    doc = {
        "schemas": [LIST],
        "totalResults": 10,
        "startIndex": 3,
        "itemsPerPage": 2,
        "Resources": [{"id": "a"}, {"id": "b"}],
    }
    page = page_of(doc, 3)
    assert page is not None
    assert ([r.id for r in page.resources], page.total_results, page.start_index) == (
        ["a", "b"],
        10,
        3,
    )
    assert page.items_per_page == 2


def test_a_sparse_list_response_is_read_leniently():
    page = page_of({"schemas": [LIST], "totalResults": 0}, 1)
    assert page is not None and (page.resources, page.total_results, page.items_per_page) == (
        (),
        0,
        0,
    )
    bare = page_of({"resources": [{"id": "a"}, {"no": "id"}, "junk"]}, 7)
    assert bare is not None
    assert [r.id for r in bare.resources] == ["a"]
    assert (bare.total_results, bare.start_index, bare.items_per_page) == (None, 7, 3)


def test_rows_sent_beyond_count_are_kept_and_counted():
    doc = {"Resources": [{"id": str(i)} for i in range(5)], "itemsPerPage": 2, "totalResults": "5"}
    page = page_of(doc, 1)
    assert page is not None and len(page.resources) == 5 and page.items_per_page == 5
    assert page.total_results is None  # a string is not a count


@pytest.mark.parametrize("doc", [None, [], "text", 3])
def test_a_non_object_is_no_page(doc):
    assert page_of(doc, 1) is None


@pytest.mark.parametrize("rid", ["x" * 513, "bad\nid", "nul\x00", ""])
def test_an_id_the_hub_could_not_store_or_show_is_no_resource(rid: str) -> None:
    assert remote_of({"id": rid, "userName": "ada"}) is None


def test_an_id_of_the_longest_storable_length_is_kept() -> None:
    remote = remote_of({"id": "x" * 512})
    assert remote is not None and remote.id == "x" * 512
