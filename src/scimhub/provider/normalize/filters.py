"""Filter rules (RFC 7644 §3.4.2.2): query filters as clients write them, in strict form.

Each rewrite applies only where the strict grammar has no reading, so a valid filter
is returned unchanged:

- ``emails[type eq "work"].value eq "x"`` (a sub-attribute after a value path) means
  ``emails[(type eq "work") and value eq "x"]``;
- a bare comparison value (``externalId eq jyoung``) is a string;
- an extension attribute without its URN (``manager eq "id"``) is qualified.
"""

from __future__ import annotations

import json
import re

from scimhub.scim.filter import COMPARE_OPS
from scimhub.scim.schema import ResourceType

from .names import qualify_path

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[()\[\]]|\s+|[^\s()\[\]"]+', re.DOTALL)
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\Z")
_KEYWORDS = frozenset({"true", "false", "null"})


def query_filter(text: str | None, rtype: ResourceType) -> str | None:
    """The filter ``text`` in strict RFC 7644 form, for the strict parser to read."""
    if text is None:
        return None
    tokens = _TOKEN.findall(text)
    if "".join(tokens) != text:
        return text  # an unterminated string: the strict parser says where
    tokens = _quote_bare_values(tokens)
    tokens = _qualify_names(tokens, rtype)
    return "".join(_fold_value_path_subs(tokens))


def _is_word(token: str) -> bool:
    return not token.isspace() and token[0] not in '"()[]'


def _following(tokens: list[str], i: int) -> tuple[str, int]:
    j = next((j for j in range(i + 1, len(tokens)) if not tokens[j].isspace()), len(tokens))
    return (tokens[j] if j < len(tokens) else ""), j


def _quote_bare_values(tokens: list[str]) -> list[str]:
    out, previous = list(tokens), ""  # the last token that is not white space
    for i, token in enumerate(tokens):
        if token.isspace():
            continue
        bare = _is_word(token) and token.lower() not in _KEYWORDS and not _NUMBER.match(token)
        if bare and previous.lower() in COMPARE_OPS:
            out[i] = json.dumps(token)
        previous = token
    return out


def _qualify_names(tokens: list[str], rtype: ResourceType) -> list[str]:
    out, depth = list(tokens), 0
    following = _next_words(tokens)
    for i, token in enumerate(tokens):
        depth += {"[": 1, "]": -1}.get(token, 0)
        if depth or not _is_word(token):
            continue
        after = following[i].lower()
        if after == "[" or after in COMPARE_OPS or after == "pr":
            out[i] = qualify_path(token, rtype)
    return out


def _next_words(tokens: list[str]) -> list[str]:
    """For each position, the next token that is not white space ("" at the end): one
    backward pass, so long filters (50 times ``userName eq "a" or``) stay linear."""
    following, upcoming = [""] * len(tokens), ""
    for i in range(len(tokens) - 1, -1, -1):
        following[i] = upcoming
        if not tokens[i].isspace():
            upcoming = tokens[i]
    return following


def _fold_value_path_subs(tokens: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(tokens):
        sub = tokens[i + 1] if tokens[i] == "]" and i + 1 < len(tokens) else ""
        condition, end = _condition(tokens, i + 1) if sub.startswith(".") else ([], i)
        if condition and "[" in out:
            start = len(out) - out[::-1].index("[")
            out[start:] = ["(", *out[start:], ")", " and ", sub[1:], *condition]
        out.append(tokens[i])
        i = end + 1 if condition else i + 1
    return out


def _condition(tokens: list[str], at: int) -> tuple[list[str], int]:
    """``op value`` (or ``pr``) after the sub-attribute token at ``at``; its last index."""
    op, j = _following(tokens, at)
    if op.lower() == "pr":
        return [" pr"], j
    value, k = _following(tokens, j)
    if op.lower() not in COMPARE_OPS or not value or value in ("(", ")", "[", "]"):
        return [], at
    return [" ", op, " ", value], k
