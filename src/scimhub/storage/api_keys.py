"""Keys for the hub's REST API: random, shown once, stored as SHA-256 digests.

Like provider tokens, a key has 256 bits of entropy, so a fast digest is safe; the digest
found by the indexed lookup is compared again in constant time.
"""

from __future__ import annotations

import builtins
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Row, insert, select, update

from scimhub.problems import Invalid, NotFound, Refused

from .hub_tables import admin_api_keys as keys
from .resources import now_utc
from .tenants import digest
from .transactions import read_tx, write_tx

__all__ = ["KEY_PREFIX", "ApiKey", "ApiKeys"]

KEY_PREFIX = "shk_"
_LAST_USED_GRANULARITY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    prefix: str
    label: str | None
    created: datetime
    last_used: datetime | None
    revoked: datetime | None


class ApiKeys:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, label: str | None = None) -> tuple[str, ApiKey]:
        """Issue a key; the plaintext is returned once and never stored."""
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        info = ApiKey(str(uuid.uuid4()), key[:12], label, now_utc(), None, None)
        row = {"id": info.id, "prefix": info.prefix, "label": label, "created": info.created}
        with write_tx(self.engine) as conn:
            conn.execute(insert(keys), [row | {"key_hash": digest(key)}])
        return key, info

    def list(self) -> builtins.list[ApiKey]:
        with read_tx(self.engine) as conn:
            rows = conn.execute(select(keys).order_by(keys.c.created)).all()
        return [_info(r) for r in rows]

    def revoke(self, prefix_or_id: str) -> ApiKey:
        prefix_or_id = prefix_or_id.strip()
        if not prefix_or_id:
            raise Invalid("Name the API key to revoke by its prefix or id")
        live = [k for k in self.list() if k.revoked is None]
        matches = [
            k for k in live if prefix_or_id in (k.id, k.prefix) or k.prefix.startswith(prefix_or_id)
        ]
        if not matches:
            raise NotFound(f"No live API key matches '{prefix_or_id}'")
        if len(matches) > 1:
            raise Refused(f"'{prefix_or_id}' matches {len(matches)} keys; give a longer prefix")
        with write_tx(self.engine) as conn:
            conn.execute(update(keys).where(keys.c.id == matches[0].id).values(revoked=now_utc()))
        return matches[0]

    def authenticate(self, key: str) -> ApiKey | None:
        """The live key matching ``key``, or None; records its use at most once a minute."""
        wanted = digest(key)
        with read_tx(self.engine) as conn:
            row = conn.execute(
                select(keys).where(keys.c.key_hash == wanted, keys.c.revoked.is_(None))
            ).first()
        if row is None or not hmac.compare_digest(row.key_hash, wanted):
            return None
        info = _info(row)
        self._touch(info)
        return info

    def _touch(self, info: ApiKey) -> None:
        now = now_utc()
        last = info.last_used
        if last is not None and now - last < _LAST_USED_GRANULARITY:
            return
        with write_tx(self.engine) as conn:
            conn.execute(update(keys).where(keys.c.id == info.id).values(last_used=now))


def _info(r: Row[Any]) -> ApiKey:
    return ApiKey(r.id, r.prefix, r.label, r.created, r.last_used, r.revoked)
