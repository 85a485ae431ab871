"""The email that tells the admin an import job ended: completed, stopped or cancelled."""

from __future__ import annotations

from sqlalchemy import Connection, select

from scimhub.notify import Email
from scimhub.storage.import_tables import import_items as items

from .jobs import CANCELLED, COMPLETED, FAILED_JOB, ImportJob

__all__ = ["GROUP_WARNING", "summary_email"]

GROUP_WARNING = (
    "Imported users belong to no group. Add them to a user group bound to {app} before "
    "{app} is managed for them: until then scimhub does not update or deprovision them there."
)
_LISTED = 100


def summary_email(conn: Connection, job: ImportJob, label: str, to: tuple[str, ...]) -> Email:
    """The email for a job that ended: completed, failed (resumable) or cancelled."""
    counts = f"{job.created} created, {job.skipped} skipped, {job.failed} could not be imported"
    subject = f"scimhub: import from {label} {_ENDED[job.state]}: {counts}"
    lines: list[str | None] = [
        _opening(job, label),
        "",
        f"Job:              {job.id}",
        f"Requested by:     {job.requested_by or 'an admin'}",
        f"Started:          {job.started_at:%Y-%m-%d %H:%M:%S} UTC" if job.started_at else None,
        f"Finished:         {job.finished_at:%Y-%m-%d %H:%M:%S} UTC" if job.finished_at else None,
        f"Users listed:     {job.listed}" if job.kind == "all_new" else None,
        f"Created:          {job.created}",
        f"Skipped:          {job.skipped} (already in the directory)",
        f"Not imported:     {job.failed}",
        "",
        GROUP_WARNING.format(app=label),
    ]
    failures = _failures(conn, job.id)
    if failures:
        lines += ["", "Users that could not be imported:"]
        lines += [_failure_line(name, rid, why) for name, rid, why in failures]
        if job.failed > len(failures):
            lines.append(f"... and {job.failed - len(failures)} more (see the job in scimhub)")
    return Email(to, subject, "\n".join(line for line in lines if line is not None) + "\n")


_ENDED = {COMPLETED: "completed", FAILED_JOB: "stopped", CANCELLED: "cancelled"}


def _opening(job: ImportJob, label: str) -> str:
    if job.state == FAILED_JOB:
        return (
            f"The import of users from {label} into the directory stopped: {job.error}\n\n"
            "The users imported before it stopped are in the directory. Resume the job to "
            f"continue where it stopped: in the Import tab of {label} in the web UI, or with "
            f"`scimhub import '{label}' --resume {job.id}`."
        )
    if job.state == CANCELLED:
        return (
            f"The import of users from {label} into the directory did not finish: "
            f"{job.error}.\n\nThe users imported before that are in the directory."
        )
    return f"The import of users from {label} into the directory has completed."


def _failures(conn: Connection, job_id: str) -> list[tuple[str, str | None, str]]:
    query = (
        select(items.c.username, items.c.remote_id, items.c.reason)
        .where(items.c.job_id == job_id, items.c.outcome == "failed")
        .order_by(items.c.seq)
        .limit(_LISTED)
    )
    return [(r.username, r.remote_id, r.reason or "") for r in conn.execute(query)]


def _failure_line(name: str, remote_id: str | None, why: str) -> str:
    return f"- {name or '(no userName)'} ({remote_id or 'no id'}): {why}"
