"""The provider answers over real HTTP on both databases."""

from __future__ import annotations


def test_empty_tenant_lists_no_users(tenant):
    r = tenant.client.get("/Users")
    assert r.status_code == 200
    assert r.json()["totalResults"] == 0
    assert r.headers["content-type"].startswith("application/scim+json")
