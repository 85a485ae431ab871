"""The IdM integration lifecycle: configure, activate (verify first), deactivate.

Rules, as JumpCloud states them for Profit.co:
- the token is encrypted at rest and shown again only by its last four characters;
- activation calls the target first (a request that creates nothing) and activates only
  when the connection is verified, otherwise it says precisely why not;
- the token (or base URL) cannot change while the integration is active: deactivate it,
  update the token, and activate it again;
- deactivation stops provisioning at once: the generation is bumped, so work started under
  the old generation sees it and stops; the application's users stay as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from scimhub.problems import Invalid, NotFound, Problem, Refused
from scimhub.storage.hub_tables import applications, idm_integrations
from scimhub.storage.resources import now_utc
from scimhub.storage.transactions import read_tx, write_tx

from .apps import resolve
from .catalog import CatalogEntry, catalog_entry
from .changes import NO_SCOPE_CHANGES, ScopeSink
from .idm_rules import (
    TOKEN_RULE,
    checked_options,
    refuse_live_change,
    state_after,
    url_change,
)
from .models import IdmState, IdmStatus
from .secrets import SecretBox
from .verify import Verification, verify_connection

__all__ = ["TOKEN_RULE", "Activation", "IdmIntegrations", "VerificationFailed"]

MAX_TOKEN_LENGTH = 4096


class VerificationFailed(Problem):
    """Activation refused because the connection could not be verified."""

    status = 422
    code = "verification_failed"

    def __init__(self, verification: Verification) -> None:
        super().__init__(verification.message)
        self.verification = verification

    def as_dict(self) -> dict[str, object]:
        return super().as_dict() | {
            "outcome": str(self.verification.outcome),
            "status_code": self.verification.status_code,
        }


@dataclass(frozen=True, slots=True)
class Activation:
    status: IdmStatus
    verification: Verification
    message: str


class IdmIntegrations:
    def __init__(
        self,
        engine: Engine,
        box: SecretBox,
        *,
        timeout: float = 10.0,
        scope: ScopeSink = NO_SCOPE_CHANGES,
    ) -> None:
        self.engine = engine
        self.box = box
        self.timeout = timeout
        self.scope = scope

    def get(self, app_ref: str) -> IdmStatus:
        with read_tx(self.engine) as conn:
            return _load(conn, resolve(conn, app_ref))

    def configure(
        self,
        app_ref: str,
        *,
        region: str | None = None,
        base_url: str | None = None,
        token: str | None = None,
        options: Mapping[str, bool] | None = None,
    ) -> IdmStatus:
        """Set the base URL (a region or a typed URL), the token and the options."""
        with write_tx(self.engine) as conn:
            app_id = resolve(conn, app_ref)
            current, entry = _load(conn, app_id, lock=True), _entry(conn, app_id)
            values = self._changes(
                current, entry, region=region, base_url=base_url, token=token, options=options
            )
            if values:
                values |= state_after(current, values)
                conn.execute(
                    update(idm_integrations)
                    .where(idm_integrations.c.app_id == app_id)
                    .values(**values, updated=now_utc())
                )
                self.scope.integration_changed(conn, app_id)
            return _load(conn, app_id)

    def activate(
        self,
        app_ref: str,
        *,
        region: str | None = None,
        base_url: str | None = None,
        token: str | None = None,
    ) -> Activation:
        """Configure what is given, verify the connection, and activate only if verified.

        Raises ``VerificationFailed`` (after recording the check) when it is not verified.
        """
        if region is not None or base_url is not None or token is not None:
            self.configure(app_ref, region=region, base_url=base_url, token=token)
        current = self.get(app_ref)
        sealed, verification = self._verify(current)
        status = self._record(current, sealed, verification, activate=True)
        if not verification.ok:
            raise VerificationFailed(verification)
        message = "The Identity Management integration has been successfully verified."
        return Activation(status, verification, message)

    def test_connection(self, app_ref: str) -> tuple[Verification, IdmStatus]:
        """Verify the saved configuration without activating; the check is recorded."""
        current = self.get(app_ref)
        sealed, verification = self._verify(current)
        return verification, self._record(current, sealed, verification, activate=False)

    def _verify(self, current: IdmStatus) -> tuple[str, Verification]:
        sealed = self._sealed_token(current)
        url = _required_url(current)
        return sealed, verify_connection(url, self.box.open(sealed), timeout=self.timeout)

    def deactivate(self, app_ref: str) -> IdmStatus:
        """Stop provisioning for the application now; its remote users stay as they are."""
        with write_tx(self.engine) as conn:
            app_id = resolve(conn, app_ref)
            current = _load(conn, app_id, lock=True)
            if current.state is not IdmState.ACTIVE:
                raise Refused("The IdM integration is not active")
            now = now_utc()
            conn.execute(
                update(idm_integrations)
                .where(idm_integrations.c.app_id == app_id)
                .values(
                    status=IdmState.INACTIVE.value,
                    deactivated_at=now,
                    updated=now,
                    generation=idm_integrations.c.generation + 1,
                )
            )
            self.scope.integration_changed(conn, app_id)
            return _load(conn, app_id)

    def token(self, app_ref: str) -> str:
        """The decrypted token, for the provisioning connector only; never display it."""
        with read_tx(self.engine) as conn:
            return self.box.open(_sealed(conn, resolve(conn, app_ref)))

    def _sealed_token(self, current: IdmStatus) -> str:
        with read_tx(self.engine) as conn:
            return _sealed(conn, current.app_id)

    def _changes(
        self,
        current: IdmStatus,
        entry: CatalogEntry,
        *,
        region: str | None,
        base_url: str | None,
        token: str | None,
        options: Mapping[str, bool] | None,
    ) -> dict[str, Any]:
        values = url_change(entry, region, base_url)
        if (values.get("region"), values.get("base_url")) == (current.region, current.base_url):
            values = {}  # the same region or URL again: nothing changes, nothing is re-queued
        if token is not None:
            values |= self._token_change(token)
        if options is not None:
            chosen = checked_options(entry, current.options, options)
            if chosen != current.options:
                values["options"] = chosen
        if current.state is IdmState.ACTIVE:
            refuse_live_change(current, values)
        return values

    def _token_change(self, token: str) -> dict[str, Any]:
        token = token.strip()
        if not token:
            raise Invalid("The token is empty")
        # It travels in an HTTP header: printable ASCII only, as verification requires.
        printable = token.isascii() and token.isprintable() and " " not in token
        if len(token) > MAX_TOKEN_LENGTH or not printable:
            raise Invalid(
                "The token must be one line of at most 4096 printable ASCII characters "
                "without spaces"
            )
        return {"token_ciphertext": self.box.seal(token), "token_last4": token[-4:]}

    def _record(
        self, before: IdmStatus, sealed: str, verification: Verification, *, activate: bool
    ) -> IdmStatus:
        """Store the check; activate if asked, verified, and nothing was reconfigured."""
        now = now_utc()
        check = _check(verification, now)
        with write_tx(self.engine) as conn:
            current = _load(conn, before.app_id, lock=True)
            values: dict[str, Any] = {"last_check": check, "updated": now}
            unchanged = (
                current.base_url == before.base_url and _sealed(conn, current.app_id) == sealed
            )
            if verification.ok and unchanged and activate:
                values |= _activation(current, verification, now)
                if not _entry(conn, current.app_id).reads_service_provider_config:
                    values.pop("capabilities", None)  # the catalog entry is authoritative
            conn.execute(
                update(idm_integrations)
                .where(idm_integrations.c.app_id == current.app_id)
                .values(**values)
            )
            if "activated_at" in values:  # the sink sees the integration as it now is
                self.scope.integration_changed(conn, current.app_id, activated=True)
            return _load(conn, current.app_id)


def _required_url(current: IdmStatus) -> str:
    if current.base_url is None:
        raise Invalid("Enter the base URL (or choose a region) and the token first")
    return current.base_url


def _sealed(conn: Connection, app_id: str) -> str:
    row = conn.execute(
        select(idm_integrations.c.token_ciphertext).where(idm_integrations.c.app_id == app_id)
    ).first()
    if row is None:
        raise NotFound(f"No application with id '{app_id}'")
    if row.token_ciphertext is None:
        raise Invalid("Enter the base URL (or choose a region) and the token first")
    return str(row.token_ciphertext)


def _activation(current: IdmStatus, verification: Verification, now: datetime) -> dict[str, Any]:
    values: dict[str, Any] = {"verified_at": now}
    if verification.capabilities is not None:
        values["capabilities"] = verification.capabilities.as_dict()
    if current.state is not IdmState.ACTIVE:
        values |= {
            "status": IdmState.ACTIVE.value,
            "activated_at": now,
            "generation": current.generation + 1,
        }
    return values


def _check(verification: Verification, at: datetime) -> dict[str, Any]:
    return {
        "outcome": str(verification.outcome),
        "ok": verification.ok,
        "message": verification.message,
        "status_code": verification.status_code,
        "elapsed_ms": round(verification.elapsed_ms, 1),
        "at": at.isoformat(),
    }


def _entry(conn: Connection, app_id: str) -> CatalogEntry:
    key = conn.execute(
        select(applications.c.catalog_key).where(applications.c.id == app_id)
    ).scalar()
    if key is None:
        raise NotFound(f"No application with id '{app_id}'")
    return catalog_entry(key)


def _load(conn: Connection, app_id: str, *, lock: bool = False) -> IdmStatus:
    query = select(idm_integrations).where(idm_integrations.c.app_id == app_id)
    if lock:
        query = query.with_for_update()
    r = conn.execute(query).first()
    if r is None:  # deleted by a concurrent transaction (e.g. while activation verified)
        raise NotFound(f"No application with id '{app_id}'")
    return IdmStatus(
        r.app_id,
        IdmState(r.status),
        r.region,
        r.base_url,
        r.token_last4,
        dict(r.options),
        r.capabilities,
        r.last_check,
        r.verified_at,
        r.activated_at,
        r.deactivated_at,
        r.generation,
        r.updated,
    )
