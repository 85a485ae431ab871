"""Fixtures shared by the client replays."""

from __future__ import annotations

import pytest


@pytest.fixture
def client(tenant):
    """The replaying client: a fresh `generic` tenant's authenticated HTTP client."""
    return tenant.client
