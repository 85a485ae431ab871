"""SCIM filters (RFC 7644 §3.4.2.2) and PATCH paths (RFC 7644 §3.5.2).

A hand-written tokenizer and recursive-descent parser for the filter grammar of
RFC 7644 §3.4.2.2, figure 1::

    FILTER    = attrExp / logExp / valuePath / *1"not" "(" FILTER ")"
    valuePath = attrPath "[" valFilter "]"
    valFilter = attrExp / logExp / *1"not" "(" valFilter ")"
    attrExp   = (attrPath SP "pr") / (attrPath SP compareOp SP compValue)
    logExp    = FILTER SP ("and" / "or") SP FILTER
    compValue = false / null / true / number / string

Operators and keywords are case-insensitive; precedence is ``not`` > ``and`` > ``or``.
Positions in error messages are 0-based character offsets into the filter text.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import NamedTuple

from .definitions import COMMON_ATTRIBUTES
from .errors import InvalidFilter, InvalidPath
from .filter_ast import (
    COMPARE_OPS,
    ORDER_OPS,
    And,
    Compare,
    Filter,
    Not,
    Or,
    PatchPath,
    Present,
    Value,
    ValuePath,
)
from .path import AttrPath, Resolved, resolve
from .schema import Attribute, ResourceType

__all__ = [
    "COMPARE_OPS",
    "ORDER_OPS",
    "SCHEMAS_ATTRIBUTE",
    "And",
    "Compare",
    "Filter",
    "Not",
    "Or",
    "PatchPath",
    "Present",
    "Value",
    "ValuePath",
    "parse_filter",
    "parse_patch_path",
    "resolve_filter",
    "resolve_filter_path",
    "resolve_sub_path",
]

_NON_NULL_OPS = ORDER_OPS | {"co", "sw", "ew"}
_OPERATORS = COMPARE_OPS | {"pr"}
#: Deepest nesting of groups, ``not`` and value paths.
MAX_DEPTH = 50


# --- tokenizer ---------------------------------------------------------------------------

_TOKEN_RE = re.compile(
    r"""(?P<punct>[()\[\]])
      | (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?![\w$.:])
      | (?P<word>[A-Za-z$][\w$:.-]*)
      | (?P<space>\s+)
      | (?P<error>.)
    """,
    re.VERBOSE | re.ASCII | re.DOTALL,
)
#: The common case ``attrPath op "plain string"`` takes a fast path around the parser.
_SIMPLE_RE = re.compile(
    r'\s*([A-Za-z][\w:.-]*)\s+(eq|ne|co|sw|ew|gt|ge|lt|le)\s+"([^"\\]*)"\s*\Z',
    re.IGNORECASE | re.ASCII,
)
_NAME_RE = re.compile(r"(?:[A-Za-z][A-Za-z0-9_-]*|\$ref)\Z")


class _Token(NamedTuple):
    kind: str  # "punct" | "string" | "number" | "word" | "end"
    text: str
    pos: int


def _tokenize(text: str) -> list[_Token]:
    """Split ``text`` into tokens; raise InvalidFilter at the first unknown character."""
    tokens: list[_Token] = []
    for match in _TOKEN_RE.finditer(text):
        kind = match.lastgroup
        if kind == "space" or kind is None:
            continue
        if kind == "error":
            raise InvalidFilter(_bad_char(text, match.start()))
        tokens.append(_Token(kind, match.group(), match.start()))
    tokens.append(_Token("end", "", len(text)))
    return tokens


def _bad_char(text: str, pos: int) -> str:
    if text[pos] == '"':
        return f"Unterminated string starting at position {pos}"
    return f"Unexpected character {text[pos]!r} at position {pos}"


def _describe(token: _Token) -> str:
    return "end of filter" if token.kind == "end" else repr(token.text)


# --- attribute paths ---------------------------------------------------------------------


@lru_cache(maxsize=1024)
def _attr_path(text: str, pos: int, error: type[InvalidFilter | InvalidPath]) -> AttrPath:
    """``attrPath = [URI ":"] ATTRNAME *1subAttr`` (RFC 7644 §3.10)."""
    urn: str | None = None
    rest = text
    if text[:4].lower() == "urn:":
        urn, _, rest = text.rpartition(":")
        if urn.lower() == "urn":
            raise error(f"Invalid attribute path {text!r} at position {pos}")
    head, dot, sub = rest.partition(".")
    if not _NAME_RE.match(head) or (dot and not _NAME_RE.match(sub)):
        raise error(f"Invalid attribute path {text!r} at position {pos}")
    return AttrPath(urn, head, sub or None)


# --- parser ------------------------------------------------------------------------------


class _Parser:
    """Recursive descent over the token list; ``or`` < ``and`` < ``not``/grouping/attrExp."""

    __slots__ = ("depth", "i", "in_value", "max_nodes", "nodes", "tokens")

    def __init__(self, tokens: list[_Token], max_nodes: int, *, in_value: bool = False) -> None:
        self.tokens = tokens
        self.i = 0
        self.nodes = 0
        self.depth = 0
        self.max_nodes = max_nodes
        self.in_value = in_value

    def parse(self) -> Filter:
        if self.tokens[0].kind == "end":
            raise InvalidFilter("Empty filter")
        expr = self.parse_or()
        token = self.peek()
        if token.kind != "end":
            expected = "'and', 'or' or ']'" if self.in_value else "'and' or 'or'"
            raise InvalidFilter(
                f"Expected {expected} at position {token.pos}, found {_describe(token)}"
            )
        return expr

    def peek(self, ahead: int = 0) -> _Token:
        tokens = self.tokens
        at = self.i + ahead
        return tokens[at] if at < len(tokens) else tokens[-1]

    def next(self) -> _Token:
        token = self.tokens[self.i]
        if token.kind != "end":
            self.i += 1
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token.kind == "word" and token.text.lower() == word:
            self.i += 1
            return True
        return False

    def expect(self, punct: str, after: str) -> None:
        token = self.next()
        if token.kind != "punct" or token.text != punct:
            raise InvalidFilter(
                f"Expected '{punct}' {after} at position {token.pos}, found {_describe(token)}"
            )

    def count(self) -> None:
        self.nodes += 1
        if self.nodes > self.max_nodes:
            raise InvalidFilter(f"Filter is too complex (more than {self.max_nodes} nodes)")

    def parse_or(self) -> Filter:
        left = self.parse_and()
        while self.keyword("or"):
            right = self.parse_and()
            self.count()
            left = Or(left, right)
        return left

    def parse_and(self) -> Filter:
        left = self.parse_unary()
        while self.keyword("and"):
            right = self.parse_unary()
            self.count()
            left = And(left, right)
        return left

    def parse_unary(self) -> Filter:
        token = self.peek()
        if token.kind == "punct" and token.text == "(":
            self.next()
            return self.group("to close the group opened at position " + str(token.pos))
        if token.kind == "word" and token.text.lower() == "not" and not self.is_operator(1):
            self.next()
            self.expect("(", "after 'not'")
            self.count()
            return Not(self.group("to close 'not ('"))
        return self.attr_exp()

    def group(self, closing: str) -> Filter:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise InvalidFilter(f"Filter is too complex (nesting deeper than {MAX_DEPTH})")
        expr = self.parse_or()
        self.expect(")", closing)
        self.depth -= 1
        return expr

    def is_operator(self, ahead: int) -> bool:
        token = self.peek(ahead)
        return token.kind == "word" and token.text.lower() in _OPERATORS

    def attr_exp(self) -> Filter:
        token = self.next()
        if token.kind != "word":
            raise InvalidFilter(
                f"Expected an attribute path at position {token.pos}, found {_describe(token)}"
            )
        path = _attr_path(token.text, token.pos, InvalidFilter)
        if self.in_value and (path.urn is not None or path.sub_attr is not None):
            raise InvalidFilter(
                f"Expected a sub-attribute name at position {token.pos}, found {token.text!r}"
            )
        self.count()
        after = self.peek()
        if after.kind == "punct" and after.text == "[":
            return self.value_path(path, after)
        return self.operation(path)

    def value_path(self, path: AttrPath, bracket: _Token) -> Filter:
        if self.in_value:
            raise InvalidFilter(f"Nested value paths are not allowed (position {bracket.pos})")
        self.next()
        self.in_value, self.depth = True, self.depth + 1
        if self.depth > MAX_DEPTH:
            raise InvalidFilter(f"Filter is too complex (nesting deeper than {MAX_DEPTH})")
        inner = self.parse_or()
        self.expect("]", f"to close the value path opened at position {bracket.pos}")
        self.in_value, self.depth = False, self.depth - 1
        return ValuePath(path, inner)

    def operation(self, path: AttrPath) -> Filter:
        token = self.next()
        op = token.text.lower()
        if token.kind != "word" or (op != "pr" and op not in COMPARE_OPS):
            raise InvalidFilter(
                f"Expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) after "
                f"'{path}' at position {token.pos}, found {_describe(token)}"
            )
        if op == "pr":
            return Present(path)
        value = self.value(op)
        if (value is None or isinstance(value, bool)) and op in _NON_NULL_OPS:
            raise InvalidFilter(
                f"Operator '{op}' cannot compare with {json.dumps(value)} (position {token.pos})"
            )
        return Compare(path, op, value)

    def value(self, op: str) -> Value:
        token = self.next()
        if token.kind == "string":
            return _string(token)
        if token.kind == "number":
            return _number(token.text)
        lowered = token.text.lower()
        if token.kind == "word" and lowered in _KEYWORDS:
            return _KEYWORDS[lowered]
        raise InvalidFilter(
            f"Expected a value (string, number, true, false or null) after '{op}' "
            f"at position {token.pos}, found {_describe(token)}"
        )


_KEYWORDS: dict[str, Value] = {"true": True, "false": False, "null": None}


def _string(token: _Token) -> str:
    """Decode a JSON string literal (RFC 8259 §7)."""
    if "\\" not in token.text:
        return token.text[1:-1]
    try:
        decoded: str = json.loads(token.text)
    except ValueError as exc:
        raise InvalidFilter(f"Invalid string literal at position {token.pos}: {exc}") from exc
    return decoded


def _number(text: str) -> int | float:
    if "." in text or "e" in text or "E" in text:
        return float(text)
    return int(text)


@lru_cache(maxsize=2048)
def parse_filter(text: str, *, max_length: int = 4096, max_nodes: int = 200) -> Filter:
    """Parse a SCIM filter (RFC 7644 §3.4.2.2) into an immutable AST.

    Raises InvalidFilter on syntax errors, and when the filter is longer than
    ``max_length`` characters, has more than ``max_nodes`` nodes or nests deeper than 50.
    """
    if len(text) > max_length:
        raise InvalidFilter(f"Filter is too long ({len(text)} characters; maximum {max_length})")
    simple = _SIMPLE_RE.match(text)
    if simple is not None:
        path = _attr_path(simple.group(1), simple.start(1), InvalidFilter)
        return Compare(path, simple.group(2).lower(), simple.group(3))
    return _Parser(_tokenize(text), max_nodes).parse()


def _parse_value_filter(text: str) -> Filter:
    return _Parser(_tokenize(text), 200, in_value=True).parse()


@lru_cache(maxsize=1024)
def parse_patch_path(text: str) -> PatchPath:
    """Parse a PATCH path (RFC 7644 §3.5.2): ``PATH = attrPath / valuePath [subAttr]``.

    Raises InvalidPath for any syntax error.
    """
    text = text.strip()
    open_at = text.find("[")
    if open_at < 0:
        return PatchPath(_attr_path(text, 0, InvalidPath), None, None)
    close_at = text.rfind("]")
    if close_at < open_at:
        raise InvalidPath(f"Unclosed '[' at position {open_at} in path {text!r}")
    attr = _attr_path(text[:open_at].rstrip(), 0, InvalidPath)
    if attr.sub_attr is not None:
        raise InvalidPath(f"A value filter must follow a multi-valued attribute in {text!r}")
    try:
        value_filter = _parse_value_filter(text[open_at + 1 : close_at])
    except InvalidFilter as exc:
        raise InvalidPath(f"Invalid value filter in path {text!r}: {exc.detail}") from exc
    return PatchPath(attr, value_filter, _patch_sub_attr(text, close_at + 1))


def _patch_sub_attr(text: str, pos: int) -> str | None:
    tail = text[pos:]
    if not tail:
        return None
    if tail[0] != "." or not _NAME_RE.match(tail[1:]):
        raise InvalidPath(f"Expected '.subAttr' or end of path at position {pos} in {text!r}")
    return tail[1:]


# --- resolution against a resource type --------------------------------------------------

#: ``schemas`` (RFC 7643 §3) is filterable (RFC 7644 §3.4.2.2 example) but in no schema.
SCHEMAS_ATTRIBUTE = Attribute(
    "schemas", "reference", multi_valued=True, mutability="readOnly", returned="always"
)


def resolve_filter_path(rtype: ResourceType, path: AttrPath) -> Resolved:
    """Resolve a filter attribute path; unknown or never-returned attributes are InvalidFilter."""
    if path.urn is None and path.sub_attr is None and path.attr.lower() == "schemas":
        return Resolved(COMMON_ATTRIBUTES, SCHEMAS_ATTRIBUTE)
    resolved = resolve(rtype, path, InvalidFilter)
    for attr in (resolved.attribute, resolved.sub):
        _check_filterable(attr, path)
    return resolved


def resolve_sub_path(parent: Attribute, path: AttrPath) -> Attribute:
    """Resolve a value-path inner path (``emails[type eq ...]``) against ``parent``."""
    sub = parent.sub(path.attr)
    if sub is None:
        raise InvalidFilter(f"Unknown sub-attribute '{path.attr}' of '{parent.name}'")
    _check_filterable(sub, path)
    return sub


def _check_filterable(attr: Attribute | None, path: AttrPath) -> None:
    if attr is not None and attr.returned == "never":
        raise InvalidFilter(f"Attribute '{path}' cannot be used in a filter")


def resolve_filter(f: Filter, rtype: ResourceType) -> None:
    """Check that every path in ``f`` resolves against ``rtype`` (raises InvalidFilter)."""
    if isinstance(f, And | Or):
        resolve_filter(f.left, rtype)
        resolve_filter(f.right, rtype)
    elif isinstance(f, Not):
        resolve_filter(f.expr, rtype)
    elif isinstance(f, ValuePath):
        parent = resolve_filter_path(rtype, f.path).target
        if parent is None or not parent.is_complex:
            raise InvalidFilter(f"Value filter on '{f.path}', which is not a complex attribute")
        _resolve_inner(f.filter, parent)
    else:
        resolve_filter_path(rtype, f.path)


def _resolve_inner(f: Filter, parent: Attribute) -> None:
    if isinstance(f, And | Or):
        _resolve_inner(f.left, parent)
        _resolve_inner(f.right, parent)
    elif isinstance(f, Not):
        _resolve_inner(f.expr, parent)
    elif isinstance(f, Compare | Present):
        resolve_sub_path(parent, f.path)
