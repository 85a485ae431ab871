"""The hub's tables: directory, applications, IdM integrations and admin API keys.

They share the provider's ``metadata`` (one Alembic history) but no rows: the hub and the
provider meet only over HTTP, even when they run on one database.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    TypeDecorator,
)

from .tables import metadata


class UtcTimestamp(TypeDecorator[datetime]):
    """A timestamp read back timezone-aware (UTC) on SQLite too, which stores it naive."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Stored as UTC: SQLite keeps no offset, so another zone would be read back wrong."""
        if value is None or value.tzinfo is None:
            return value
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


Timestamp = UtcTimestamp()


def _key_of(name: str, owner: str) -> Column[str]:
    """A primary-key column referencing ``owner``'s id; rows go when the owner goes."""
    return Column(name, String(36), ForeignKey(f"{owner}.id", ondelete="CASCADE"), primary_key=True)


def Folded(length: int) -> String:
    """Lower-cased text compared code point by code point on both databases (``COLLATE "C"``
    on PostgreSQL, SQLite's default BINARY), so prefix searches are index range scans.

    Give twice the source column's length: lower-casing can lengthen text ('İ' -> 'i̇')."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


#: Directory users. ``*_ci`` columns hold the lower-cased value, for case-insensitive
#: uniqueness (username, email) and indexed prefix search (all four).
directory_users = Table(
    "directory_users",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("username", String(128), nullable=False),
    Column("username_ci", Folded(256), nullable=False, unique=True),
    Column("email", String(320), nullable=False),
    Column("email_ci", Folded(640), nullable=False, unique=True),
    Column("firstname", String(200), nullable=False, default=""),
    Column("firstname_ci", Folded(400), nullable=False, default="", index=True),
    Column("lastname", String(200), nullable=False, default=""),
    Column("lastname_ci", Folded(400), nullable=False, default="", index=True),
    Column("department", String(200), nullable=False, default=""),
    Column("job_title", String(200), nullable=False, default=""),
    Column("state", String(16), nullable=False),
    Column("created", Timestamp, nullable=False),
    Column("updated", Timestamp, nullable=False),
    Index("ix_directory_users_state", "state", "username_ci"),
)

directory_groups = Table(
    "directory_groups",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("name_ci", Folded(400), nullable=False, unique=True),
    Column("description", Text, nullable=False, default=""),
    Column("created", Timestamp, nullable=False),
    Column("updated", Timestamp, nullable=False),
)

directory_memberships = Table(
    "directory_memberships",
    metadata,
    _key_of("group_id", "directory_groups"),
    _key_of("user_id", "directory_users"),
    Column("created", Timestamp, nullable=False),
    Index("ix_directory_memberships_user", "user_id"),
)

applications = Table(
    "applications",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("catalog_key", String(64), nullable=False),
    Column("label", String(200), nullable=False),
    Column("label_ci", Folded(400), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("show_in_portal", Boolean, nullable=False, default=True),
    Column("bookmark_url", String(2048), nullable=True),
    Column("created", Timestamp, nullable=False),
    Column("updated", Timestamp, nullable=False),
    Index("ix_applications_label", "label_ci"),
)

#: The user portal image, stored in the database so a backup holds everything.
application_images = Table(
    "application_images",
    metadata,
    _key_of("app_id", "applications"),
    Column("content_type", String(64), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("updated", Timestamp, nullable=False),
)

#: One IdM (SCIM provisioning) integration per application. The token is Fernet ciphertext.
idm_integrations = Table(
    "idm_integrations",
    metadata,
    _key_of("app_id", "applications"),
    Column("region", String(32), nullable=True),
    Column("base_url", String(2048), nullable=True),
    Column("token_ciphertext", Text, nullable=True),
    Column("token_last4", String(4), nullable=True),
    Column("status", String(16), nullable=False),
    Column("options", JSON, nullable=False),
    Column("capabilities", JSON, nullable=True),
    #: The attribute mapping edited for this application; NULL means the catalog's default.
    Column("mapping", JSON, nullable=True),
    Column("last_check", JSON, nullable=True),
    Column("verified_at", Timestamp, nullable=True),
    Column("activated_at", Timestamp, nullable=True),
    Column("deactivated_at", Timestamp, nullable=True),
    #: Bumped on every (de)activation: work started under an older generation stops.
    Column("generation", Integer, nullable=False, default=0),
    Column("updated", Timestamp, nullable=False),
)

app_group_bindings = Table(
    "app_group_bindings",
    metadata,
    _key_of("app_id", "applications"),
    _key_of("group_id", "directory_groups"),
    Column("created", Timestamp, nullable=False),
    Index("ix_app_group_bindings_group", "group_id"),
)

#: Keys for the hub's REST API, stored as SHA-256 digests like provider tokens.
admin_api_keys = Table(
    "admin_api_keys",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("prefix", String(16), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("label", String(200), nullable=True),
    Column("created", Timestamp, nullable=False),
    Column("last_used", Timestamp, nullable=True),
    Column("revoked", Timestamp, nullable=True),
)

#: Admin accounts of the web UI (``scimhub admin create``): argon2id password hashes, and
#: the failed sign-ins that slow the next attempts down.
admin_accounts = Table(
    "admin_accounts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("username", String(128), nullable=False),
    Column("username_ci", Folded(256), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("created", Timestamp, nullable=False),
    Column("password_changed", Timestamp, nullable=False),
    Column("last_sign_in", Timestamp, nullable=True),
    Column("failures", Integer, nullable=False, default=0),
    Column("last_failure", Timestamp, nullable=True),
)

#: Signed-in web UI sessions: the SHA-256 digest of the cookie's token (never the token),
#: the CSRF synchronizer token, and the times that end it (idle and absolute).
admin_sessions = Table(
    "admin_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column(
        "admin_id",
        String(36),
        ForeignKey("admin_accounts.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("csrf_token", String(64), nullable=False),
    Column("created", Timestamp, nullable=False),
    Column("last_seen", Timestamp, nullable=False),
    Column("expires", Timestamp, nullable=False, index=True),
)
