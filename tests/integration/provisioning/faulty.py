"""A SCIM target that misbehaves on purpose: a loopback HTTP/1.1 reverse proxy with faults.

The proxy sits in front of the project's own provider and forwards every request unchanged
(method, target, headers including ``Host`` and ``Authorization``, body), keeping the client's
connection alive (RFC 9112 §9.3), unless a scripted rule hands it a `Fault`:

- ``Fault.status(429, retry_after=1)``: answer at once with a SCIM error (RFC 7644 §3.12),
  optionally with ``Retry-After`` (RFC 9110 §10.2.3; RFC 6585 §4 for 429);
- ``Fault.hang(5)``: read the request, answer nothing for 5 s, then close;
- ``Fault.reset()``: read the request, then close with an RST (``SO_LINGER`` 0);
- ``Fault.after(fault)``: forward first, so the provider acts on the request, then apply
  ``fault`` to the answer (the user was created but the client sees a 500, a reset, a hang).

It runs an asyncio loop on its own thread; `FaultyProxy.close` cancels everything in flight
(hangs included) and joins the thread. Each request opens its own upstream connection.
"""

from __future__ import annotations

import asyncio
import itertools
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Literal
from urllib.parse import urlsplit

from .faulty_wire import Request, error_response, read_request, read_response

__all__ = ["Fault", "FaultyProxy", "RecordedRequest", "Request", "Rule"]

UPSTREAM_TIMEOUT = 30.0


# --- faults and rules ---------------------------------------------------------------------------

Answer = int | Literal["reset", "hang"]


@dataclass(frozen=True, slots=True)
class Fault:
    """What the proxy does instead of (or after) forwarding one request."""

    kind: Literal["status", "hang", "reset"]
    code: int = 0
    retry_after: float | str | None = None
    body: dict[str, Any] | None = None
    seconds: float = 0.0
    forward_first: bool = False

    @classmethod
    def status(
        cls, code: int, retry_after: float | str | None = None, body: dict[str, Any] | None = None
    ) -> Fault:
        """Answer ``code`` without forwarding; ``retry_after`` in seconds (or an HTTP-date)."""
        return cls("status", code=code, retry_after=retry_after, body=body)

    @classmethod
    def hang(cls, seconds: float) -> Fault:
        """Answer nothing for ``seconds`` (choose more than the client's timeout), then close."""
        return cls("hang", seconds=seconds)

    @classmethod
    def reset(cls) -> Fault:
        """Close the connection abruptly (TCP RST) after reading the request."""
        return cls("reset")

    @classmethod
    def after(cls, fault: Fault) -> Fault:
        """Forward to the provider first, then apply ``fault`` to what the client sees."""
        return replace(fault, forward_first=True)


@dataclass(frozen=True, slots=True)
class RecordedRequest(Request):
    """One request the proxy read, with what the client got back (``status``)."""

    status: Answer
    upstream: int | None
    fault: Fault | None
    connection: int
    at: float

    @property
    def forwarded(self) -> bool:
        """Whether the provider received (and acted on) this request."""
        return self.upstream is not None


Rule = Callable[[Request], "Fault | None"]
_Recorder = Callable[["Answer", "int | None", "Fault | None"], None]


@dataclass(slots=True)
class _Scripted:
    """A declarative rule: method and path prefix match, every n-th match, ``times`` uses."""

    fault: Fault
    method: str | None
    path: str | None
    times: int | None
    every: int = 1
    matched: int = 0

    def __call__(self, request: Request) -> Fault | None:
        if self.times == 0 or not self._matches(request):
            return None
        self.matched += 1
        if self.matched % self.every:
            return None
        if self.times is not None:
            self.times -= 1
        return self.fault

    def _matches(self, request: Request) -> bool:
        if self.method and request.method.upper() != self.method.upper():
            return False
        return self.path is None or request.path.startswith(self.path)


