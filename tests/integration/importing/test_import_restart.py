"""A restart in the middle of an import: a real `scimhub worker` process runs the job and
is killed (SIGKILL, no cleanup) after some pages; another runner takes the job over once
its lease expires, continues at the stored cursor, and nobody is created twice."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from integration.provisioning.engine_support import Bench, wait_until
from integration.test_cli import scimhub_script
from scimhub.storage.hub_tables import directory_users
from scimhub.storage.provisioning_tables import provisioning_links as links
from scimhub.storage.transactions import read_tx

from .import_support import MakeOdd
from .odd_target import OddTarget, record

RECORDS = 300
PAGE = 20
LEASE = 3.0
HELD = 3 * PAGE + 1  #: the fourth page waits until the test lets it go


@pytest.fixture
def held(odd: MakeOdd) -> Iterator[tuple[Bench, OddTarget]]:
    s, target = odd([record(n) for n in range(RECORDS)], hold_from=HELD)
    yield s, target
    target.quirks.hold_from = None


def test_a_job_killed_by_a_restart_resumes_without_duplicates(
    held: tuple[Bench, OddTarget],
) -> None:
    s, target = held
    job = s.hub.imports.start(s.app, all_new=True).job
    assert job is not None
    env = s.database.env() | {
        "SCIMHUB_IMPORT_PAGE_SIZE": str(PAGE),
        "SCIMHUB_IMPORT_LEASE_SECONDS": str(LEASE),
        "SCIMHUB_WORKER_POLL_SECONDS": "0.05",
    }
    log = s.database.data_dir / "worker.log"
    with log.open("w") as stderr:
        proc = subprocess.Popen([str(scimhub_script()), "worker"], env=env, stderr=stderr)
    try:
        wait_until(lambda: s.hub.imports.job(s.app, job.id).listed >= 3 * PAGE, timeout=60)
    finally:
        proc.kill()  # a crash while it waits for page 4: no lease released
        proc.wait(10)
    interrupted = s.hub.imports.job(s.app, job.id)
    assert (interrupted.state, interrupted.created, interrupted.listed) == ("running", 60, 60)
    assert s.hub.imports.run(job.id, "too-early") is None  # the dead runner's lease holds
    target.quirks.hold_from = None
    done = wait_until(lambda: s.hub.imports.run(job.id, "restarted"), timeout=LEASE + 10)
    assert (done.state, done.created, done.listed, done.runs) == ("completed", RECORDS, RECORDS, 2)
    with read_tx(s.hub.engine) as conn:
        users = conn.execute(select(func.count()).select_from(directory_users)).scalar_one()
        remote_ids = conn.execute(select(links.c.remote_id)).scalars().all()
    assert users == RECORDS
    assert len(remote_ids) == len(set(remote_ids)) == RECORDS
    items = s.hub.imports.items(s.app, job.id, limit=1000)
    assert len(items) == RECORDS and {i.outcome for i in items} == {"created"}
