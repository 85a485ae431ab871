"""The load generator of ``provider_bench.py``: one process, asyncio (uvloop), raw HTTP/1.1.

It reads a JSON spec on standard input, opens ``connections`` keep-alive connections to
127.0.0.1, keeps exactly one pre-built request in flight on each, parses responses by
Content-Length, and writes a JSON summary on standard output: requests/s, p50/p99 latency,
unexpected responses, and the CPU share used by itself and by the server's processes.
It imports nothing from scimhub, so it starts fast and stays small.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import random
import socket
import sys
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

try:
    import uvloop
except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
    uvloop = None

HOST = "127.0.0.1"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

GIVEN = "Ada Alan Barbara Carlos Chen Dana Elena Farid Grace Hana Ivan Jun Kofi Lea Mia Noor"
FAMILY = "Jensen Lovelace Turing Garcia Wei Okafor Novak Haddad Hopper Sato Petrov Mensah Silva"
TITLES = ("Engineer", "Senior Engineer", "Designer", "Product Manager", "Accountant", "Recruiter")
DEPARTMENTS = ("Research & Development", "Sales", "Finance", "Marketing", "Operations", "Legal")


def user_body(i: int, rng: random.Random, user_name: str | None = None) -> dict[str, Any]:
    """A realistic POST body for user ``i``, as an IdP sends it (~400 bytes)."""
    given, family = rng.choice(GIVEN.split()), rng.choice(FAMILY.split())
    user_name = user_name or f"{given}.{family}.{i:06d}@example.com".lower()
    return {
        "schemas": [USER_URN, ENTERPRISE_URN],
        "externalId": f"ext-{i:08d}" if "#" not in user_name else "ext-#########",
        "userName": user_name,
        "name": {"familyName": family, "givenName": given},
        "displayName": f"{given} {family}",
        "title": rng.choice(TITLES),
        "active": True,
        "emails": [{"value": user_name, "type": "work", "primary": True}],
        ENTERPRISE_URN: {"department": rng.choice(DEPARTMENTS)},
    }


class _Run:
    """One timed run: ``conns`` keep-alive connections, each with one request in flight."""

    def __init__(self, spec: dict[str, Any], make: Callable[[], bytes]) -> None:
        self.spec = spec
        self.make = make
        self.status = int(spec["status"])
        check = spec.get("check")
        self.check: bytes | None = check.encode() if check else None
        self.max_requests = int(spec["max_requests"])
        self.stopping = False
        self.start = self.end = float("inf")
        self.completed = 0  # good responses in the measured window
        self.answered = 0  # all responses in the measured window
        self.latencies: list[float] = []
        self.errors: dict[str, int] = {}
        self.samples: list[str] = []
        self.conns: set[_Conn] = set()
        self.reconnects = 0

    def error(self, kind: str, sample: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1
        if len(self.samples) < 5:
            self.samples.append(f"{kind}: {sample[:300]}")

    def response(self, t0: float, status: int, buf: bytearray, lo: int, hi: int) -> None:
        """Check one response; count it (good ones only) if it ended in the measured window."""
        now = time.perf_counter()
        good = False
        if status != self.status:
            self.error(str(status), bytes(buf[lo:hi]).decode(errors="replace"))
        elif self.check is not None and buf.find(self.check, lo, hi) < 0:
            self.error("body", bytes(buf[lo:hi]).decode(errors="replace"))
        else:
            good = True
        if self.start <= now <= self.end:
            self.answered += 1
            if good:
                self.completed += 1
                if self.start <= t0:
                    self.latencies.append(now - t0)
            if self.answered >= self.max_requests:
                self.stop()

    def stop(self) -> None:
        if not self.stopping:
            self.stopping = True
            self.end = min(self.end, time.perf_counter())


class _Conn(asyncio.Protocol):
    def __init__(self, run: _Run) -> None:
        self.run = run
        self.buf = bytearray()
        self.need = -1
        self.body_at = 0
        self.status = 0
        self.t0 = 0.0
        self.transport: Any = None
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.run.conns.add(self)
        self.send()

    def send(self) -> None:
        if self.run.stopping:
            self.transport.close()
            return
        request = self.run.make()
        self.t0 = time.perf_counter()
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        if self.need < 0:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buf[:end]).lower()
            self.status = int(head[9:12])
            i = head.find(b"\r\ncontent-length:")
            if i >= 0:
                j = head.find(b"\r\n", i + 17)
                length = int(head[i + 17 : j if j >= 0 else len(head)])
            elif self.status in (204, 304):
                length = 0
            else:
                self.run.error("no-content-length", head.decode(errors="replace"))
                self.transport.close()
                return
            self.body_at = end + 4
            self.need = end + 4 + length
        if len(buf) < self.need:
            return
        self.run.response(self.t0, self.status, buf, self.body_at, self.need)
        del buf[: self.need]
        self.need = -1
        self.send()

    def connection_lost(self, exc: Exception | None) -> None:
        self.run.conns.discard(self)
        if not self.run.stopping:
            self.run.error("disconnect", repr(exc))
        if not self.closed.done():
            self.closed.set_result(None)


def _request_factory(spec: dict[str, Any]) -> Callable[[], bytes]:
    """A cheap callable producing the next pre-built HTTP/1.1 request of the scenario."""
    common = f"Host: {HOST}:{spec['port']}\r\nAccept: application/scim+json\r\n"
    if spec.get("token"):
        common += f"Authorization: Bearer {spec['token']}\r\n"
    head = common.encode()
    kind = spec["kind"]
    prefix = spec.get("prefix", "/scim/v2")
    choice = random.choice
    if kind == "static":
        static = b"GET %s HTTP/1.1\r\n%s\r\n" % (spec["path"].encode(), head)
        return lambda: static
    if kind in ("get", "filter"):
        if kind == "get":
            paths = [f"{prefix}/Users/{rid}" for rid in spec["ids"]]
        else:
            paths = [
                f"{prefix}/Users?filter=" + urllib.parse.quote(f'userName eq "{name}"')
                for name in spec["user_names"]
            ]
        requests = [b"GET %s HTTP/1.1\r\n%s\r\n" % (p.encode(), head) for p in paths]
        return lambda: choice(requests)
    if kind == "page":
        top = max(1, int(spec["n"]) - 99)
        randint = random.randint
        page = (prefix + "/Users?startIndex=%d&count=100").encode()
        return lambda: b"GET %s HTTP/1.1\r\n%s\r\n" % (page % randint(1, top), head)
    return _write_factory(spec, head, prefix)


def _write_factory(spec: dict[str, Any], head: bytes, prefix: str) -> Callable[[], bytes]:
    """PATCH and POST: every body differs (a new title, a new userName), same length."""
    counter = itertools.count(1)
    choice = random.choice
    body_head = head + b"Content-Type: application/scim+json\r\n"
    if spec["kind"] == "patch":
        ids = [rid.encode() for rid in spec["ids"]]
        template = orjson.dumps(
            {
                "schemas": [PATCH_URN],
                "Operations": [{"op": "replace", "path": "title", "value": "Title #########"}],
            }
        ).replace(b"#########", b"%09d")
        size = len(template % 0)
        line = (prefix + "/Users/").encode()
        return lambda: (
            b"PATCH %s%s HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n%s"
            % (
                line,
                choice(ids),
                body_head,
                size,
                template % next(counter),
            )
        )
    tag = spec["tag"]
    name = f"new.user.{tag}.#########@example.com"
    doc = user_body(0, random.Random(7), name)
    template = orjson.dumps(doc).replace(b"%", b"%%").replace(b"#########", b"%09d")
    count_in_body = template.count(b"%09d")
    size = len(template % ((0,) * count_in_body))
    post = (prefix + "/Users").encode()
    return lambda: (
        b"POST %s HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n%s"
        % (
            post,
            body_head,
            size,
            template % ((next(counter),) * count_in_body),
        )
    )


def _proc_cpu_seconds(pids: list[int]) -> float:
    """utime + stime of ``pids`` (all threads), in seconds."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _named_cpu_seconds(comm: str) -> float:
    """utime + stime of every process whose command name is ``comm`` (e.g. postgres)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            text = stat.read_text()
            if text[text.index("(") + 1 : text.rindex(")")] == comm:
                fields = text.rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds spent by everything on the machine (all CPUs), from /proc/stat."""
    fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _percentile_ms(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    return 1000 * sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


async def _drive(spec: dict[str, Any]) -> dict[str, Any]:
    run = _Run(spec, _request_factory(spec))
    loop = asyncio.get_running_loop()
    server_pids = [int(p) for p in spec.get("server_pids", ())]
    db_comm = spec.get("db_process")
    cpu_marks: dict[str, tuple[float, ...]] = {}

    def mark(name: str) -> None:
        t = os.times()
        db = _named_cpu_seconds(db_comm) if db_comm else 0.0
        srv = _proc_cpu_seconds(server_pids)
        busy = machine_busy_seconds()
        cpu_marks[name] = (time.perf_counter(), t.user + t.system, srv, db, busy)

    def begin() -> None:
        run.start = time.perf_counter()
        run.end = run.start + float(spec["seconds"])
        mark("start")
        loop.call_later(float(spec["seconds"]), finish)

    def finish() -> None:
        run.stop()
        mark("end")

    async def connect() -> None:
        await loop.create_connection(lambda: _Conn(run), HOST, int(spec["port"]))

    await asyncio.gather(*(connect() for _ in range(int(spec["connections"]))))
    loop.call_later(float(spec["warmup"]), begin)
    while not run.stopping:
        await asyncio.sleep(0.05)
        missing = int(spec["connections"]) - len(run.conns)
        if missing > 0 and not run.stopping and run.reconnects < 1000:
            run.reconnects += missing
            await asyncio.gather(*(connect() for _ in range(missing)), return_exceptions=True)
    if "end" not in cpu_marks:
        mark("end")
    pending = [c.closed for c in list(run.conns)]
    if pending:
        _, late = await asyncio.wait(pending, timeout=float(spec.get("drain", 5.0)))
        for _ in late:
            run.error("timeout", "no response before the drain deadline")
        for c in list(run.conns):
            c.transport.abort()
    return _summary(run, cpu_marks)


def _summary(run: _Run, marks: dict[str, tuple[float, ...]]) -> dict[str, Any]:
    (t0, gen0, srv0, db0, busy0), (t1, gen1, srv1, db1, busy1) = marks["start"], marks["end"]
    wall = max(t1 - t0, 1e-9)
    gen, srv, db = (gen1 - gen0) / wall, (srv1 - srv0) / wall, (db1 - db0) / wall
    lat = sorted(run.latencies)
    return {
        "requests": run.completed,
        "seconds": wall,
        "rps": run.completed / wall,
        "answered": run.answered,
        "p50_ms": _percentile_ms(lat, 0.50),
        "p99_ms": _percentile_ms(lat, 0.99),
        "mean_ms": (sum(lat) / len(lat) * 1000) if lat else None,
        "errors": run.errors,
        "error_samples": run.samples,
        "gen_cpu": gen,
        "server_cpu": srv,
        "db_cpu": db,
        "other_cpu": max(0.0, (busy1 - busy0) / wall - gen - srv - db),
    }


def loadgen_main() -> None:
    spec = orjson.loads(sys.stdin.buffer.read())
    result = uvloop.run(_drive(spec)) if uvloop is not None else asyncio.run(_drive(spec))
    sys.stdout.buffer.write(orjson.dumps(result))


if __name__ == "__main__":
    loadgen_main()
