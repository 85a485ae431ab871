"""The admin web UI: server-rendered Jinja2 templates with htmx, static files shipped in
the package. It calls the hub's services (``scimhub.hub.Hub``) like the REST API does and
holds no business logic of its own; nothing imports it but the CLI's composition."""

from .app import create_web
from .paths import UI_PREFIX

__all__ = ["UI_PREFIX", "create_web"]
