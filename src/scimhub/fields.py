"""Rules for the free text admins type (names, labels, descriptions), shared by the hub.

Text is refused rather than cleaned when it holds characters that forge output: control
characters (a newline or tab in a name breaks every table the CLI prints; ANSI escapes
drive terminals) and bidirectional overrides (which display text in another order than
it is stored). Zero-width joiners stay allowed: scripts such as Persian need them.
"""

from __future__ import annotations

import unicodedata

from scimhub.problems import Invalid

__all__ = ["checked_line", "checked_paragraph"]

_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_PARAGRAPH_SPACING = frozenset("\n\t")


def checked_line(value: object, field: str, limit: int) -> str:
    """One stripped line of at most ``limit`` characters."""
    return _checked(value, field, limit, allowed=frozenset())


def checked_paragraph(value: object, field: str, limit: int) -> str:
    """Stripped text of at most ``limit`` characters; newlines and tabs allowed."""
    return _checked(value, field, limit, allowed=_PARAGRAPH_SPACING)


def _checked(value: object, field: str, limit: int, allowed: frozenset[str]) -> str:
    if not isinstance(value, str):
        raise Invalid(f"The {field} must be a string (got {type(value).__name__})")
    text = value.strip()
    bad = next((c for c in text if c not in allowed and _forges(c)), None)
    if bad is not None:
        raise Invalid(f"The {field} must not contain the control character U+{ord(bad):04X}")
    if len(text) > limit:
        raise Invalid(f"The {field} must be at most {limit} characters (got {len(text)})")
    return text


def _forges(char: str) -> bool:
    return char in _BIDI_CONTROLS or unicodedata.category(char) == "Cc"
