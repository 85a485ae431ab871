"""The engine's knobs; the composition root (``hub.py``) fills them from ``Settings``."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["EngineSettings"]


@dataclass(frozen=True, slots=True)
class EngineSettings:
    threads: int = 6
    batch_size: int = 50
    poll_seconds: float = 0.2
    timeout: float = 10.0
    lease_seconds: float = 60.0
    reconcile_interval: float = 21_600.0
    guard_share: float = 0.2
    guard_minimum: int = 3
    backoff_base: float = 1.0
    backoff_cap: float = 300.0
    log_retention_days: int = 90
