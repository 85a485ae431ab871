"""The third-party conformance checker scim2-tester, run against the live provider."""

from __future__ import annotations

import uuid
from typing import Annotated

import httpx2
import pytest
from pydantic import Field
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_models import EnterpriseUser, Required, ResourceType, ScimProvider, Uniqueness, User
from scim2_tester import Status, check_server

#: Profit.co requires userName to be an email; scim2-tester draws from field examples.
_EMAILS = [f"{uuid.uuid4().hex}@profit.example" for _ in range(200_000)]  # no collisions


class ProfitcoUser(User):
    user_name: Annotated[str | None, Uniqueness.server, Required.true, Field(examples=_EMAILS)] = (
        None
    )


def _run(tenant, provider=None, **kwargs):
    http = httpx2.Client(
        base_url=tenant.base, headers={"Authorization": f"Bearer {tenant.token}"}, timeout=30
    )
    with http:
        client = SyncSCIMClient(http, provider=provider) if provider else SyncSCIMClient(http)
        return check_server(client, **kwargs)


def _failures(results):
    return [r for r in results if r.status not in (Status.SUCCESS, Status.SKIPPED)]


def _describe(results):
    return [f"{r.title}: {r.reason}" for r in _failures(results)]


def test_generic_profile_passes_every_check(tenant):
    results = _run(tenant)
    assert _describe(results) == []
    assert len(results) > 100


@pytest.mark.parametrize("resource_type", ["User", "Group"])
def test_generic_profile_passes_every_check_per_resource_type(tenant, resource_type):
    assert _describe(_run(tenant, resource_types=[resource_type])) == []


def test_profitco_passes_every_user_check_except_deletion_which_is_refused(profitco):
    provider = ScimProvider(
        models=[ProfitcoUser, EnterpriseUser],
        resource_types=[ResourceType.from_resource(ProfitcoUser[EnterpriseUser])],
    )
    results = _run(profitco, provider, resource_types=["User"])
    failures = _failures(results)
    assert [r.title for r in failures] == ["object_deletion"]
    assert "set 'active' to false" in failures[0].reason
    assert sum(r.status == Status.SUCCESS for r in results) > 100
