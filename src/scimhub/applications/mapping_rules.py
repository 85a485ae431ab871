"""The rules of an application's attribute mapping: which directory property goes where.

A mapping target is a SCIM PATCH path (RFC 7644 §3.5.2) of one of four shapes, parsed with the
protocol core's own grammar: ``attr`` (``title``), ``attr.sub`` (``name.givenName``),
``URN:attr`` (an extension attribute, RFC 7643 §3.3: the enterprise ``department``) and
``attr[type eq "x"].sub`` (one element of a multi-valued attribute, RFC 7643 §2.4:
``emails[type eq "work"].value``). Known attributes of the User schemas (RFC 7643 §4.1, §4.3)
are checked for shape and spelled canonically; attributes a target defines itself are taken
as written. :func:`checked_mapping` adds the hub's rules: what is never sent, ``userName``
exactly once, ``state`` only as ``active``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from scimhub.fields import checked_line
from scimhub.problems import Invalid
from scimhub.scim.definitions import USER_RESOURCE, USER_URN
from scimhub.scim.errors import ScimError
from scimhub.scim.filter import parse_patch_path
from scimhub.scim.filter_ast import Compare, Filter, PatchPath
from scimhub.scim.schema import Attribute

from .capabilities import printable
from .catalog import CatalogEntry, Mapping

__all__ = [
    "MAX_ENTRIES",
    "NEVER_MAPPED",
    "SOURCES",
    "Target",
    "checked_mapping",
    "mapping_from_json",
    "mapping_to_json",
    "parse_target",
]

#: The directory properties a mapping may read (``jobTitle`` is DirectoryUser.job_title).
SOURCES: tuple[str, ...] = (
    "username",
    "email",
    "firstname",
    "lastname",
    "department",
    "jobTitle",
    "state",
)
#: Targets no mapping may write, whatever the application: memberships go through /Groups,
#: passwords are never pushed, and the rest is the target's own (RFC 7643 §3.1).
NEVER_MAPPED: tuple[str, ...] = ("groups", "password", "id", "meta", "schemas")
MAX_ENTRIES = 50
_MAX_TARGET, _MAX_SOURCE, _MAX_NOTE = 300, 50, 200
_KEYS = ("source", "target", "note", "primary")
_CORE_PREFIX = "urn:ietf:params:scim:schemas:core:"
_EXTENSIONS = frozenset(e.schema.id.casefold() for e in USER_RESOURCE.extensions)


@dataclass(frozen=True, slots=True)
class Target:
    """A parsed mapping target. ``schema`` is an extension URN, None for the core User schema."""

    schema: str | None
    attr: str
    sub: str | None
    type_value: str | None

    @property
    def element_path(self) -> str:
        """The selected element of a typed target: ``emails[type eq "work"]``."""
        return f"{self.attr}[type eq {_json_string(self.type_value or '')}]"

    @property
    def key(self) -> tuple[str, ...]:
        """Equal for two spellings of one target (names and type values are case-insensitive)."""
        parts = (self.schema, self.attr, self.sub, self.type_value)
        return tuple((p or "").casefold() for p in parts)

    def __str__(self) -> str:
        head = self.element_path if self.type_value is not None else self.attr
        text = head + (f".{self.sub}" if self.sub else "")
        return f"{self.schema}:{text}" if self.schema else text


@lru_cache(maxsize=512)
def parse_target(text: str) -> Target:
    """The target named by ``text``, or :class:`Invalid` saying precisely what is wrong."""
    return _checked_shape(_parsed_path(text), text)


def _parsed_path(text: str) -> Target:
    """The target as written, its grammar checked (RFC 7644 §3.5.2) but not its schema."""
    if not text.strip():
        raise Invalid("A mapping target must not be empty")
    if len(text) > _MAX_TARGET:
        raise Invalid(f"A mapping target must be at most {_MAX_TARGET} characters")
    if text.strip().casefold() in _EXTENSIONS:
        raise Invalid(f"The target {_shown(text)} names a whole schema: add ':attribute'")
    try:
        path = parse_patch_path(text)
    except ScimError as exc:
        raise Invalid(
            f"The target {_shown(text)} is not a SCIM path: {printable(exc.detail, 120)}"
        ) from None
    return _target_of(path, text)


def _target_of(path: PatchPath, text: str) -> Target:
    schema = _schema_of(path.attr.urn, text)
    if not path.attr.attr:
        raise Invalid(f"The target {_shown(text)} names a whole schema: add ':attribute'")
    if path.value_filter is None:
        return Target(schema, path.attr.attr, path.attr.sub_attr, None)
    if schema is not None:
        raise Invalid(f"The target {_shown(text)}: a [type eq ...] filter needs a core attribute")
    if path.sub_attr is None:
        raise Invalid(f"The target {_shown(text)} must name the sub-attribute to set: '….value'")
    return Target(None, path.attr.attr, path.sub_attr, _type_value(path.value_filter, text))


def _schema_of(urn: str | None, text: str) -> str | None:
    if urn is None or urn.casefold() == USER_URN.casefold():
        return None
    parts = urn.split(":")
    if len(parts) < 3 or not all(parts):
        raise Invalid(f"The target {_shown(text)}: {_shown(urn)} is not a schema URN")
    if urn.casefold().startswith(_CORE_PREFIX):
        raise Invalid(f"The target {_shown(text)} is not an attribute of a User")
    return urn


def _type_value(value_filter: Filter, text: str) -> str:
    f = value_filter
    if (
        isinstance(f, Compare)
        and (f.path.urn, f.path.attr.casefold(), f.path.sub_attr) == (None, "type", None)
        and f.op == "eq"
        and isinstance(f.value, str)
    ):
        return f.value
    raise Invalid(f'The target {_shown(text)}: the only filter allowed is [type eq "..."]')


def _checked_shape(target: Target, text: str) -> Target:
    """Known User attributes (core and enterprise) must be used in their shape."""
    schema = USER_RESOURCE.schema_for(target.schema)
    known = schema.attr(target.attr) if schema else None
    if known is None:
        return target
    problem = _shape_problem(known, target)
    if problem:
        raise Invalid(f"The target {_shown(text)}: {problem}")
    sub = known.sub(target.sub) if target.sub else None
    return Target(target.schema, known.name, sub.name if sub else target.sub, target.type_value)


def _shape_problem(known: Attribute, target: Target) -> str | None:
    name, subs = known.name, [a.name for a in known.sub_attributes]
    if known.multi_valued and target.type_value is None:
        return f"'{name}' is multi-valued: select one, e.g. '{name}[type eq \"work\"].value'"
    if not known.multi_valued and target.type_value is not None:
        return f"'{name}' is single-valued and takes no [type eq ...] filter"
    if subs and target.sub is None:
        return f"'{name}' is complex: name a sub-attribute ({', '.join(subs)})"
    if not subs and target.sub is not None:
        return f"'{name}' has no sub-attributes"
    if target.sub is not None and known.sub(target.sub) is None:
        return f"'{name}' has no sub-attribute {_shown(target.sub)} ({', '.join(subs)})"
    return None


def checked_mapping(entries: Sequence[Mapping], entry: CatalogEntry) -> tuple[Mapping, ...]:
    """``entries`` when they make a mapping the engine can send to ``entry``'s applications.

    Otherwise :class:`Invalid` whose detail lists every problem (and ``errors`` one each).
    """
    problems = [p for i, m in enumerate(entries, 1) for p in _entry_problems(i, m, entry)]
    targets = [t for m in entries if (t := _parsed(m.target)) is not None]
    problems += _repeat_problems(targets) + _primary_problems(entries)
    if not any(t.key == ("", "username", "", "") for t in targets):
        problems.append("'userName' must be mapped: it identifies the user in the application")
    if not any(m.source == "state" for m in entries):
        problems.append(
            "'state' must be mapped to 'active': it is how users are deprovisioned and reactivated"
        )
    if problems:
        errors: list[dict[str, object]] = [{"detail": p} for p in problems]
        raise Invalid("The mapping is not valid: " + "; ".join(problems), errors=errors)
    return tuple(entries)


def _parsed(text: str) -> Target | None:
    try:
        return parse_target(text)
    except Invalid:
        return None


def _entry_problems(i: int, m: Mapping, entry: CatalogEntry) -> list[str]:
    problems: list[str] = []
    if m.source not in SOURCES:
        problems.append(f"entry {i}: unknown source {_shown(m.source)} ({', '.join(SOURCES)})")
    try:
        target = _parsed_path(m.target)
        if target.attr.casefold() in {n.casefold() for n in (*entry.never_sent, *NEVER_MAPPED)}:
            return [*problems, f"entry {i}: {_shown(m.target)} is never sent to an application"]
        target = _checked_shape(target, m.target)
    except Invalid as exc:
        return [*problems, f"entry {i}: {exc.detail}"]
    is_active = target.key == ("", "active", "", "")
    if (m.source == "state") != is_active:
        problems.append(f"entry {i}: 'state' is sent as 'active', and 'active' comes from 'state'")
    if m.primary and target.type_value is None:
        problems.append(f'entry {i}: only a typed target (emails[type eq "work"].value) is primary')
    return problems


def _repeat_problems(targets: list[Target]) -> list[str]:
    counts = Counter(t.key for t in targets)
    firsts = {t.key: t for t in reversed(targets)}
    return [f"'{firsts[k]}' is mapped {n} times" for k, n in counts.items() if n > 1]


def _primary_problems(entries: Sequence[Mapping]) -> list[str]:
    """At most one element of a multi-valued attribute is primary (RFC 7643 §2.4)."""
    typed = [(t, m) for m in entries if m.primary and (t := _parsed(m.target)) is not None]
    elements = {(t.attr.casefold(), (t.type_value or "").casefold()) for t, _ in typed}
    counts = Counter(attr for attr, _ in elements)
    return [f"only one element of '{attr}' can be primary" for attr, n in counts.items() if n > 1]


def mapping_from_json(data: object) -> tuple[Mapping, ...]:
    """Entries from ``[{"source", "target", "note"?, "primary"?}, ...]``; Invalid otherwise."""
    if not isinstance(data, list):
        raise Invalid("A mapping must be a JSON array of {source, target} objects")
    if len(data) > MAX_ENTRIES:
        raise Invalid(f"A mapping has at most {MAX_ENTRIES} entries (got {len(data)})")
    return tuple(_entry_from_json(i, item) for i, item in enumerate(data, 1))


def _entry_from_json(i: int, item: object) -> Mapping:
    if not isinstance(item, dict):
        raise Invalid(f"Mapping entry {i} must be an object with 'source' and 'target'")
    unknown = sorted(_shown(str(k)) for k in item if k not in _KEYS)
    if unknown:
        raise Invalid(f"Mapping entry {i} has unknown keys: {', '.join(unknown[:5])}")
    missing = [k for k in ("source", "target") if k not in item]
    if missing:
        raise Invalid(f"Mapping entry {i} lacks {' and '.join(missing)}")
    primary = item.get("primary", False)
    if not isinstance(primary, bool):
        raise Invalid(f"The 'primary' of mapping entry {i} must be true or false")
    return Mapping(
        source=checked_line(item["source"], f"source of mapping entry {i}", _MAX_SOURCE),
        target=checked_line(item["target"], f"target of mapping entry {i}", _MAX_TARGET),
        note=checked_line(item.get("note", ""), f"note of mapping entry {i}", _MAX_NOTE),
        primary=primary,
    )


def mapping_to_json(entries: Sequence[Mapping]) -> list[dict[str, Any]]:
    """The inverse of :func:`mapping_from_json`."""
    return [
        {"source": m.source, "target": m.target, "note": m.note, "primary": m.primary}
        for m in entries
    ]


def _json_string(text: str) -> str:
    """A SCIM filter string literal: JSON string rules (RFC 7644 §3.4.2.2)."""
    return json.dumps(text, ensure_ascii=False)


def _shown(text: str) -> str:
    return f"'{printable(text, 80)}'"
