"""Sign-in attempts per client address: a sliding-window limiter kept in memory.

The account's own throttle (``storage/admin_accounts.py``) slows guesses at one known name;
it cannot slow a client that tries many names, or names that do not exist, each of which
still costs the server an argon2 verification. This limiter counts the attempts of each
client address over the last ``window`` seconds: the first ``free`` cost nothing, then each
attempt must wait 1, 2, 4 ... up to ``max_wait`` seconds after the address's last one (the
account rule's curve) and is refused with ``Throttled`` before any password is checked. A
successful sign-in clears its own address's count, and nobody else's.

An attempt counts from the moment it is admitted (``admit``) until a success forgets the
address (``succeeded``): parallel attempts cannot all pass the check before the first
failure is recorded, so a burst never buys more argon2 work than ``free``.

Memory is bounded: at most ``max_addresses`` addresses are tracked (the one whose last
attempt is oldest is evicted first), an address whose attempts have all left the window is
dropped, and an address keeps no more timestamps than it takes to reach ``max_wait``. IPv6
clients are counted per /64 network, since one host usually holds a whole /64.

The address is the one the ASGI server reports (``request.client.host``). Which proxies may
rewrite it is the operator's concern: uvicorn takes ``X-Forwarded-For`` only from the
addresses in ``FORWARDED_ALLOW_IPS`` (default: loopback); behind a proxy it does not trust,
every client shares the proxy's address and so its count. The counts live in one process:
each ``scimhub serve`` process keeps its own.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from scimhub.problems import Throttled

__all__ = ["AddressRule", "AddressThrottle", "address_key"]


@dataclass(frozen=True, slots=True)
class AddressRule:
    """``free`` attempts per address in ``window`` seconds, then waits doubling from 1 s
    to ``max_wait``; at most ``max_addresses`` addresses remembered."""

    free: int = 10
    window: float = 600.0
    max_wait: float = 300.0  # the account rule's cap
    max_addresses: int = 10_000

    def wait_after(self, attempts: int) -> float:
        """Seconds an address waits after ``attempts`` counted attempts in the window."""
        if attempts < self.free:
            return 0.0
        return min(self.max_wait, 2.0 ** (attempts - self.free))

    @property
    def kept(self) -> int:
        """Timestamps worth keeping per address: enough to reach ``max_wait``."""
        return self.free + max(0, math.ceil(math.log2(max(self.max_wait, 1.0)))) + 1


class AddressThrottle:
    """The limiter of one web app (``create_web`` makes it); safe to share between threads."""

    def __init__(
        self, rule: AddressRule | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rule = rule or AddressRule()
        self._clock = clock
        self._lock = threading.Lock()
        # Ordered by last attempt, oldest first: expiry and eviction pop from the front.
        self._attempts: OrderedDict[str, deque[float]] = OrderedDict()

    def admit(self, address: str) -> None:
        """Count an attempt from ``address``, or raise ``Throttled`` (counting nothing)
        while the address must wait."""
        key = address_key(address)
        with self._lock:
            now = self._clock()
            self._expire(now)
            attempts = self._attempts.get(key)
            if attempts is None:
                attempts = self._track(key)
            else:
                self._refuse_while_waiting(attempts, now)
            attempts.append(now)
            self._attempts.move_to_end(key)

    def succeeded(self, address: str) -> None:
        """A sign-in from ``address`` succeeded: its count starts again from zero."""
        with self._lock:
            self._attempts.pop(address_key(address), None)

    def __len__(self) -> int:
        """How many addresses are tracked."""
        with self._lock:
            self._expire(self._clock())
            return len(self._attempts)

    # --- internals (called with the lock held) -------------------------------------------

    def _expire(self, now: float) -> None:
        """Drop the addresses whose last attempt has left the window."""
        horizon = now - self.rule.window
        while self._attempts:
            key, attempts = next(iter(self._attempts.items()))
            if attempts[-1] > horizon:
                return
            del self._attempts[key]

    def _track(self, key: str) -> deque[float]:
        while len(self._attempts) >= self.rule.max_addresses:
            self._attempts.popitem(last=False)  # the address idle for longest
        attempts: deque[float] = deque(maxlen=self.rule.kept)
        self._attempts[key] = attempts
        return attempts

    def _refuse_while_waiting(self, attempts: deque[float], now: float) -> None:
        horizon = now - self.rule.window
        while attempts and attempts[0] <= horizon:
            attempts.popleft()
        if not attempts:
            return
        left = attempts[-1] + self.rule.wait_after(len(attempts)) - now
        if left > 0:
            seconds = max(1, math.ceil(left))
            raise Throttled(f"Too many failed sign-ins; try again in {seconds} s", retry_after=left)


def address_key(address: str) -> str:
    """What an address is counted under: an IPv4 address as it is (also when IPv4-mapped),
    an IPv6 address by its /64 network, anything else (a name) as given."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((int(ip) >> 64 << 64, 64)))
    return str(ip)
