"""Import jobs in the database: create, read, claim under a lease, checkpoint, finish.

Every write of a running job is fenced by its lease: :func:`checkpoint` updates the job only
while this runner still holds it, and the caller's transaction (holding that page's users,
links and items) is rolled back otherwise, so two runners never both apply a page.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, or_, select, update

from scimhub.storage.import_tables import import_items as items
from scimhub.storage.import_tables import import_jobs as jobs
from scimhub.storage.resources import now_utc

from .apply import ItemResult

__all__ = [
    "ALL_NEW",
    "CANCELLED",
    "COMPLETED",
    "FAILED_JOB",
    "QUEUED",
    "RUNNING",
    "USERS",
    "ImportJob",
    "JobCancelled",
    "LeaseLost",
    "cancel",
    "checkpoint",
    "claim_job",
    "create_job",
    "finish",
    "load_job",
    "requeue",
]

ALL_NEW, USERS = "all_new", "users"
QUEUED, RUNNING, COMPLETED, FAILED_JOB = "queued", "running", "completed", "failed"
CANCELLED = "cancelled"
#: A job in one of these states runs no more (a failed one can be resumed).
ENDED = (COMPLETED, FAILED_JOB, CANCELLED)
PENDING = "pending"


class LeaseLost(Exception):
    """Another runner took the job over (this one was presumed dead): stop, write nothing."""


class JobCancelled(Exception):
    """An admin cancelled the job while it ran: stop, write nothing more of it."""


@dataclass(frozen=True, slots=True)
class ImportJob:
    id: str
    app_id: str
    kind: str
    state: str
    requested_by: str
    notify: tuple[str, ...]
    next_start: int
    total: int | None
    listed: int
    created: int
    skipped: int
    failed: int
    error: str | None
    runs: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    email_state: str
    email_error: str | None

    @property
    def done(self) -> int:
        return self.created + self.skipped + self.failed

    @property
    def progressed(self) -> int:
        """How far along ``total`` the job is: users handled (a selection) or listed."""
        return self.done if self.kind == USERS else self.listed

    @property
    def finished(self) -> bool:
        return self.state in ENDED


def create_job(
    conn: Connection,
    app_id: str,
    kind: str,
    *,
    usernames: Sequence[str] = (),
    requested_by: str = "",
    notify: Sequence[str] = (),
) -> str:
    job_id, now = str(uuid.uuid4()), now_utc()
    row = {
        "id": job_id,
        "app_id": app_id,
        "kind": kind,
        "state": QUEUED,
        "requested_by": requested_by[:200],
        "notify": list(notify),
        "next_start": 1,
        "total": len(usernames) if kind == USERS else None,
        "listed": 0,
        "created": 0,
        "skipped": 0,
        "failed": 0,
        "runs": 0,
        "created_at": now,
        "updated": now,
        "email_state": PENDING,
    }
    conn.execute(insert(jobs), [row])
    if usernames:
        pending = [_pending(job_id, n, name) for n, name in enumerate(usernames)]
        conn.execute(insert(items), pending)
    return job_id


def _pending(job_id: str, seq: int, username: str) -> dict[str, Any]:
    return {
        "job_id": job_id,
        "key": username.casefold(),
        "seq": seq,
        "username": username,
        "outcome": PENDING,
    }


def load_job(conn: Connection, job_id: str) -> ImportJob | None:
    row = conn.execute(select(jobs).where(jobs.c.id == job_id)).first()
    return None if row is None else job_of(row)


def job_of(row: Any) -> ImportJob:
    return ImportJob(
        **{name: getattr(row, name) for name in ImportJob.__slots__ if name != "notify"},
        notify=tuple(row.notify or ()),
    )


def claim_job(
    conn: Connection, owner: str, now: datetime, lease: float, job_id: str | None = None
) -> str | None:
    """Lease a job to run (queued, or running under an expired lease), or one that ended and
    whose email is still to be sent; ``job_id`` picks that job. Returns its id or None."""
    free = or_(jobs.c.lease_until.is_(None), jobs.c.lease_until < now)
    work = or_(jobs.c.state.in_((QUEUED, RUNNING)), jobs.c.email_state == PENDING)
    query = select(jobs.c.id).where(work, free).order_by(jobs.c.created_at).limit(1)
    if job_id is not None:
        query = query.where(jobs.c.id == job_id)
    found = conn.execute(query).scalar()
    if found is None:
        return None
    claimed = conn.execute(
        update(jobs)
        .where(jobs.c.id == found, free)
        .values(lease_owner=owner, lease_until=now + timedelta(seconds=lease), updated=now)
    )
    return found if claimed.rowcount == 1 else None


def checkpoint(
    conn: Connection,
    job_id: str,
    owner: str,
    lease: float,
    results: Sequence[ItemResult] = (),
    *,
    passed_over: int = 0,
    **values: Any,
) -> None:
    """Record ``results`` and move the job on (counters added, ``values`` set) while still
    holding its lease; LeaseLost otherwise, JobCancelled once an admin cancelled the job
    (either way the caller's transaction must roll back). ``passed_over`` users (already in
    the directory, not New) count as skipped without an item each."""
    now = now_utc()
    counts = {k: sum(1 for r in results if r.outcome == k) for k in ("created", "skipped")}
    counts["failed"] = sum(1 for r in results if r.outcome == "failed")
    counts["skipped"] += passed_over
    changed = conn.execute(
        update(jobs)
        .where(jobs.c.id == job_id, jobs.c.lease_owner == owner, jobs.c.state != CANCELLED)
        .values(
            **{k: jobs.c[k] + n for k, n in counts.items()},
            **values,
            lease_until=now + timedelta(seconds=lease),
            updated=now,
        )
    )
    if changed.rowcount != 1:
        state = conn.execute(select(jobs.c.state).where(jobs.c.id == job_id)).scalar()
        raise JobCancelled(job_id) if state == CANCELLED else LeaseLost(job_id)
    _record(conn, job_id, results)


def _record(conn: Connection, job_id: str, results: Sequence[ItemResult]) -> None:
    """A selected user's pending item gets its outcome; any other result a new item. A
    result whose key is taken already (a second account with the same userName, in this
    page or an earlier one) gets a key of its own: nothing recorded is ever overwritten."""
    if not results:
        return
    keys = list({r.key for r in results})
    where = items.c.job_id == job_id, items.c.key.in_(keys)
    outcomes = dict(conn.execute(select(items.c.key, items.c.outcome).where(*where)).all())
    seq = _next_seq(conn, job_id)
    fresh: list[dict[str, Any]] = []
    settled: list[dict[str, Any]] = []
    for r in results:
        if outcomes.get(r.key) == PENDING:
            settled.append({"b_key": r.key} | _outcome(r))
            key = r.key
        else:
            key = r.key if r.key not in outcomes else f"#duplicate-{seq}-{r.remote_id or ''}"
            fresh.append(_item(job_id, seq, r) | {"key": key[:1024]})
            seq += 1
        outcomes[key] = r.outcome
    if fresh:
        conn.execute(insert(items), fresh)
    if settled:
        match = items.c.job_id == job_id, items.c.key == bindparam("b_key")
        conn.execute(update(items).where(*match), settled)


def _next_seq(conn: Connection, job_id: str) -> int:
    last = conn.execute(select(func.max(items.c.seq)).where(items.c.job_id == job_id)).scalar()
    return 0 if last is None else last + 1


def _item(job_id: str, seq: int, r: ItemResult) -> dict[str, Any]:
    return {"job_id": job_id, "key": r.key, "seq": seq, "username": r.username} | _outcome(r)


def _outcome(r: ItemResult) -> dict[str, Any]:
    return {
        "remote_id": r.remote_id,
        "outcome": r.outcome,
        "reason": r.reason,
        "user_id": r.user_id,
    }


def finish(conn: Connection, job_id: str, owner: str, state: str, error: str | None) -> None:
    """The job ends (completed, or failed: resumable); its lease is given back. A job an
    admin cancelled meanwhile stays cancelled."""
    now = now_utc()
    conn.execute(
        update(jobs)
        .where(jobs.c.id == job_id, jobs.c.lease_owner == owner, jobs.c.state != CANCELLED)
        .values(state=state, error=error, finished_at=now, updated=now, lease_until=None)
    )


def release(conn: Connection, job_id: str, owner: str) -> None:
    conn.execute(
        update(jobs)
        .where(jobs.c.id == job_id, jobs.c.lease_owner == owner)
        .values(lease_until=None, lease_owner=None)
    )


def set_email(conn: Connection, job_id: str, state: str, error: str | None) -> None:
    conn.execute(
        update(jobs).where(jobs.c.id == job_id).values(email_state=state, email_error=error)
    )


def cancel(conn: Connection, job: ImportJob, by: str) -> bool:
    """The job stops for good: a runner holding it stops at its next page and writes nothing
    more; what was imported before stays. Its end is emailed unless it already was (a
    failed job). False if the job is (by now) in ``job.state`` no more."""
    now = now_utc()
    values: dict[str, Any] = {"state": CANCELLED, "finished_at": now, "updated": now}
    values["error"] = f"Cancelled by {by or 'an admin'} at {now:%Y-%m-%d %H:%M:%S} UTC"[:1000]
    if job.state != FAILED_JOB:
        values |= {"email_state": PENDING, "email_error": None}
    still = jobs.c.state == job.state  # a job that completed meanwhile stays completed
    done = conn.execute(update(jobs).where(jobs.c.id == job.id, still).values(**values))
    return done.rowcount == 1


def requeue(conn: Connection, job_id: str) -> None:
    """A failed job queued again, to continue at its cursor; its next end is emailed."""
    values = {"state": QUEUED, "finished_at": None, "updated": now_utc()}
    conn.execute(
        update(jobs)
        .where(jobs.c.id == job_id, jobs.c.state == FAILED_JOB)
        .values(**values, email_state=PENDING, email_error=None)
    )
