"""Settings, built once at the edge (CLI, app factory) and passed down explicitly."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """All configuration, from ``SCIMHUB_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="SCIMHUB_", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="Where the SQLite file and keys live")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite")
    max_body_bytes: int = 1_048_576
    max_json_depth: int = 32
    max_filter_length: int = 4096
    max_filter_nodes: int = 200
    default_page_size: int = 100
    max_page_size: int = 1000
    max_bulk_operations: int = 1000
    cursor_timeout_seconds: int = 3600
    cursor_secret: str | None = Field(default=None, description="HMAC key for cursors")
    secret_key: str | None = Field(
        default=None,
        description="Fernet key for application tokens; default: a 0600 key file in data_dir",
    )
    idm_verify_timeout_seconds: float = Field(
        default=10.0, description="How long activation waits for the target's answer"
    )
    max_image_bytes: int = Field(default=524_288, description="User portal image size limit")
    provider_url: str | None = Field(
        default=None,
        description="Where applications reach the SCIM provider (shown on API Access)",
        pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$",
    )
    web_session_idle_minutes: int = Field(
        default=30, ge=1, description="A web UI session ends after this long without a request"
    )
    web_session_max_hours: int = Field(
        default=12, ge=1, description="...and this long after sign-in, whatever happens"
    )
    web_sign_in_address_failures: int = Field(
        default=10, ge=1, description="Sign-in attempts a client address makes freely per window"
    )
    web_sign_in_address_window_minutes: int = Field(
        default=10, ge=1, description="...in this many minutes; then each waits 1, 2, 4 ... 300 s"
    )
    worker_threads: int = Field(default=6, ge=1, le=64, description="Provisioning worker threads")
    worker_batch_size: int = Field(default=50, ge=1, le=500, description="Links per claim")
    worker_poll_seconds: float = Field(default=0.2, gt=0, description="Idle wait between claims")
    provisioning_timeout_seconds: float = Field(default=10.0, gt=0, description="Per request")
    reconcile_interval_seconds: float = Field(
        default=21_600, gt=0, description="Full reconcile against each target (drift repair)"
    )
    deprovision_guard_share: float = Field(
        default=0.2, ge=0, le=1, description="A pass deprovisioning more of an app's users pauses"
    )
    deprovision_guard_minimum: int = Field(
        default=3, ge=1, description="...and at least this many (one leaver never pauses)"
    )
    provisioning_log_retention_days: int = Field(default=90, ge=1)
    import_page_size: int = Field(default=100, ge=1, le=1000, description="Users per listed page")
    import_lease_seconds: float = Field(
        default=30.0, gt=0, description="A crashed import job is resumed by another process after"
    )
    smtp_host: str | None = Field(default=None, description="SMTP server; unset: no emails")
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "scimhub@localhost"
    smtp_to: str = Field(default="", description="Comma-separated admin addresses")
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)
    smtp_ca_file: str | None = Field(default=None, description="CA bundle for a private CA")

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'scimhub.db').resolve()}"
