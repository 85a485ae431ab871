"""What admins do with imports: list an application's users as New or Imported, import
some or all New ones (at once under 100 users, else as a background job), follow a job,
resume one that stopped. The API, the CLI and the web UI call this."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice

from sqlalchemy import Connection, Engine, select

from scimhub.applications.apps import resolve
from scimhub.applications.secrets import SecretBox
from scimhub.directory.queries import chunks
from scimhub.directory.validation import checked_email
from scimhub.problems import Invalid, NotFound, Refused, Upstream
from scimhub.storage.import_tables import import_items as items
from scimhub.storage.import_tables import import_jobs as jobs
from scimhub.storage.transactions import read_tx, write_tx

from ..connector import Connector
from ..outcomes import RemoteFailure
from ..scim_connector import ScimConnector
from ..targets import Target, load_target
from .apply import FAILED, Importer, ItemResult
from .jobs import (
    ALL_NEW,
    CANCELLED,
    COMPLETED,
    FAILED_JOB,
    USERS,
    ImportJob,
    cancel,
    create_job,
    job_of,
    load_job,
    requeue,
)
from .listing import Page, walk
from .matching import NEW, Candidate, classify
from .records import RemoteUser, read_remote
from .runner import LOOKUP_CHUNK, JobRunner, Progress, unanswered
from .summary import GROUP_WARNING

__all__ = ["IMMEDIATE_LIMIT", "CandidatePage", "ImportItem", "ImportStarted", "Imports"]

#: Imports of fewer users run at once; this many or more run as a background job.
IMMEDIATE_LIMIT = 100
_MAX_SELECTION = 100_000
_MAX_PAGES_PER_CALL = 20
#: "All New" is decided at once over this many pages of 100 at most; beyond, it is a job
#: (the request does not wait for a whole large application to be read).
_FEW_NEW_PAGES = 5
_MAX_RECIPIENTS = 20


@dataclass(frozen=True, slots=True)
class CandidatePage:
    candidates: list[Candidate]
    next_start: int | None  #: where to continue the listing; None: the end
    total: int | None  #: the application's totalResults, when it says


@dataclass(frozen=True, slots=True)
class ImportStarted:
    """An immediate import's per-user ``results``, or the background ``job``."""

    results: list[ItemResult] | None
    job: ImportJob | None
    warning: str


@dataclass(frozen=True, slots=True)
class ImportItem:
    seq: int
    username: str
    remote_id: str | None
    outcome: str
    reason: str | None


