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
from scimhub.applications.secrets import SecretBox
from scimhub.config import Settings
from scimhub.directory.groups import Groups
from scimhub.directory.users import Users
from scimhub.storage.api_keys import ApiKeys

__all__ = ["Hub", "build_hub"]


@dataclass(frozen=True, slots=True)
class Hub:
    engine: Engine
    settings: Settings
    users: Users
    groups: Groups
    applications: Applications
    bindings: Bindings
    idm: IdmIntegrations
    api_keys: ApiKeys


def build_hub(settings: Settings, engine: Engine) -> Hub:
    """Wire the hub's services on ``engine``; the secret key comes from ``settings``."""
    box = SecretBox.from_settings(settings)
    return Hub(
        engine=engine,
        settings=settings,
        users=Users(engine),
        groups=Groups(engine),
        applications=Applications(engine, max_image_bytes=settings.max_image_bytes),
        bindings=Bindings(engine),
        idm=IdmIntegrations(engine, box, timeout=settings.idm_verify_timeout_seconds),
        api_keys=ApiKeys(engine),
    )
