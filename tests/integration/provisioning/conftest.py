"""Provisioning fixtures: a fresh tenant of the live provider behind a misbehaving proxy."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import NamedTuple

import pytest
from sqlalchemy import Engine

from conftest import LiveServer, Tenant, make_tenant

from .engine_support import PATHS
from .faulty import FaultyProxy


class FaultyTarget(NamedTuple):
    """A tenant seen through `FaultyProxy`; ``direct`` bypasses the proxy to check the truth."""

    proxy: FaultyProxy
    base_url: str
    token: str
    direct: Tenant
    profile: str


@pytest.fixture
def faulty(engine: Engine, provider: LiveServer) -> Iterator[Callable[..., FaultyTarget]]:
    """Make a fresh tenant of ``profile`` behind its own proxy: ``faulty("profitco")``."""
    made: list[FaultyTarget] = []

    def make(profile: str = "generic") -> FaultyTarget:
        tenant = make_tenant(engine, provider, profile)
        proxy = FaultyProxy(provider.url, prefix=PATHS[profile])
        made.append(FaultyTarget(proxy, proxy.url, tenant.token, tenant, profile))
        return made[-1]

    yield make
    for target in made:
        target.proxy.close()
        target.direct.client.close()


@pytest.fixture(params=sorted(PATHS))
def faulty_target(
    request: pytest.FixtureRequest, faulty: Callable[..., FaultyTarget]
) -> FaultyTarget:
    """A faulty target in each provider profile (the test runs once per profile)."""
    return faulty(request.param)
