"""Bearer-token authentication: a token identifies its tenant (and profile)."""

from __future__ import annotations

import time

from starlette.requests import Request

from scimhub.scim.errors import Unauthorized
from scimhub.storage.tenants import Principal, TenantStore, digest


class Authenticator:
    """Resolves bearer tokens to principals, caching hits for ``ttl`` seconds.

    The cache is keyed by the token's digest (never the token) and holds only
    live tokens, so a revocation takes effect within ``ttl`` seconds.
    """

    def __init__(self, tenants: TenantStore, ttl: float = 2.0, max_entries: int = 10_000) -> None:
        self.tenants = tenants
        self.ttl = ttl
        self.max_entries = max_entries
        self._cache: dict[str, tuple[Principal, float]] = {}

    def __call__(self, request: Request) -> Principal:
        token = _bearer(request.headers.get("authorization"))
        key = digest(token)
        hit = self._cache.get(key)
        now = time.monotonic()
        if hit is not None and hit[1] > now:
            return hit[0]
        principal = self.tenants.authenticate(token)
        if principal is None:
            self._cache.pop(key, None)
            raise Unauthorized("The bearer token is missing, invalid or revoked")
        self.tenants.touch(principal)
        if len(self._cache) >= self.max_entries:
            self._cache.clear()
        self._cache[key] = (principal, now + self.ttl)
        return principal

    def forget(self) -> None:
        self._cache.clear()


def _bearer(header: str | None) -> str:
    if not header:
        raise Unauthorized("Authorization is required: send 'Authorization: Bearer <SCIM key>'")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authorization must use the Bearer scheme with a SCIM key")
    return token.strip()
