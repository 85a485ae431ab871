"""The provisioning engine's tables: links, per-application engine state, the log.

A link row per (application, user) is the engine's memory (DESIGN.md, level-triggered):
the remote id, what was last pushed (values and their hash), where the remote copy stands,
the last permanent error, and the dirty mark (``due``) with its change counter (``seq``).
Links have no foreign key to the directory user: a deleted user's link must outlive the
user until the remote account is deprovisioned.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from .hub_tables import Folded, Timestamp
from .tables import metadata

__all__ = ["provisioning_apps", "provisioning_links", "provisioning_log"]


def _app_id(primary_key: bool = False) -> Column[str]:
    return Column(
        "app_id",
        String(36),
        ForeignKey("applications.id", ondelete="CASCADE"),
        primary_key=primary_key,
        nullable=False,
    )


provisioning_links = Table(
    "provisioning_links",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _app_id(),
    Column("user_id", String(36), nullable=False),
    #: The username last seen, so a deleted user's deprovisioning can still be named.
    Column("username", String(128), nullable=False, default=""),
    Column("remote_id", String(512), nullable=True),
    #: absent (nothing known in the target), active, inactive (deprovisioned)
    Column("remote_state", String(16), nullable=False, default="absent"),
    #: The mapped values last pushed (SCIM path -> value) and their SHA-256.
    Column("pushed", JSON, nullable=True),
    Column("pushed_hash", String(64), nullable=True),
    Column("error", Text, nullable=True),
    Column("error_at", Timestamp, nullable=True),
    #: Consecutive transient failures (the exponent of the backoff).
    Column("attempts", Integer, nullable=False, default=0),
    #: Bumped by every dirty mark: an outcome clears ``due`` only if no mark came meanwhile.
    Column("seq", Integer, nullable=False, default=0),
    #: Dirty when set: the time of the next attempt.
    Column("due", Timestamp, nullable=True),
    #: Set by a full reconcile: compare with the target's copy, not with what was pushed.
    Column("verify", Boolean, nullable=False, default=False),
    Column("lease_until", Timestamp, nullable=True),
    Column("lease_owner", String(64), nullable=True),
    Column("updated", Timestamp, nullable=False),
    UniqueConstraint("app_id", "user_id", name="uq_provisioning_links_app_user"),
    #: Claims take changes (verify false) before a full reconcile's comparisons.
    Index("ix_provisioning_links_work", "app_id", "verify", "due"),
    Index("ix_provisioning_links_user", "user_id"),
    Index("ix_provisioning_links_remote", "app_id", "remote_state"),
)

#: The engine's state per application: running, quarantined (401/403) or paused (the
#: deprovisioning guard), a Retry-After hold, and the full reconcile's schedule.
provisioning_apps = Table(
    "provisioning_apps",
    metadata,
    _app_id(primary_key=True),
    Column("state", String(16), nullable=False, default="running"),
    Column("reason", Text, nullable=True),
    Column("since", Timestamp, nullable=True),
    Column("hold_until", Timestamp, nullable=True),
    #: Deprovisionings the admin confirmed past the guard.
    Column("guard_allowance", Integer, nullable=False, default=0),
    Column("last_reconcile", Timestamp, nullable=True),
    Column("next_reconcile", Timestamp, nullable=True),
    Column("updated", Timestamp, nullable=False),
)

#: Every lookup, create, update, deprovision and delete, with its outcome. Never a token.
provisioning_log = Table(
    "provisioning_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Timestamp, nullable=False),
    _app_id(),
    Column("user_id", String(36), nullable=True),
    Column("username", String(128), nullable=True),
    Column("username_ci", Folded(256), nullable=True),
    #: lookup, create, link, update, reactivate, deactivate, delete, quarantine, pause, ...
    Column("action", String(16), nullable=False),
    #: ok, error (permanent), retry (transient), stopped (quarantine/pause/deactivation)
    Column("status", String(16), nullable=False),
    Column("http_status", Integer, nullable=True),
    Column("summary", Text, nullable=False, default=""),
    Column("message", Text, nullable=True),
    Column("elapsed_ms", Integer, nullable=True),
    Index("ix_provisioning_log_app", "app_id", "id"),
    Index("ix_provisioning_log_user", "app_id", "username_ci", "id"),
    Index("ix_provisioning_log_status", "app_id", "status", "id"),
    Index("ix_provisioning_log_at", "at"),
)
