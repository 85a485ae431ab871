"""Replaying captured client traffic against the live provider.

Request bodies in the interop tests are kept as the client sent them, ids included.
:func:`swap` puts the ids this provider assigned in place of the captured ones, so a
body still reads like the capture it came from.

Sources are the research notes on what Entra ID, Okta and JumpCloud send; each body
cites its request id there (E8, O15, J4...) and the source's trust tag:
[DOC] vendor documentation, [DOC-TEST] a vendor test suite, [3P-OBS] third-party
captures, [INFERRED] reconstructed from prose.
"""

from __future__ import annotations

import copy
from typing import Any

import httpx

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"

Doc = dict[str, Any]


def swap(body: Any, ids: dict[str, str]) -> Any:
    """A deep copy of ``body`` with every captured id replaced (also inside URLs)."""
    if isinstance(body, dict):
        return {swap(k, ids): swap(v, ids) for k, v in body.items()}
    if isinstance(body, list):
        return [swap(v, ids) for v in body]
    if isinstance(body, str):
        for captured, real in ids.items():
            body = body.replace(captured, real)
        return body
    return copy.deepcopy(body)


def create(client: httpx.Client, endpoint: str, body: Doc) -> Doc:
    r = client.post(endpoint, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def seed_user(client: httpx.Client, user_name: str) -> str:
    """A plain RFC 7643 user, for tests that need someone to point at."""
    return create(client, "/Users", {"schemas": [USER], "userName": user_name})["id"]


def get(client: httpx.Client, path: str, **params: str) -> Doc:
    r = client.get(path, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def send(client: httpx.Client, method: str, path: str, body: Doc) -> httpx.Response:
    """A PUT or PATCH that must succeed (200 with the resource, or 204)."""
    r = client.request(method, path, json=body)
    assert r.status_code in (200, 204), r.text
    return r


def search(client: httpx.Client, endpoint: str, flt: str, **params: str) -> list[Doc]:
    body = get(client, endpoint, filter=flt, **params)
    assert body["schemas"] == [LIST_RESPONSE]
    assert body["totalResults"] == len(body["Resources"])
    return body["Resources"]


def member_ids(client: httpx.Client, group_id: str) -> set[str]:
    return {m["value"] for m in get(client, f"/Groups/{group_id}").get("members", [])}


def assert_scim_error(r: httpx.Response, status: int) -> Doc:
    assert r.status_code == status, r.text
    body: Doc = r.json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    assert body["detail"]
    return body
