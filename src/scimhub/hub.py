"""The hub's composition root: builds the directory and applications services once.

The CLI, the REST API and (later) the web UI all take their services from a ``Hub``, so
every interface runs the same rules. Settings are read by the caller and passed in.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from scimhub.applications.apps import Applications
from scimhub.applications.bindings import Bindings
from scimhub.applications.idm import IdmIntegrations
from scimhub.applications.mappings import Mappings
from scimhub.applications.secrets import SecretBox
from scimhub.config import Settings
from scimhub.directory.groups import Groups
from scimhub.directory.users import Users
from scimhub.notify import SmtpMailer, SmtpSettings
from scimhub.provisioning.importing import Imports, ImportSettings, JobRunner
from scimhub.provisioning.log import ProvisioningLog
from scimhub.provisioning.marks import DirtyMarks
from scimhub.provisioning.service import Provisioning
from scimhub.provisioning.settings import EngineSettings
from scimhub.provisioning.worker import Worker
from scimhub.storage.admin_accounts import AdminAccounts
from scimhub.storage.api_keys import ApiKeys

__all__ = ["Hub", "build_hub", "engine_settings", "smtp_settings"]


@dataclass(frozen=True, slots=True)
class Hub:
    engine: Engine
    settings: Settings
    users: Users
    groups: Groups
    applications: Applications
    bindings: Bindings
    idm: IdmIntegrations
    mappings: Mappings
    api_keys: ApiKeys
    admins: AdminAccounts
    provisioning: Provisioning
    log: ProvisioningLog
    imports: Imports
    box: SecretBox

    def worker(self) -> Worker:
        """A provisioning worker on this hub's database (``start()`` it, ``stop()`` it); it
        runs the import jobs too."""
        return Worker(
            self.engine, self.box, engine_settings(self.settings), imports=self.imports.runner
        )


def build_hub(settings: Settings, engine: Engine) -> Hub:
    """Wire the hub's services on ``engine``; the secret key comes from ``settings``."""
    box = SecretBox.from_settings(settings)
    marks = DirtyMarks()  # every directory and scope change marks links in its transaction
    timeout = settings.idm_verify_timeout_seconds
    return Hub(
        engine=engine,
        settings=settings,
        users=Users(engine, marks),
        groups=Groups(engine, marks),
        applications=Applications(engine, max_image_bytes=settings.max_image_bytes),
        bindings=Bindings(engine, marks),
        idm=IdmIntegrations(engine, box, timeout=timeout, scope=marks),
        mappings=Mappings(engine, marks),
        api_keys=ApiKeys(engine),
        admins=AdminAccounts(engine),
        provisioning=Provisioning(engine, box, engine_settings(settings)),
        log=ProvisioningLog(engine),
        imports=Imports(engine, box, _import_runner(settings, engine, box, marks)),
        box=box,
    )


def _import_runner(
    settings: Settings, engine: Engine, box: SecretBox, marks: DirtyMarks
) -> JobRunner:
    mailer = SmtpMailer(smtp_settings(settings))
    knobs = ImportSettings(
        page_size=settings.import_page_size,
        lease_seconds=settings.import_lease_seconds,
        timeout=settings.provisioning_timeout_seconds,
    )
    return JobRunner(engine, box, mailer, marks, knobs)


def smtp_settings(settings: Settings) -> SmtpSettings:
    """The SMTP server and the admins' addresses from ``settings`` (read here, at the edge)."""
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    return SmtpSettings(
        host=settings.smtp_host,
        port=settings.smtp_port,
        security=settings.smtp_security,
        username=settings.smtp_username,
        password=password,
        sender=settings.smtp_from,
        recipients=tuple(a.strip() for a in settings.smtp_to.split(",") if a.strip()),
        timeout=settings.smtp_timeout_seconds,
        ca_file=settings.smtp_ca_file,
    )


def engine_settings(settings: Settings) -> EngineSettings:
    """The provisioning engine's knobs from ``settings`` (read here, at the edge)."""
    return EngineSettings(
        threads=settings.worker_threads,
        batch_size=settings.worker_batch_size,
        poll_seconds=settings.worker_poll_seconds,
        timeout=settings.provisioning_timeout_seconds,
        reconcile_interval=settings.reconcile_interval_seconds,
        guard_share=settings.deprovision_guard_share,
        guard_minimum=settings.deprovision_guard_minimum,
        log_retention_days=settings.provisioning_log_retention_days,
    )
