"""Provider tenants and their bearer tokens ("SCIM keys").

Tokens are random, shown once, and stored only as SHA-256 digests: a token has
256 bits of entropy, so a fast digest is safe and keeps authentication cheap.
The digest found by the indexed lookup is compared again in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from .fastread import reader_for, stamp
from .resources import now_utc
from .tables import tenants, tokens
from .transactions import read_tx, write_tx

TOKEN_PREFIX = "scim_"
_LAST_USED_GRANULARITY = timedelta(minutes=1)


class TenantError(Exception):
    """A tenant or token operation that cannot be done (unknown name, duplicate...)."""


@dataclass(frozen=True, slots=True)
class Tenant:
    id: str
    name: str
    profile: str
    created: datetime


@dataclass(frozen=True, slots=True)
class TokenInfo:
    id: str
    tenant_id: str
    tenant_name: str
    prefix: str
    label: str | None
    created: datetime
    last_used: datetime | None
    revoked: datetime | None


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a valid token speaks for."""

    token_id: str
    tenant_id: str
    profile: str
    last_used: datetime | None


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TenantStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create_tenant(self, name: str, profile: str) -> Tenant:
        tenant = Tenant(str(uuid.uuid4()), name, profile, now_utc())
        try:
            with write_tx(self.engine) as conn:
                conn.execute(insert(tenants), [_row(tenant)])
        except IntegrityError:
            raise TenantError(f"Tenant '{name}' already exists") from None
        return tenant

    def get_tenant(self, name_or_id: str) -> Tenant:
        with read_tx(self.engine) as conn:
            row = conn.execute(
                select(tenants).where((tenants.c.name == name_or_id) | (tenants.c.id == name_or_id))
            ).first()
        if row is None:
            raise TenantError(f"No tenant named '{name_or_id}'")
        return Tenant(row.id, row.name, row.profile, row.created)

    def list_tenants(self) -> list[Tenant]:
        with read_tx(self.engine) as conn:
            rows = conn.execute(select(tenants).order_by(tenants.c.name)).all()
        return [Tenant(r.id, r.name, r.profile, r.created) for r in rows]

    def create_token(self, tenant_name: str, label: str | None = None) -> tuple[str, TokenInfo]:
        """Issue a token; the plaintext is returned once and never stored."""
        tenant = self.get_tenant(tenant_name)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        info = TokenInfo(
            str(uuid.uuid4()), tenant.id, tenant.name, token[:12], label, now_utc(), None, None
        )
        row: dict[str, Any] = {"id": info.id, "tenant_id": tenant.id, "prefix": info.prefix}
        row["label"] = label
        row |= {"token_hash": digest(token), "created": info.created}
        with write_tx(self.engine) as conn:
            conn.execute(insert(tokens), [row])
        return token, info

    def list_tokens(self, tenant_name: str | None = None) -> list[TokenInfo]:
        query = select(tokens, tenants.c.name).join(tenants, tenants.c.id == tokens.c.tenant_id)
        if tenant_name:
            query = query.where(tenants.c.name == tenant_name)
        with read_tx(self.engine) as conn:
            rows = conn.execute(query.order_by(tokens.c.created)).all()
        return [_token_info(r) for r in rows]

    def get_token(self, token_id: str) -> TokenInfo | None:
        """The token with this id (live or revoked), or None."""
        query = (
            select(tokens, tenants.c.name)
            .join(tenants, tenants.c.id == tokens.c.tenant_id)
            .where(tokens.c.id == token_id)
        )
        with read_tx(self.engine) as conn:
            row = conn.execute(query).first()
        return None if row is None else _token_info(row)

    def revoke_token(self, prefix_or_id: str) -> TokenInfo:
        """Revoke the one live token whose id or prefix is ``prefix_or_id``."""
        wanted = or_(
            tokens.c.id == prefix_or_id,
            tokens.c.prefix.startswith(prefix_or_id, autoescape=True),
        )
        query = (
            select(tokens, tenants.c.name)
            .join(tenants, tenants.c.id == tokens.c.tenant_id)
            .where(tokens.c.revoked.is_(None), wanted)
            .limit(2)  # one is the answer; two say the prefix is ambiguous
        )
        with read_tx(self.engine) as conn:
            matches = [_token_info(r) for r in conn.execute(query).all()]
        if len(matches) != 1:
            how_many = "no live token" if not matches else "several live tokens"
            raise TenantError(f"'{prefix_or_id}' matches {how_many}; give a longer prefix or id")
        with write_tx(self.engine) as conn:
            conn.execute(
                update(tokens).where(tokens.c.id == matches[0].id).values(revoked=now_utc())
            )
        return matches[0]

    def authenticate(self, token: str) -> Principal | None:
        """The principal for a live token, or None. Constant-time on the digest."""
        wanted = digest(token)
        row = reader_for(self.engine).token(wanted)
        if row is None or not hmac.compare_digest(row[1], wanted):
            return None
        token_id, _, tenant_id, last_used, profile = row
        return Principal(token_id, tenant_id, profile, stamp(last_used))

    def touch(self, principal: Principal) -> None:
        """Record last use, at most once a minute per token to keep reads write-free."""
        now = now_utc()
        last = principal.last_used
        if last is not None and last.tzinfo is None:
            last = last.replace(tzinfo=now.tzinfo)
        if last is not None and now - last < _LAST_USED_GRANULARITY:
            return
        with write_tx(self.engine) as conn:
            conn.execute(
                update(tokens).where(tokens.c.id == principal.token_id).values(last_used=now)
            )


def _row(tenant: Tenant) -> dict[str, Any]:
    return {
        "id": tenant.id,
        "name": tenant.name,
        "profile": tenant.profile,
        "created": tenant.created,
    }


def _token_info(r: Any) -> TokenInfo:
    return TokenInfo(
        r.id, r.tenant_id, r.name, r.prefix, r.label, r.created, r.last_used, r.revoked
    )
