"""Table definitions (SQLAlchemy Core). Alembic migrations mirror these."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

#: JSON documents: JSONB on PostgreSQL (indexable, compact), JSON text on SQLite.
Document = JSON().with_variant(JSONB(), "postgresql")
#: SQLite only aliases INTEGER PRIMARY KEY to the rowid; PostgreSQL gets a bigint identity.
SeqKey = BigInteger().with_variant(Integer(), "sqlite")
Timestamp = DateTime(timezone=True)

tenants = Table(
    "tenants",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("profile", String(32), nullable=False),
    Column("created", Timestamp, nullable=False),
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("tenant_id", String(36), ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("prefix", String(16), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("label", String(200), nullable=True),
    Column("created", Timestamp, nullable=False),
    Column("last_used", Timestamp, nullable=True),
    Column("revoked", Timestamp, nullable=True),
    Index("ix_tokens_tenant", "tenant_id"),
)

resources = Table(
    "scim_resources",
    metadata,
    Column("seq", SeqKey, primary_key=True, autoincrement=True),
    Column("id", String(36), nullable=False, unique=True),
    Column("tenant_id", String(36), ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("resource_type", String(16), nullable=False),
    Column("doc", Document, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created", Timestamp, nullable=False),
    Column("last_modified", Timestamp, nullable=False),
    Column("user_name_ci", String(512), nullable=True),
    Column("external_id", String(512), nullable=True),
    Column("display_name_ci", String(512), nullable=True),
    Column("active", Boolean, nullable=True),
    Column("password_hash", Text, nullable=True),
    Index("uq_scim_resources_user_name", "tenant_id", "resource_type", "user_name_ci", unique=True),
    Index("ix_scim_resources_seq", "tenant_id", "resource_type", "seq"),
    Index("ix_scim_resources_external_id", "tenant_id", "resource_type", "external_id"),
    Index("ix_scim_resources_display_name", "tenant_id", "resource_type", "display_name_ci"),
    Index("ix_scim_resources_last_modified", "tenant_id", "resource_type", "last_modified"),
    Index("ix_scim_resources_created", "tenant_id", "resource_type", "created"),
)

#: One row per email of a user, for indexed `emails` filters.
emails = Table(
    "scim_emails",
    metadata,
    Column(
        "resource_seq",
        SeqKey,
        ForeignKey("scim_resources.seq", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("tenant_id", String(36), nullable=False),
    Column("value_ci", String(512), nullable=False),
    Column("type", String(64), nullable=True),
    Column("primary", Boolean, nullable=False, default=False),
    Column("position", Integer, nullable=False, default=0),
    Index("ix_scim_emails_value", "tenant_id", "value_ci"),
    Index("ix_scim_emails_resource", "resource_seq"),
)

#: Group membership, kept out of the group document so large groups stay cheap to change.
members = Table(
    "scim_group_members",
    metadata,
    Column(
        "group_seq",
        SeqKey,
        ForeignKey("scim_resources.seq", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("member_id", String(36), primary_key=True),
    Column("tenant_id", String(36), nullable=False),
    Column("member_type", String(16), nullable=True),
    Column("display", String(512), nullable=True),
    Index("ix_scim_group_members_member", "tenant_id", "member_id"),
)
