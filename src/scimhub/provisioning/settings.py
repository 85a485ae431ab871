"""The engine's knobs, taken from ``Settings`` at the edge and passed in."""

from __future__ import annotations

from dataclasses import dataclass

from scimhub.config import Settings

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

    @classmethod
    def of(cls, settings: Settings) -> EngineSettings:
        return cls(
            threads=settings.worker_threads,
            batch_size=settings.worker_batch_size,
            poll_seconds=settings.worker_poll_seconds,
            timeout=settings.provisioning_timeout_seconds,
            reconcile_interval=settings.reconcile_interval_seconds,
            guard_share=settings.deprovision_guard_share,
            guard_minimum=settings.deprovision_guard_minimum,
            log_retention_days=settings.provisioning_log_retention_days,
        )
