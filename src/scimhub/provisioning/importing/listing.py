"""Walking an application's users page by page (RFC 7644 §3.4.2.4), whatever its paging.

Targets bend the RFC: some ignore ``count`` (one huge page), some cap their pages below it,
some say no ``totalResults``. The walk advances by the rows a page really holds, ends on
an empty page or past ``totalResults``, and notices a target that ignores ``startIndex``
(the same first row again) instead of looping forever.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..connector import Connector, ListPage
from ..outcomes import Rejected

__all__ = ["Page", "next_page", "walk"]


@dataclass(frozen=True, slots=True)
class Page:
    start: int  #: the startIndex asked for
    page: ListPage
    next_start: int | None  #: None: this was the last page
    unreadable: int  #: rows without a usable id (reported, not imported)


def next_page(connector: Connector, start: int, count: int, previous: Page | None = None) -> Page:
    """The page at ``start``. The previous page answered again: the end if that page held
    more than ``count`` rows (the target ignores paging and sent everything), else
    Rejected."""
    page = connector.list_page(start, count)
    if previous is not None and _first(page) is not None and _first(page) == _first(previous.page):
        if previous.page.items_per_page > count:
            return Page(start, ListPage((), page.total_results, start, 0), None, 0)
        raise Rejected(
            f"The application answered the same users for startIndex={start} as for the page "
            "before: it ignores startIndex, so its users cannot be listed past the first page"
        )
    return Page(start, page, _after(page, start), page.items_per_page - len(page.resources))


def walk(connector: Connector, start: int, count: int) -> Iterator[Page]:
    """Every page from ``start`` on."""
    previous: Page | None = None
    while True:
        current = next_page(connector, start, count, previous)
        yield current
        if current.next_start is None:
            return
        previous, start = current, current.next_start


def _first(page: ListPage) -> str | None:
    return page.resources[0].id if page.resources else None


def _after(page: ListPage, start: int) -> int | None:
    if not page.items_per_page:
        return None
    following = start + page.items_per_page
    total = page.total_results
    if total is not None and following > total:
        return None
    return following
