"""An application whose SCIM listing bends the RFC on purpose, served over real HTTP.

The project's own provider is conformant: it cannot hold a user without a userName or two
accounts with one userName, and it pages correctly. Real applications do all of that, so
this small Starlette app serves a fixed list of records with the paging quirks of real
targets: pages capped below ``count``, ``count`` ignored (everything at once), no
``totalResults``, ``startIndex`` ignored, failing pages (500), slow pages and lookups, and
filters with one name only.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
TOKEN = "odd-application-token"
_NAME = re.compile(r'userName eq "((?:[^"\\]|\\.)*)"', re.IGNORECASE)


@dataclass
class Quirks:
    page_cap: int | None = None  #: at most this many rows per page, whatever count says
    ignore_count: bool = False  #: every record on every page
    no_total: bool = False  #: no totalResults
    ignore_start: bool = False  #: always the first page
    fail_from: int | None = None  #: 500 for pages starting at or after this index
    delay: float = 0.0  #: seconds before answering a page
    lookup_delay: float = 0.0  #: seconds before answering a userName lookup
    no_or: bool = False  #: 400 for a filter joining names with "or" (one name at a time)
    hold_from: int | None = None  #: pages starting here wait until this is cleared (30 s)
    pages: int = 0  #: pages served (listing requests)


@dataclass
class OddTarget:
    records: list[dict[str, Any]]
    quirks: Quirks = field(default_factory=Quirks)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/Users", self.users)])

    def users(self, request: Request) -> JSONResponse:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return _error(401, "Bad token")
        found = request.query_params.get("filter")
        if found:
            time.sleep(self.quirks.lookup_delay)
            if self.quirks.no_or and " or " in found:
                return _error(400, "Only one userName per filter")
            names = {n.casefold() for n in _NAME.findall(found)}
            rows = [r for r in self.records if str(r.get("userName", "")).casefold() in names]
            return _list(rows, 1, len(rows))
        return self._page(request)

    def _page(self, request: Request) -> JSONResponse:
        q = self.quirks
        q.pages += 1
        time.sleep(q.delay)
        start = max(1, int(request.query_params.get("startIndex", "1")))
        count = int(request.query_params.get("count", "100"))
        deadline = time.monotonic() + 30  # a failed test never leaves a server thread stuck
        while q.hold_from is not None and start >= q.hold_from and time.monotonic() < deadline:
            time.sleep(0.02)
        if q.fail_from is not None and start >= q.fail_from:
            return _error(500, "Internal error while listing users")
        if q.ignore_start:
            start = 1
        if q.ignore_count:
            count = len(self.records)
        if q.page_cap is not None:
            count = min(count, q.page_cap)
        rows = self.records[start - 1 : start - 1 + count]
        return _list(rows, start, None if q.no_total else len(self.records))


def _list(rows: list[dict[str, Any]], start: int, total: int | None) -> JSONResponse:
    body: dict[str, Any] = {"schemas": [LIST], "Resources": rows, "startIndex": start}
    body["itemsPerPage"] = len(rows)
    if total is not None:
        body["totalResults"] = total
    return JSONResponse(body, media_type="application/scim+json")


def _error(status: int, detail: str) -> JSONResponse:
    body = {"schemas": [ERROR], "status": str(status), "detail": detail}
    return JSONResponse(body, status_code=status, media_type="application/scim+json")


def record(n: int, stem: str = "odd", **extra: Any) -> dict[str, Any]:
    name = f"{stem}{n:04d}@example.com"
    return {
        "id": f"id-{stem}-{n}",
        "userName": name,
        "name": {"givenName": f"G{n}", "familyName": f"F{n}"},
        "emails": [{"value": name, "type": "work", "primary": True}],
        "active": True,
    } | extra
