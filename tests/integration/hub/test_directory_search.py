"""User search pages are exactly the brute-force answer, across the dense window and past it."""

from __future__ import annotations

import pytest

from scimhub.directory import search

from .conftest import unique


@pytest.fixture
def people(hub):
    """Twenty users of one run; some match 'zed' by username, email, first or last name."""
    tag = unique("s")
    made = []
    for i in range(20):
        kind = i % 4
        username = f"{tag}-{'zed' if kind == 0 else 'amy'}{i:02d}"
        made.append(
            hub.users.add(
                username=username,
                email=f"{'zed' if kind == 1 else 'bob'}.{tag}{i}@example.com",
                firstname="Zedekiah" if kind == 2 else "Ann",
                lastname="ZEDNIK" if kind == 3 and i > 10 else "Smith",
                state="SUSPENDED" if i % 5 == 0 else "ACTIVATED",
            )
        )
    return tag, made


def _expected(made, prefix, state=None):
    def hit(u):
        fields = (u.username, u.email, u.firstname, u.lastname)
        return any(f.lower().startswith(prefix) for f in fields) and state in (None, u.state)

    return sorted(u.username.lower() for u in made if hit(u))


def _walk(hub, q, state=None, limit=2):
    seen, after = [], None
    while True:
        page = hub.users.list(q=q, state=state, limit=limit, after=after)
        seen += [u.username.lower() for u in page.items]
        if page.next_cursor is None:
            return seen
        after = page.next_cursor


@pytest.mark.parametrize("window", [1, 3, 7, 2000])
def test_search_pages_match_brute_force_whatever_the_window(hub, people, monkeypatch, window):
    tag, made = people
    monkeypatch.setattr(search, "WINDOW", window)
    for q in ("zed", "ZED", "zedn", f"{tag}-zed", f"zed.{tag}"):
        found = [name for name in _walk(hub, q) if tag in name]
        assert found == _expected(made, q.lower()), q
    suspended = [n for n in _walk(hub, "zed", state="SUSPENDED") if tag in n]
    assert suspended == _expected(made, "zed", "SUSPENDED")


def test_search_for_nothing_finds_nothing(hub, people, monkeypatch):
    monkeypatch.setattr(search, "WINDOW", 3)
    assert hub.users.list(q=f"{people[0]}-nobody").items == []
