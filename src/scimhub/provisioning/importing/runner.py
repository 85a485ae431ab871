"""Running import jobs: walk or look up, apply page by page, checkpoint, email the summary.

A runner leases a job, reads a page from the application *outside* any transaction, then
applies it in one transaction with the job's checkpoint (fenced by the lease). A crash
loses at most the page in flight; the next runner (after the lease expires) starts again at
the stored cursor and creates nobody twice. A failing application (5xx, timeouts) is
retried a few times; then the job stops as ``failed`` with the reason, resumable from where
it stopped. An admin can cancel a job: its runner stops at the next page and writes nothing
more. The summary email is sent whenever a job ends (completed, failed or cancelled); a
failure to send is recorded on the job, never lost in a log.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import Engine, select

from scimhub.applications.secrets import SecretBox
from scimhub.directory.changes import ChangeSink
from scimhub.notify import MailError, SmtpMailer
from scimhub.storage.hub_tables import applications
from scimhub.storage.import_tables import import_items as items
from scimhub.storage.import_tables import import_jobs as jobs
from scimhub.storage.resources import now_utc
from scimhub.storage.transactions import read_tx, write_tx

from ..connector import Connector
from ..outcomes import RemoteFailure, Transient
from ..scim_connector import ScimConnector
from ..targets import Target, load_target
from .apply import FAILED, Importer, ItemResult
from .jobs import (
    ALL_NEW,
    COMPLETED,
    FAILED_JOB,
    PENDING,
    RUNNING,
    ImportJob,
    JobCancelled,
    LeaseLost,
    checkpoint,
    claim_job,
    finish,
    load_job,
    release,
    set_email,
)
from .listing import Page, next_page
from .records import read_remote
from .summary import summary_email

__all__ = ["LOOKUP_CHUNK", "ImportSettings", "JobRunner", "Progress", "unanswered"]

log = logging.getLogger("scimhub.import")
T = TypeVar("T")
Progress = Callable[[ImportJob], None]
#: userNames looked up per request (one ``or`` filter), in a job and in an immediate import.
LOOKUP_CHUNK = 50
_ATTEMPTS = 4


@dataclass(frozen=True, slots=True)
class ImportSettings:
    page_size: int = 100
    lease_seconds: float = 30.0
    timeout: float = 10.0
    retry_cap: float = 30.0


class JobRunner:
    def __init__(
        self,
        engine: Engine,
        box: SecretBox,
        mailer: SmtpMailer,
        changes: ChangeSink,
        settings: ImportSettings,
    ) -> None:
        self.engine = engine
        self.box = box
        self.mailer = mailer
        self.changes = changes
        self.settings = settings
        self.stopping = threading.Event()

    def run_next(self, owner: str) -> bool:
        """Run one job waiting for work (or for its email); False when there is none."""
        return self.run(owner) is not None

    def run(
        self, owner: str, job_id: str | None = None, progress: Progress | None = None
    ) -> ImportJob | None:
        """Lease and run a job (``job_id``, or the oldest waiting); None if none could be
        leased (another runner holds it). Returns the job as it stands afterwards."""
        with write_tx(self.engine) as conn:
            claimed = claim_job(conn, owner, now_utc(), self.settings.lease_seconds, job_id)
        if claimed is None:
            return None
        try:
            self._run(claimed, owner, progress)
        except LeaseLost:
            log.warning("import job %s was taken over by another runner", claimed)
        finally:
            with write_tx(self.engine) as conn:
                release(conn, claimed, owner)
        with read_tx(self.engine) as conn:
            return load_job(conn, claimed)

    def _run(self, job_id: str, owner: str, progress: Progress | None) -> None:
        with read_tx(self.engine) as conn:
            job = load_job(conn, job_id)
            target = load_target(conn, job.app_id, self.box) if job else None
        assert job is not None
        if not job.finished:
            job = self._work(job, target, owner, progress)
        if job.finished and job.email_state == PENDING:
            self._email(job)

    def _work(
        self, job: ImportJob, target: Target | None, owner: str, progress: Progress | None
    ) -> ImportJob:
        if target is None:
            return self._end(job, owner, FAILED_JOB, _INACTIVE)
        work = _Work(self, job, target, owner, progress)
        try:
            self._start(job, owner)
            with ScimConnector(
                target.base_url, target.token, timeout=self.settings.timeout, max_connections=1
            ) as connector:
                work.run(connector)
        except RemoteFailure as exc:
            return self._end(job, owner, FAILED_JOB, _stopped(exc))
        except _ShuttingDown:  # left running: the next runner continues at the cursor
            return job
        except JobCancelled:  # the page in flight was rolled back
            return self._reload(job.id)
        except LeaseLost:
            raise
        except Exception as exc:  # a defect or the database: stop visibly, resumable
            log.exception("import job %s stopped by an unexpected error", job.id)
            return self._end(job, owner, FAILED_JOB, _unexpected(exc))
        return self._end(job, owner, COMPLETED, None)

    def _start(self, job: ImportJob, owner: str) -> None:
        values: dict[str, Any] = {"state": RUNNING, "runs": jobs.c.runs + 1, "error": None}
        if job.started_at is None:
            values["started_at"] = now_utc()
        with write_tx(self.engine) as conn:
            checkpoint(conn, job.id, owner, self.settings.lease_seconds, **values)

    def _end(self, job: ImportJob, owner: str, state: str, error: str | None) -> ImportJob:
        with write_tx(self.engine) as conn:
            finish(conn, job.id, owner, state, error)
        log.info("import job %s %s: %s", job.id, state, error or "done")
        return self._reload(job.id)

    def _reload(self, job_id: str) -> ImportJob:
        with read_tx(self.engine) as conn:
            job = load_job(conn, job_id)
        assert job is not None
        return job

    def _email(self, job: ImportJob) -> None:
        to = self.mailer.recipients(job.notify)
        if not self.mailer.configured or not to:
            with write_tx(self.engine) as conn:
                set_email(conn, job.id, "off", "No SMTP server or recipient is configured")
            return
        try:
            with read_tx(self.engine) as conn:
                label = conn.execute(
                    select(applications.c.label).where(applications.c.id == job.app_id)
                ).scalar()
                email = summary_email(conn, job, label or job.app_id, to)
            self.mailer.send(email)
        except MailError as exc:
            log.warning("import job %s: summary email not sent: %s", job.id, exc)
            self._email_failed(job, str(exc))
            return
        except Exception as exc:  # never leave the email pending forever
            log.exception("import job %s: summary email not sent", job.id)
            self._email_failed(job, _unexpected(exc))
            return
        with write_tx(self.engine) as conn:
            set_email(conn, job.id, "sent", None)

    def _email_failed(self, job: ImportJob, why: str) -> None:
        with write_tx(self.engine) as conn:
            set_email(conn, job.id, "failed", why)


class _ShuttingDown(Exception):
    """The process is stopping: the job is left for the next runner."""


class _Work:
    """One run of one job."""

    def __init__(
        self,
        runner: JobRunner,
        job: ImportJob,
        target: Target,
        owner: str,
        progress: Progress | None,
    ) -> None:
        self.runner = runner
        self.job = job
        self.target = target
        self.owner = owner
        self.progress = progress
        self.importer = Importer(job.app_id, runner.changes)
        self.lease = runner.settings.lease_seconds

    def run(self, connector: Connector) -> None:
        with _Heartbeat(self._still_ours, self.lease / 3):
            if self.job.kind == ALL_NEW:
                self._walk(connector)
            else:
                self._selection(connector)

    def _still_ours(self) -> bool:
        """Renew the lease (the heartbeat's beat); False once the job is not ours to run:
        this run finds out itself at its next write."""
        try:
            self._renew()
        except (LeaseLost, JobCancelled):
            return False
        except Exception:  # the database is away: try again at the next beat
            log.warning("import job %s: lease not renewed", self.job.id, exc_info=True)
        return True

    def _walk(self, connector: Connector) -> None:
        start: int | None = self.job.next_start
        previous: Page | None = None
        size = self.runner.settings.page_size
        while start is not None:
            page = self._fetch(partial(next_page, connector, start, size, previous))
            remotes = [read_remote(r, self.target.mapping) for r in page.page.resources]
            following = page.next_start if page.next_start is not None else start
            with write_tx(self.runner.engine) as conn:
                known = self.importer.passed_over
                results = self.importer.apply(conn, remotes, only_new=True)
                results += _unreadable(page)
                checkpoint(
                    conn,
                    self.job.id,
                    self.owner,
                    self.lease,
                    results,
                    passed_over=self.importer.passed_over - known,
                    next_start=following,
                    listed=jobs.c.listed + len(page.page.resources) + page.unreadable,
                    total=page.page.total_results,
                )
            self._report()
            previous, start = page, page.next_start

    def _selection(self, connector: Connector) -> None:
        while pending := self._pending():
            found = self._fetch(partial(connector.find_by_usernames, pending))
            remotes = [read_remote(r, self.target.mapping) for r in found.values()]
            with write_tx(self.runner.engine) as conn:
                results = self.importer.apply(conn, remotes)
                results += unanswered(pending, found, results)
                checkpoint(conn, self.job.id, self.owner, self.lease, results)
            self._report()

    def _pending(self) -> list[str]:
        query = (
            select(items.c.username)
            .where(items.c.job_id == self.job.id, items.c.outcome == "pending")
            .order_by(items.c.seq)
            .limit(LOOKUP_CHUNK)
        )
        with read_tx(self.runner.engine) as conn:
            return list(conn.execute(query).scalars())

    def _fetch(self, call: Callable[[], T]) -> T:
        """``call`` with retries on transient failures; the lease is renewed before each.
        A process shutting down stops here, between pages."""
        for attempt in range(_ATTEMPTS):
            if self.runner.stopping.is_set():
                raise _ShuttingDown
            self._renew()
            try:
                return call()
            except Transient as exc:
                if attempt == _ATTEMPTS - 1 or self.runner.stopping.is_set():
                    raise
                cap = self.runner.settings.retry_cap
                self.runner.stopping.wait(min(exc.retry_after or 2.0**attempt, cap))
        raise AssertionError("unreachable")

    def _renew(self) -> None:
        with write_tx(self.runner.engine) as conn:
            checkpoint(conn, self.job.id, self.owner, self.lease)

    def _report(self) -> None:
        """The job as it stands, to whoever follows it (a worker's run has nobody: no read)."""
        if self.progress is None:
            return
        with read_tx(self.runner.engine) as conn:
            job = load_job(conn, self.job.id)
        if job is not None:
            self.progress(job)


class _Heartbeat:
    """Calls ``beat`` every ``every`` seconds on a thread of its own while the block runs
    (until it returns False): a job's lease is renewed even while one slow request (a
    lookup of 50 names one by one, each with its timeout) outlasts it."""

    def __init__(self, beat: Callable[[], bool], every: float) -> None:
        self.beat = beat
        self.every = every
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="import-lease", daemon=True)

    def __enter__(self) -> None:
        self.thread.start()

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()

    def _loop(self) -> None:
        while not self.stop.wait(self.every):
            if not self.beat():
                return


def _unreadable(page: Page) -> list[ItemResult]:
    if not page.unreadable:
        return []
    reason = f"{page.unreadable} records of the page at startIndex {page.start} have no usable id"
    return [ItemResult(f"#unreadable@{page.start}", "", None, FAILED, reason)]


def unanswered(
    pending: Sequence[str], found: Mapping[str, object], results: Sequence[ItemResult]
) -> list[ItemResult]:
    """A failure for each selected name the lookups did not settle."""
    settled = {r.key for r in results}
    missing = [name for name in pending if name.casefold() not in settled]
    return [ItemResult(n.casefold(), n, None, FAILED, _why_missing(n, found)) for n in missing]


def _why_missing(name: str, found: Mapping[str, object]) -> str:
    if name.casefold() in found:
        return "The application's record for this userName could not be read"
    return "No user with this userName in the application"


_INACTIVE = "The IdM integration is not active; activate it and resume the job"


def _unexpected(exc: Exception) -> str:
    what = f"{type(exc).__name__}: {exc}"[:500]
    return f"Unexpected error ({what}); see the server log, then resume the job"


def _stopped(exc: RemoteFailure) -> str:
    return f"{exc}. Nothing of the page in flight was imported; resume the job to continue"
