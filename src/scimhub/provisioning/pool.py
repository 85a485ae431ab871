"""One connector per active application generation, shared by the worker's threads."""

from __future__ import annotations

import threading

from .connector import Connector
from .scim_connector import ScimConnector
from .targets import Target

__all__ = ["ConnectorPool"]


class ConnectorPool:
    """Keeps a keep-alive HTTP client per (application, generation); a new generation (the
    integration was deactivated and activated again, maybe with a new token) replaces it."""

    def __init__(self, timeout: float, max_connections: int) -> None:
        self.timeout = timeout
        self.max_connections = max_connections
        self._lock = threading.Lock()
        self._open: dict[str, tuple[int, Connector]] = {}

    def get(self, target: Target) -> Connector:
        with self._lock:
            held = self._open.get(target.app_id)
            if held is not None and held[0] == target.generation:
                return held[1]
            if held is not None:
                held[1].close()
            connector = self.open(target)
            self._open[target.app_id] = (target.generation, connector)
            return connector

    def open(self, target: Target) -> Connector:
        return ScimConnector(
            target.base_url,
            target.token,
            timeout=self.timeout,
            max_connections=self.max_connections,
        )

    def __enter__(self) -> ConnectorPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            for _, connector in self._open.values():
                connector.close()
            self._open.clear()
