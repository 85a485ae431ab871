"""Alembic environment: the URL and connection come from scimhub, not alembic.ini."""

from __future__ import annotations

from alembic import context

from scimhub.storage import (  # noqa: F401  (registers them)
    hub_tables,
    import_tables,
    provisioning_tables,
)
from scimhub.storage.tables import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run migrations through `scimhub db upgrade`")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
