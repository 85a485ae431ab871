"""The sign-in limiter per client address (``scimhub.web.throttle``), as plain unit tests
with an injected clock (kept beside the sign-in tests: tests/unit/ has no web folder)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from scimhub.problems import Throttled
from scimhub.web.throttle import AddressRule, AddressThrottle, address_key

A, B = "192.0.2.1", "192.0.2.2"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def limiter(clock: Clock, **rule: Any) -> AddressThrottle:
    return AddressThrottle(AddressRule(**rule), clock=clock)


def admits(throttle: AddressThrottle, address: str) -> bool:
    try:
        throttle.admit(address)
    except Throttled:
        return False
    return True


def test_the_free_attempts_pass_then_the_next_waits_one_second_then_two() -> None:
    clock = Clock()
    throttle = limiter(clock, free=3)
    assert [admits(throttle, A) for _ in range(3)] == [True] * 3
    with pytest.raises(Throttled, match=r"^Too many failed sign-ins; try again in 1 s$") as info:
        throttle.admit(A)
    assert info.value.status == 429
    assert info.value.retry_after == pytest.approx(1.0)
    clock.now += 1.0
    assert admits(throttle, A)  # the 4th attempt, after its wait
    clock.now += 1.5
    assert not admits(throttle, A)  # the 5th waits 2 s
    clock.now += 0.5
    assert admits(throttle, A)


def test_refused_attempts_do_not_count_so_waiting_clients_are_not_locked_out() -> None:
    clock = Clock()
    throttle = limiter(clock, free=2)
    throttle.admit(A)
    throttle.admit(A)
    for _ in range(50):
        assert not admits(throttle, A)
    clock.now += 1.0
    assert admits(throttle, A)


def test_the_wait_is_capped() -> None:
    clock = Clock()
    throttle = limiter(clock, free=1, max_wait=8.0, window=3_600.0)
    for _ in range(12):
        clock.now += 10.0  # more than any wait: every attempt is admitted and counted
        throttle.admit(A)
    with pytest.raises(Throttled) as info:
        throttle.admit(A)
    assert info.value.retry_after == pytest.approx(8.0)


def test_attempts_leave_the_window_and_the_address_is_free_again() -> None:
    clock = Clock()
    throttle = limiter(clock, free=3, window=600.0)
    for _ in range(3):
        throttle.admit(A)  # three at 0 s
    clock.now += 599.0
    assert admits(throttle, A)  # its 1 s wait long over; counted: four in the window
    assert not admits(throttle, A)  # the next waits 2 s
    clock.now += 1.0  # the three at 0 s leave the window: one remains
    assert [admits(throttle, A) for _ in range(2)] == [True, True]
    assert not admits(throttle, A)
    assert len(throttle) == 1
    clock.now += 600.0  # every attempt left the window: the address is forgotten
    assert len(throttle) == 0
    assert [admits(throttle, A) for _ in range(3)] == [True] * 3


def test_a_success_clears_its_own_address_and_no_other() -> None:
    clock = Clock()
    throttle = limiter(clock, free=2)
    for address in (A, A, B, B):
        throttle.admit(address)
    throttle.succeeded(B)
    assert not admits(throttle, A)  # B's success did not help A
    assert [admits(throttle, B) for _ in range(2)] == [True, True]
    assert not admits(throttle, B)


def test_memory_is_bounded_by_evicting_the_address_idle_longest() -> None:
    clock = Clock()
    throttle = limiter(clock, free=1, max_addresses=3)
    addresses = [f"198.51.100.{n}" for n in range(1, 6)]
    for address in addresses:
        throttle.admit(address)
        clock.now += 0.1
    assert len(throttle) == 3
    for kept in addresses[2:]:  # the three most recent are still counted
        assert not admits(throttle, kept)
    assert admits(throttle, addresses[0])  # the oldest was forgotten
    assert len(throttle) == 3


def test_an_address_keeps_only_the_timestamps_needed_to_reach_the_cap() -> None:
    clock = Clock()
    rule = AddressRule(free=10, max_wait=300.0, window=10**9)
    throttle = AddressThrottle(rule, clock=clock)
    for _ in range(1_000):
        clock.now += 1_000.0
        throttle.admit(A)
    assert rule.wait_after(rule.kept) == 300.0
    assert len(throttle._attempts[A]) == rule.kept  # the bound itself


def test_parallel_attempts_cannot_slip_past_the_free_count() -> None:
    clock = Clock()  # frozen: every attempt is in the same instant
    throttle = limiter(clock, free=5)
    admitted: list[bool] = []
    start = threading.Barrier(40)

    def attempt() -> None:
        start.wait()
        admitted.append(admits(throttle, A))

    threads = [threading.Thread(target=attempt) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert admitted.count(True) == 5


def test_an_ipv6_client_is_counted_by_its_64_network() -> None:
    assert address_key("2001:db8:1:2::1") == address_key("2001:db8:1:2:ffff::9")
    assert address_key("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert address_key("192.0.2.1") == "192.0.2.1"
    assert address_key("testclient") == "testclient"
    clock = Clock()
    throttle = limiter(clock, free=1)
    throttle.admit("2001:db8:1:2::1")
    assert not admits(throttle, "2001:db8:1:2::abcd")
    assert admits(throttle, "2001:db8:1:3::1")