class Imports:
    def __init__(self, engine: Engine, box: SecretBox, runner: JobRunner) -> None:
        self.engine = engine
        self.box = box
        self.runner = runner

    # --- listing ----------------------------------------------------------------------

    def candidates(
        self, app_ref: str, *, start: int = 1, count: int = 100, new_only: bool = False
    ) -> CandidatePage:
        """Users of the application from ``start`` on, each New or Imported; with
        ``new_only``, pages are read until ``count`` New users are found (at most 20)."""
        if start < 1 or not 1 <= count <= 1000:
            raise Invalid("start must be 1 or more and count between 1 and 1000")
        target = self._target(app_ref)
        found: list[Candidate] = []
        at: int | None = start
        total: int | None = None
        with self._connector(target) as connector, _upstream_errors():
            for page in islice(walk(connector, start, count), _MAX_PAGES_PER_CALL):
                total = page.page.total_results
                at = self._collect(target, page, new_only, found, count)
                if at is None or len(found) >= count:
                    break
        return CandidatePage(found, at, total)

    def _collect(
        self, target: Target, page: Page, new_only: bool, found: list[Candidate], count: int
    ) -> int | None:
        """Add ``page``'s candidates to ``found`` up to ``count``; where to go on from."""
        for position, candidate in enumerate(self._classified(target, page)):
            if new_only and candidate.status != NEW:
                continue
            if len(found) == count:  # full: the next call starts at this user
                return page.start + position
            found.append(candidate)
        return page.next_start

    def _classified(self, target: Target, page: Page) -> list[Candidate]:
        remotes = [read_remote(r, target.mapping) for r in page.page.resources]
        with read_tx(self.engine) as conn:
            return classify(conn, target.app_id, remotes)

    # --- importing --------------------------------------------------------------------

    def start(
        self,
        app_ref: str,
        *,
        usernames: Sequence[str] = (),
        all_new: bool = False,
        requested_by: str = "",
        notify: Sequence[str] = (),
    ) -> ImportStarted:
        """Import the users named (or every New one). Fewer than 100: now, with a result
        per user; else a job runs in the background and emails its summary."""
        names = [] if all_new else _selection(usernames)
        notify = _recipients(notify)
        target = self._target(app_ref)
        warning = GROUP_WARNING.format(app=target.label)
        if all_new:
            new = self._few_new(target)
            if new is not None:
                return ImportStarted(self._import_now(target, new), None, warning)
        elif len(names) < IMMEDIATE_LIMIT:
            return ImportStarted(self._lookup_and_import(target, names), None, warning)
        kind = ALL_NEW if all_new else USERS
        with write_tx(self.engine) as conn:
            job_id = create_job(
                conn,
                target.app_id,
                kind,
                usernames=names,
                requested_by=requested_by,
                notify=notify,
            )
            job = load_job(conn, job_id)
        return ImportStarted(None, job, warning)

    def _few_new(self, target: Target) -> list[RemoteUser] | None:
        """Every New user when there are fewer than 100 among the application's first
        500 users (read-only); None (a job) when there are more, or more users to read."""
        new: list[RemoteUser] = []
        with self._connector(target) as connector, _upstream_errors():
            for n, page in enumerate(walk(connector, 1, IMMEDIATE_LIMIT), 1):
                new += [c.remote for c in self._classified(target, page) if c.in_all_new]
                more = page.next_start is not None
                if len(new) >= IMMEDIATE_LIMIT or (more and n == _FEW_NEW_PAGES):
                    return None
        return new

    def _import_now(self, target: Target, remotes: list[RemoteUser]) -> list[ItemResult]:
        with write_tx(self.engine) as conn:
            return Importer(target.app_id, self.runner.changes).apply(conn, remotes)

    def _lookup_and_import(self, target: Target, names: list[str]) -> list[ItemResult]:
        importer = Importer(target.app_id, self.runner.changes)
        results: list[ItemResult] = []
        with self._connector(target) as connector:
            for chunk in chunks(names, LOOKUP_CHUNK):
                try:
                    found = connector.find_by_usernames(chunk)
                except RemoteFailure as exc:
                    why = f"The application failed ({exc}); this user was not imported: try again"
                    results += [ItemResult(n.casefold(), n, None, FAILED, why) for n in chunk]
                    continue
                remotes = [read_remote(r, target.mapping) for r in found.values()]
                with write_tx(self.engine) as conn:
                    done = importer.apply(conn, remotes)
                results += done + unanswered(chunk, found, done)
        order = {name.casefold(): n for n, name in enumerate(names)}
        return sorted(results, key=lambda r: order.get(r.key, len(order)))

    # --- jobs -------------------------------------------------------------------------

    def job(self, app_ref: str, job_id: str) -> ImportJob:
        with read_tx(self.engine) as conn:
            return _job(conn, resolve(conn, app_ref), job_id)

    def jobs(self, app_ref: str, limit: int = 20) -> list[ImportJob]:
        with read_tx(self.engine) as conn:
            app_id = resolve(conn, app_ref)
            query = (
                select(jobs)
                .where(jobs.c.app_id == app_id)
                .order_by(jobs.c.created_at.desc())
                .limit(limit)
            )
            return [job_of(row) for row in conn.execute(query)]

    def items(
        self,
        app_ref: str,
        job_id: str,
        *,
        outcome: str | None = None,
        after: int = -1,
        limit: int = 100,
    ) -> list[ImportItem]:
        """A job's per-user results in order, from after ``after`` (keyset on seq)."""
        with read_tx(self.engine) as conn:
            _job(conn, resolve(conn, app_ref), job_id)
            query = select(items).where(items.c.job_id == job_id, items.c.seq > after)
            if outcome is not None:
                query = query.where(items.c.outcome == outcome)
            rows = conn.execute(query.order_by(items.c.seq).limit(limit))
            return [ImportItem(r.seq, r.username, r.remote_id, r.outcome, r.reason) for r in rows]

    def resume(self, app_ref: str, job_id: str) -> ImportJob:
        """A failed job queued again; it continues where it stopped."""
        with write_tx(self.engine) as conn:
            job = _job(conn, resolve(conn, app_ref), job_id)
            if job.state != FAILED_JOB:
                raise Refused(f"The import job is {job.state}; only a failed job can resume")
            requeue(conn, job_id)
            resumed = load_job(conn, job_id)
        assert resumed is not None
        return resumed

    def cancel(self, app_ref: str, job_id: str, by: str = "") -> ImportJob:
        """The job stops for good (at its next page if it runs); the users it imported
        stay in the directory. A completed or cancelled job cannot be cancelled."""
        with write_tx(self.engine) as conn:
            job = _job(conn, resolve(conn, app_ref), job_id)
            if job.state in (COMPLETED, CANCELLED) or not cancel(conn, job, by):
                now = load_job(conn, job_id)
                raise Refused(f"The import job is already {now.state if now else job.state}")
            cancelled = load_job(conn, job_id)
        assert cancelled is not None
        return cancelled

    def run(self, job_id: str, owner: str, progress: Progress | None = None) -> ImportJob | None:
        """Run the job in this process (the CLI does, showing progress); None if another
        process holds it."""
        return self.runner.run(owner, job_id, progress)

    # --- plumbing ---------------------------------------------------------------------

    def _target(self, app_ref: str) -> Target:
        with read_tx(self.engine) as conn:
            target = load_target(conn, resolve(conn, app_ref), self.box)
        if target is None:
            raise Refused(
                "The IdM integration of this application is not active; activate it to "
                "list and import its users"
            )
        return target

    @contextmanager
    def _connector(self, target: Target) -> Iterator[Connector]:
        timeout = self.runner.settings.timeout
        with ScimConnector(
            target.base_url, target.token, timeout=timeout, max_connections=1
        ) as connector:
            yield connector


