"""Workers: threads that claim dirty links and run them, plus housekeeping.

``scimhub serve`` runs one ``Worker`` beside the API (the SQLite default); ``scimhub worker``
runs workers alone, any number of them on any number of machines sharing one PostgreSQL.
All coordination goes through the database (claims with leases); nothing is queued in
memory, so a crash loses no work: leases expire and another worker takes the links.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from datetime import timedelta

from sqlalchemy import Engine

from scimhub.applications.secrets import SecretBox
from scimhub.storage.resources import now_utc
from scimhub.storage.transactions import read_tx, write_tx

from .batch import Batch
from .control import Pauses, schedule_reconcile
from .guard import lift_if_clear, paused_app_ids
from .importing import JobRunner
from .links import claim, release, renew
from .log import ProvisioningLog
from .marks import full_reconcile
from .pool import ConnectorPool
from .settings import EngineSettings
from .targets import load_target, runnable_app_ids

__all__ = ["Worker"]

log = logging.getLogger("scimhub.worker")
_HOUSEKEEPING_SECONDS = 2.0
_PRUNE_SECONDS = 3600.0
_IMPORT_POLL_SECONDS = 1.0


class Worker:
    def __init__(
        self,
        engine: Engine,
        box: SecretBox,
        settings: EngineSettings,
        *,
        imports: JobRunner | None = None,
    ) -> None:
        self.engine = engine
        self.imports = imports
        self.box = box
        self.settings = settings
        self.owner = f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.pool = ConnectorPool(settings.timeout, settings.threads)
        self.pauses = Pauses()
        self._in_flight: set[int] = set()  #: ids of the links this worker's batches hold
        self._in_flight_lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        loops = [self._loop] * self.settings.threads + [self._housekeeping]
        if self.imports is not None:
            self.imports.stopping.clear()
            loops.append(self._import_jobs)
        for n, target in enumerate(loops):
            thread = threading.Thread(target=target, name=f"scimhub-worker-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)
        log.info("provisioning worker %s started (%d threads)", self.owner, self.settings.threads)

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        if self.imports is not None:
            self.imports.stopping.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()
        self.pool.close()

    def run_once(self) -> int:
        """One claim per runnable application; the number of links worked on."""
        with read_tx(self.engine) as conn:
            app_ids = runnable_app_ids(conn, now_utc())
        random.shuffle(app_ids)  # threads spread over applications
        return sum(self._run_app(a) for a in app_ids if not self.pauses.paused(a))

    def _run_app(self, app_id: str) -> int:
        s = self.settings
        with write_tx(self.engine) as conn:
            links = claim(
                conn, app_id, self.owner, now_utc(), lease=s.lease_seconds, limit=s.batch_size
            )
            target = load_target(conn, app_id, self.box) if links else None
            if links and target is None:  # deactivated meanwhile: give the claim back
                release(conn, [link.id for link in links], owner=self.owner)
        if not links or target is None:
            return 0
        ids = {link.id for link in links}
        with self._in_flight_lock:
            self._in_flight |= ids
        try:
            connector = self.pool.get(target)
            batch = Batch(self.engine, s, target, connector, self.owner, pauses=self.pauses)
            batch.run(links)
        finally:
            with self._in_flight_lock:
                self._in_flight -= ids
        return len(links)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.run_once()
            except Exception:  # a database outage or a bug must not kill the thread
                log.exception("provisioning worker pass failed; retrying")
                busy = 0
            if not busy:
                self._stop.wait(self.settings.poll_seconds)

    def _import_jobs(self) -> None:
        """Runs import jobs one at a time (queued, or left by a crashed process)."""
        assert self.imports is not None
        while not self._stop.is_set():
            try:
                busy = self.imports.run_next(self.owner)
            except Exception:
                log.exception("import job runner failed; retrying")
                busy = False
            if not busy:
                self._stop.wait(_IMPORT_POLL_SECONDS)

    def _housekeeping(self) -> None:
        pruned_at = 0.0
        while not self._stop.wait(_HOUSEKEEPING_SECONDS):
            try:
                self._renew_and_reconcile()
                pruned_at = self._prune(pruned_at)
            except Exception:
                log.exception("provisioning housekeeping failed; retrying")

    def _renew_and_reconcile(self) -> None:
        """Extend the leases of the batches in flight (their own short transaction), then
        start the full reconciles that are due."""
        with self._in_flight_lock:
            held = sorted(self._in_flight)
        if held:
            with write_tx(self.engine) as conn:
                renew(conn, held, self.owner, now_utc(), self.settings.lease_seconds)
        s = self.settings
        with write_tx(self.engine) as conn:
            for app_id in paused_app_ids(conn):
                if lift_if_clear(conn, app_id, s.guard_share, s.guard_minimum):
                    log.info("deprovisioning guard lifted for application %s", app_id)
        now = now_utc()
        with read_tx(self.engine) as conn:
            app_ids = runnable_app_ids(conn, now)
        for app_id in app_ids:
            with write_tx(self.engine) as conn:
                if schedule_reconcile(conn, app_id, now, self.settings.reconcile_interval):
                    full_reconcile(conn, app_id)
                    log.info("full reconcile of application %s", app_id)

    def _prune(self, last: float) -> float:
        if time.monotonic() - last < _PRUNE_SECONDS:
            return last
        cutoff = now_utc() - timedelta(days=self.settings.log_retention_days)
        ProvisioningLog(self.engine).prune(cutoff)
        return time.monotonic()
