"""User portal images: only raster formats recognised by their magic bytes, size-limited.

SVG is refused on purpose: it can carry script, and the image is shown in the portal.
"""

from __future__ import annotations

import hashlib

from scimhub.problems import Invalid

from .models import Image

__all__ = ["checked_image"]

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def checked_image(data: bytes, max_bytes: int) -> Image:
    """An ``Image`` for ``data`` if it is a PNG, JPEG, GIF or WebP of at most ``max_bytes``."""
    if not data:
        raise Invalid("The image is empty")
    if len(data) > max_bytes:
        raise Invalid(f"The image is {len(data)} bytes; the limit is {max_bytes} bytes")
    content_type = _sniff(data)
    if content_type is None:
        raise Invalid("The image must be a PNG, JPEG, GIF or WebP file")
    return Image(content_type, hashlib.sha256(data).hexdigest(), data)


def _sniff(data: bytes) -> str | None:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for magic, kind in _SIGNATURES if data.startswith(magic)), None)
