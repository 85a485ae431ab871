"""The SCIM 2.0 connector: :class:`~.connector.Connector` over HTTP (RFC 7644).

One ``httpx.Client`` per connector, shared by the worker's threads (httpx clients are
thread-safe), keeps connections alive up to ``max_connections``. Redirects are never followed:
a target that redirects has moved, and the token must not follow it elsewhere. Answers are
read up to a size limit and within a time budget, so a hostile or broken target can neither
exhaust memory nor hold a worker. Every failure is translated once, here (``scim_errors``),
into an :mod:`.outcomes` exception whose message holds no piece of the token.

At most ``max_connections`` requests are in flight at once; other threads wait here, not in
httpcore's queue: httpcore 1.0.x's sync pool, with requests queued for a full pool, may close
an idle connection it has just handed to a waiting thread, under that thread's request
(encode/httpcore#1110; seen here as "[Errno 9] Bad file descriptor" with 12 threads).

Paths (RFC 7644 §3.2): ``POST /Users``, ``GET|PATCH|PUT|DELETE /Users/{id}`` and
``GET /Users?filter=…&startIndex=…&count=…``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import orjson

from scimhub import __version__

from .connector import ListPage, Remote
from .outcomes import Stop
from .scim_errors import Answer, Call, answer_failure, transport_failure, unreadable
from .scim_lookup import name_chunks, or_filter, page_of, remote_of, username_of

__all__ = ["MAX_ANSWER_BYTES", "PATCH_OP", "ScimConnector"]

#: Answers are cut here: a page of 1,000 users fits many times over.
MAX_ANSWER_BYTES = 16 << 20
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
_USERS = "/Users"
#: Pages read for one chunk of names before giving up on a target that ignores startIndex.
_MAX_PAGES = 20
_BODY_HEADERS = {"Content-Type": "application/scim+json"}
_URL_ERRORS = (httpx.HTTPError, httpx.InvalidURL, UnicodeError)


class ScimConnector:
    """The users of the SCIM target at ``base_url``, reached with ``token``.

    ``timeout`` bounds each wait (connect, send, each read) and the reading of a whole
    answer. A token that cannot travel in a header raises :class:`.Stop`.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 10.0,
        max_connections: int = 8,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        _check_token(token)
        self._base = base_url.rstrip("/")
        self._token = token
        self._timeout = timeout
        self._origin = urlsplit(self._base).netloc
        self._or_filters = True  # until the target refuses one
        self._slots = threading.BoundedSemaphore(max_connections)
        self._client = httpx.Client(
            headers=_headers(token),
            timeout=timeout,
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            transport=transport,
            follow_redirects=False,
        )

    def __enter__(self) -> ScimConnector:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    # --- the Connector interface ----------------------------------------------------------

    def create(self, resource: dict[str, Any]) -> Remote:
        call = Call("POST", _USERS, creating=True)
        return self._resource(call, self._ok(call, self._send(call, body=resource)))

    def get(self, remote_id: str) -> Remote | None:
        call = _one("GET", remote_id)
        answer = self._send(call)
        return None if answer.status == 404 else self._resource(call, self._ok(call, answer))

    def find_by_username(self, username: str) -> Remote | None:
        return self._find_chunk([username]).get(username.casefold())

    def find_by_usernames(self, usernames: Sequence[str]) -> dict[str, Remote]:
        found: dict[str, Remote] = {}
        for chunk in name_chunks(usernames):
            found.update(self._find_chunk(chunk))
        return found

    def list_page(self, start_index: int, count: int) -> ListPage:
        call = Call("GET", _USERS)
        params = {"startIndex": str(start_index), "count": str(count)}
        return self._page(call, self._ok(call, self._send(call, params=params)), start_index)

    def patch(self, remote_id: str, operations: list[dict[str, Any]]) -> Remote | None:
        call = _one("PATCH", remote_id)
        body = {"schemas": [PATCH_OP], "Operations": operations}
        answer = self._ok(call, self._send(call, body=body))
        return remote_of(answer.document()) if answer.status != 204 else None

    def replace(self, remote_id: str, resource: dict[str, Any]) -> Remote:
        call = _one("PUT", remote_id)
        return self._resource(call, self._ok(call, self._send(call, body=resource)))

    def delete(self, remote_id: str) -> None:
        call = _one("DELETE", remote_id)
        answer = self._send(call)
        if answer.status != 404:
            self._ok(call, answer)

    # --- lookups by userName (RFC 7644 §3.4.2.2) ------------------------------------------

    def _find_chunk(self, names: list[str]) -> dict[str, Remote]:
        """The users among ``names`` (one or-filter), keyed by their userName case-folded."""
        if len(names) > 1 and not self._or_filters:
            return self._one_by_one(names)
        wanted = {n.casefold() for n in names}
        found: dict[str, Remote] = {}
        start = 1
        for _ in range(_MAX_PAGES):
            call, params = Call("GET", _USERS), _search(names, start)
            answer = self._send(call, params=params)
            if len(names) > 1 and answer.status in (400, 501):
                self._or_filters = False  # this target takes one name at a time
                return self._one_by_one(names)
            page = self._page(call, self._ok(call, answer), start)
            found.update(_matching(page, wanted - found.keys()))
            start += page.items_per_page
            if _done(page, start, wanted, found):
                break
        return found

    def _one_by_one(self, names: list[str]) -> dict[str, Remote]:
        found = ((name.casefold(), self.find_by_username(name)) for name in names)
        return {key: remote for key, remote in found if remote is not None}

    # --- the wire -------------------------------------------------------------------------

    def _send(
        self, call: Call, *, params: dict[str, str] | None = None, body: object = None
    ) -> Answer:
        """One request and its answer; no answer at all raises its outcome."""
        content = orjson.dumps(body) if body is not None else None
        headers = _BODY_HEADERS if body is not None else None
        url = self._base + call.path
        try:
            with (
                self._slot(),
                self._client.stream(
                    call.method, url, params=params, content=content, headers=headers
                ) as response,
            ):
                return _read(response, self._timeout)
        except _URL_ERRORS as exc:
            raise transport_failure(call, exc, self._origin, self._timeout, self._token) from exc

    @contextmanager
    def _slot(self) -> Iterator[None]:
        """One of the ``max_connections`` places for a request in flight."""
        if not self._slots.acquire(timeout=self._timeout):
            raise httpx.PoolTimeout("Every connection stayed busy")
        try:
            yield
        finally:
            self._slots.release()

    def _ok(self, call: Call, answer: Answer) -> Answer:
        if 200 <= answer.status < 300:
            return answer
        raise answer_failure(call, answer, self._token)

    def _resource(self, call: Call, answer: Answer) -> Remote:
        remote = remote_of(answer.document())
        if remote is None:
            raise unreadable(call, answer, self._token, "a SCIM resource")
        return remote

    def _page(self, call: Call, answer: Answer, start_index: int) -> ListPage:
        page = page_of(answer.document(), start_index)
        if page is None:
            raise unreadable(call, answer, self._token, "a SCIM ListResponse")
        return page


