"""Application secrets (IdM tokens) encrypted at rest with Fernet (AES-128-CBC + HMAC).

The key comes from ``Settings.secret_key`` (several comma-separated keys rotate: the first
encrypts, all decrypt) or, by default, from a ``secret.key`` file in the data directory,
created once with mode 0600.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from scimhub.problems import Problem

__all__ = ["BadSecretKey", "SecretBox", "SecretUnreadable"]

KEY_FILE = "secret.key"


class SecretUnreadable(Problem):
    """Stored ciphertext no configured key can open (the key was lost or changed)."""

    status = 500
    code = "secret_unreadable"


class KeySettings(Protocol):
    """What the box needs from the settings (passed in from the edge, not imported)."""

    @property
    def secret_key(self) -> str | None: ...

    @property
    def data_dir(self) -> Path: ...


class BadSecretKey(Problem):
    """The configured secret key cannot be used at all."""

    status = 500
    code = "bad_secret_key"


class SecretBox:
    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise BadSecretKey("No secret key is configured (SCIMHUB_SECRET_KEY is empty)")
        try:
            self._fernet = MultiFernet([Fernet(k) for k in keys])
        except ValueError:
            raise BadSecretKey(
                "The secret key is not a Fernet key (32 url-safe base64-encoded bytes); "
                "check SCIMHUB_SECRET_KEY or the secret.key file in the data directory"
            ) from None

    @classmethod
    def from_settings(cls, settings: KeySettings) -> SecretBox:
        if settings.secret_key:
            return cls([k.strip().encode() for k in settings.secret_key.split(",") if k.strip()])
        return cls([_key_file(settings.data_dir)])

    def seal(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def open(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise SecretUnreadable(
                "A stored application token cannot be decrypted with the configured secret "
                "key; restore the key or enter the token again"
            ) from None


def _key_file(data_dir: Path) -> bytes:
    """Read the key file, creating it (0600) on first use; a concurrent creator wins cleanly."""
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        tmp = data_dir / f".{KEY_FILE}.{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(Fernet.generate_key())
        try:
            os.link(tmp, path)  # atomic: fails if another process linked its key first
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_bytes().strip()
