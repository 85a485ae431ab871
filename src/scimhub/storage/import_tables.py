"""Import jobs: users pulled from an application into the directory (issue 5).

A job walks the application's users (all New ones) or looks up the userNames the admin
selected. Each page or chunk is applied in one transaction together with the job's
cursor, counters and the per-user items, under the job's lease: a crash loses at most the
page in flight and a resumed job never creates a user twice.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Table, Text

from .hub_tables import Folded, Timestamp
from .tables import metadata

__all__ = ["import_items", "import_jobs"]

import_jobs = Table(
    "import_jobs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("app_id", String(36), ForeignKey("applications.id", ondelete="CASCADE"), nullable=False),
    #: all_new (walk the listing) or users (the selected userNames, as pending items)
    Column("kind", String(16), nullable=False),
    #: queued, running, completed, failed (resumable)
    Column("state", String(16), nullable=False),
    Column("requested_by", String(200), nullable=False, default=""),
    #: Who gets the summary email (empty: the configured recipients).
    Column("notify", JSON, nullable=False, default=list),
    #: all_new: the startIndex of the next page to read.
    Column("next_start", Integer, nullable=False, default=1),
    #: all_new: the application's totalResults when it says; users: the selection's size.
    Column("total", Integer, nullable=True),
    Column("listed", Integer, nullable=False, default=0),
    Column("created", Integer, nullable=False, default=0),
    Column("skipped", Integer, nullable=False, default=0),
    Column("failed", Integer, nullable=False, default=0),
    Column("error", Text, nullable=True),
    Column("runs", Integer, nullable=False, default=0),
    Column("created_at", Timestamp, nullable=False),
    Column("started_at", Timestamp, nullable=True),
    Column("finished_at", Timestamp, nullable=True),
    Column("updated", Timestamp, nullable=False),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", Timestamp, nullable=True),
    #: pending, sent, failed, off (no SMTP configured or nobody to tell)
    Column("email_state", String(16), nullable=False, default="pending"),
    Column("email_error", Text, nullable=True),
    Index("ix_import_jobs_app", "app_id", "created_at"),
    Index("ix_import_jobs_state", "state", "email_state"),
)

#: One row per user a job handled (or, for a selection, will handle: outcome pending).
import_items = Table(
    "import_items",
    metadata,
    Column(
        "job_id",
        String(36),
        ForeignKey("import_jobs.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    #: The userName case-folded (or ``#<remote id>`` for a record without one).
    Column("key", Folded(1024), primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("username", String(512), nullable=False),
    Column("remote_id", String(512), nullable=True),
    #: pending, created, skipped, failed
    Column("outcome", String(16), nullable=False),
    Column("reason", Text, nullable=True),
    Column("user_id", String(36), nullable=True),
    Index("ix_import_items_outcome", "job_id", "outcome", "seq"),
)
