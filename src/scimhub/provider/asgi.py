"""An ASGI entry point for servers that import the application by name.

``scimhub provider serve`` runs granian with ``scimhub.provider.asgi:app_from_env``; any
ASGI server can do the same (``uvicorn --factory scimhub.provider.asgi:app_from_env``).
"""

from __future__ import annotations

import gc

from starlette.applications import Starlette

from scimhub.config import Settings

from .app import create_app


def app_from_env() -> Starlette:
    """The provider configured from ``SCIMHUB_*`` environment variables.

    Everything loaded at start-up is moved out of the garbage collector's sight
    (``gc.freeze``): full collections then scan only request garbage, which keeps them
    from adding tens of microseconds to random requests.
    """
    app = create_app(Settings())
    gc.collect()
    gc.freeze()
    return app