def _job(conn: Connection, app_id: str, job_id: str) -> ImportJob:
    row = conn.execute(select(jobs).where(jobs.c.id == job_id, jobs.c.app_id == app_id)).first()
    if row is None:
        raise NotFound(f"No import job '{job_id}' for this application")
    return job_of(row)


def _selection(usernames: Sequence[str]) -> list[str]:
    names = list({n.strip().casefold(): n.strip() for n in usernames if n.strip()}.values())
    if not names:
        raise Invalid("Select at least one user to import (or all New users)")
    if len(names) > _MAX_SELECTION:
        raise Invalid(f"At most {_MAX_SELECTION} users can be selected at once")
    bad = [n for n in names if len(n) > 512 or not n.isprintable()]
    if bad:
        raise Invalid("A selected userName is longer than 512 characters or holds controls")
    return names


def _recipients(notify: Sequence[str]) -> list[str]:
    """The summary's addresses, each a valid email address (no header injection)."""
    wanted = [n for n in notify if n.strip()]
    if len(wanted) > _MAX_RECIPIENTS:
        raise Invalid(f"At most {_MAX_RECIPIENTS} addresses can be notified")
    return [checked_email(n) for n in wanted]


@contextmanager
def _upstream_errors() -> Iterator[None]:
    """The application's failure, as the hub's Problem (502)."""
    try:
        yield
    except RemoteFailure as exc:
        raise Upstream(f"The application failed: {exc}") from None