def _read(response: httpx.Response, budget: float) -> Answer:
    """The answer, cut at MAX_ANSWER_BYTES; a body dribbling past ``budget`` times out."""
    deadline = time.monotonic() + budget
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > MAX_ANSWER_BYTES:
            cut = bytes(body[:MAX_ANSWER_BYTES])
            return Answer(response.status_code, response.headers, cut, complete=False)
        if time.monotonic() > deadline:
            raise httpx.ReadTimeout("The answer was not read within the time budget")
    return Answer(response.status_code, response.headers, bytes(body))


def _one(method: str, remote_id: str) -> Call:
    """A call on one user's URL; the id is one path segment, whatever it holds."""
    if not remote_id:
        raise ValueError("A remote id must not be empty")
    segment = quote(remote_id, safe="")
    if set(remote_id) == {"."}:  # "." and ".." would walk up the path
        segment = remote_id.replace(".", "%2E")
    return Call(method, f"{_USERS}/{segment}", member=True)


def _search(names: list[str], start: int) -> dict[str, str]:
    return {"filter": or_filter(names), "startIndex": str(start), "count": str(len(names))}


def _matching(page: ListPage, wanted: set[str]) -> dict[str, Remote]:
    """Rows whose userName is wanted (targets may answer rows that do not match)."""
    found: dict[str, Remote] = {}
    for remote in page.resources:
        key = (username_of(remote) or "").casefold()
        if key in wanted:
            found.setdefault(key, remote)
    return found


def _done(page: ListPage, next_start: int, wanted: set[str], found: dict[str, Remote]) -> bool:
    total = page.total_results
    past_the_end = total is not None and next_start > total
    return found.keys() >= wanted or not page.items_per_page or past_the_end


def _headers(token: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token}",
        "Accept": "application/scim+json, application/json",
        "Accept-Encoding": "identity",
        "User-Agent": f"scimhub/{__version__}",
    }


def _check_token(token: str) -> None:
    if not token or not (token.isascii() and token.isprintable()) or token != token.strip():
        raise Stop("The application's token cannot be sent: it must be printable ASCII")
