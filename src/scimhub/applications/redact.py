"""Keep a secret out of text shown to people and stored: whole, in any case, or in pieces.

A target may echo what it was sent (in an error detail, a redirect's Location, a header), in
any case, whole or cut short, and the hub shows an admin what the target said, cut to a few
hundred characters, and stores it in the integration's last check. So :func:`shown` redacts
the secret in the target's raw text *before* cutting it, and :func:`redact` also removes any
run of at least :data:`FRAGMENT` characters that occurs in the secret (ignoring case), which
catches a secret cut at an edge or echoed in part, whatever the offset. Over-redacting a few
characters of a message is the price of never showing a usable piece of a token.
"""

from __future__ import annotations

import re
from dataclasses import replace

from .capabilities import Capabilities, printable

__all__ = ["FRAGMENT", "PLACEHOLDER", "redact", "redact_capabilities", "shown"]

PLACEHOLDER = "[token]"
#: Runs of this many characters of the secret, or more, are redacted wherever they appear.
FRAGMENT = 8


def shown(text: str, secret: str, limit: int = 300) -> str:
    """Text taken from the target, safe to show: redacted, then flattened and cut, then checked."""
    return redact(printable(_redact_whole(text, secret), limit), secret)


def redact(text: str, secret: str) -> str:
    """``text`` without ``secret`` in any case and without any run of FRAGMENT of its characters.

    Meant for bounded text (a message): the cost is linear in ``len(text)``.
    """
    if not secret:
        return text
    text = _redact_whole(text, secret)
    size = min(FRAGMENT, len(secret))
    pieces = {_fold(secret[i : i + size]) for i in range(len(secret) - size + 1)}
    # Between placeholders only, so that none is taken for a piece of a short secret.
    parts = text.split(PLACEHOLDER)
    return PLACEHOLDER.join(_redact_pieces(part, pieces, size) for part in parts)


def redact_capabilities(caps: Capabilities | None, secret: str) -> Capabilities | None:
    """Resource type names come from the target and are stored: they may echo the secret too."""
    if caps is None:
        return None
    return replace(caps, resource_types=tuple(redact(n, secret) for n in caps.resource_types))


def _redact_whole(text: str, secret: str) -> str:
    if not secret:
        return text
    return re.sub(re.escape(secret), PLACEHOLDER, text, flags=re.IGNORECASE)


def _redact_pieces(text: str, pieces: set[str], size: int) -> str:
    """Each maximal run of ``text`` covered by windows found in ``pieces`` becomes PLACEHOLDER."""
    folded = _fold(text)
    out: list[str] = []
    start = covered_to = 0  # text[start:covered_to] is the run being covered
    for i in range(len(text) - size + 1):
        if folded[i : i + size] not in pieces:
            continue
        if i > covered_to:  # a new run: keep what lies between
            out += [text[start:covered_to] and PLACEHOLDER, text[covered_to:i]]
            start = i
        covered_to = i + size
    out += [text[start:covered_to] and PLACEHOLDER, text[covered_to:]]
    return "".join(out)


def _fold(text: str) -> str:
    """Case folded character by character, keeping indexes (``ß`` folds to two, so stays)."""
    return "".join(f if len(f := ch.casefold()) == 1 else ch for ch in text)