class FaultyProxy:
    """A reverse proxy on ``127.0.0.1`` in front of ``upstream``, with scripted faults.

    ``prefix`` is the SCIM base path (``/scim/v2``): `url` includes it, and the paths given to
    `fail` and `fail_every` are relative to it (``"/Users"`` matches ``/scim/v2/Users/...``).
    """

    def __init__(self, upstream: str, prefix: str = "") -> None:
        parts = urlsplit(upstream)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.prefix = prefix.rstrip("/")
        self._rules: list[Rule] = []
        self._log: list[RecordedRequest] = []
        self._connections = itertools.count(1)
        self._lock = threading.RLock()  # a scripted rule may read `requests`
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, name="faulty-proxy", daemon=True)
        self._thread.start()
        if not self._started.wait(10) or self._server is None:
            raise RuntimeError("the faulty proxy did not start")
        self.port: int = self._server.sockets[0].getsockname()[1]

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The SCIM base URL through the proxy."""
        return self.origin + self.prefix

    # --- scripting (called from the test's thread) ---------------------------------------------

    def fail(
        self, method: str | None, path: str | None, fault: Fault, times: int | None = 1
    ) -> None:
        """Apply ``fault`` to the next ``times`` matching requests (``None``: all of them).

        Rules are consulted in the order they were added; the first that matches applies.
        """
        self.script(_Scripted(fault, method, self._full(path), times))

    def fail_all(self, fault: Fault, times: int | None = 1) -> None:
        """Apply ``fault`` to the next ``times`` requests, whatever they are."""
        self.fail(None, None, fault, times)

    def fail_every(
        self, n: int, fault: Fault, method: str | None = None, path: str | None = None
    ) -> None:
        """Apply ``fault`` to every ``n``-th matching request, for as long as the rule stays."""
        if n < 1:
            raise ValueError("n must be 1 or more")
        self.script(_Scripted(fault, method, self._full(path), None, every=n))

    def script(self, rule: Rule | None) -> None:
        """Add a rule of your own (``None`` adds nothing); it sees every request in turn."""
        if rule is not None:
            with self._lock:
                self._rules.append(rule)

    def clear(self) -> None:
        """Drop every rule: from now on the proxy behaves."""
        with self._lock:
            self._rules.clear()

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request read so far, in the order their outcome was known."""
        with self._lock:
            return list(self._log)

    def calls(self, method: str | None = None, path: str | None = None) -> list[RecordedRequest]:
        """The recorded requests with this method and path prefix (relative to `prefix`)."""
        full = self._full(path)
        return [
            r
            for r in self.requests
            if (method is None or r.method == method.upper())
            and (full is None or r.path.startswith(full))
        ]

    def close(self) -> None:
        """Stop serving, cancel whatever is in flight, and join the proxy's thread."""
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)

    def __enter__(self) -> FaultyProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _full(self, path: str | None) -> str | None:
        return None if path is None else self.prefix + path

    def _fault_for(self, request: Request) -> Fault | None:
        with self._lock:
            return next((f for rule in self._rules if (f := rule(request)) is not None), None)

    def _record(
        self,
        request: Request,
        connection: int,
        at: float,
        status: Answer,
        upstream: int | None,
        fault: Fault | None,
    ) -> None:
        sent = (request.method, request.target, request.headers, request.body)
        with self._lock:
            self._log.append(RecordedRequest(*sent, status, upstream, fault, connection, at))

    # --- the loop's thread ----------------------------------------------------------------------

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._serve, "127.0.0.1", 0, limit=2**20)
            )
        finally:
            self._started.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._shutdown())
        self._loop.close()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        current = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.sleep(0)  # let the closed transports release their sockets
        await self._loop.shutdown_default_executor()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = next(self._connections)
        try:
            while (request := await read_request(reader)) is not None:
                record = partial(self._record, request, connection, time.monotonic())
                if not await self._answer(request, writer, record) or not request.keep_alive:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except ValueError:
            writer.write(error_response(400, "Malformed HTTP request"))
        finally:
            writer.close()

    async def _answer(
        self, request: Request, writer: asyncio.StreamWriter, record: _Recorder
    ) -> bool:
        """Answer one request; whether the connection may serve another."""
        fault = self._fault_for(request)
        upstream: int | None = None
        if fault is None or fault.forward_first:
            response, upstream = await self._forward(request)
            if fault is None:
                record(upstream or 502, upstream, None)
                writer.write(response)
                await writer.drain()
                return True
        return await _apply(fault, writer, upstream, record)

    async def _forward(self, request: Request) -> tuple[bytes, int | None]:
        """The provider's answer re-framed for a kept-alive client, and its status."""
        try:
            async with asyncio.timeout(UPSTREAM_TIMEOUT):
                reader, writer = await asyncio.open_connection(*self._upstream)
                try:
                    writer.write(request.upstream_bytes())
                    await writer.drain()
                    return await read_response(reader)
                finally:
                    writer.close()
        except (OSError, TimeoutError, ValueError) as exc:
            return error_response(502, f"The provider did not answer: {exc!r}"), None


async def _apply(
    fault: Fault, writer: asyncio.StreamWriter, upstream: int | None, record: _Recorder
) -> bool:
    """Misbehave as ``fault`` says; whether the connection may serve another request."""
    if fault.kind == "status":
        record(fault.code, upstream, fault)
        writer.write(error_response(fault.code, None, fault.retry_after, fault.body))
        await writer.drain()
        return True
    record(fault.kind, upstream, fault)
    if fault.kind == "hang":
        await asyncio.sleep(fault.seconds)
    else:
        _abort_with_rst(writer)
    return False


def _abort_with_rst(writer: asyncio.StreamWriter) -> None:
    """Close so that the peer gets a TCP RST, not a FIN (SO_LINGER on, timeout 0)."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
