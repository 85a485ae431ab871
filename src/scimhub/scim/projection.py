"""Attribute projection for responses (RFC 7644 §3.4.2.5, §3.9; RFC 7643 §7 "returned").

Works on stored canonical documents without re-validating them, so a read costs
a dictionary walk, not a model round trip.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import InvalidValue
from .path import AttrPath, Resolved, parse_attr_path, resolve
from .schema import ResourceType

Doc = dict[str, Any]
ALWAYS = frozenset({"id", "schemas"})


@dataclass(frozen=True, slots=True)
class Projection:
    """What to return: ``include`` (attributes=) or ``exclude`` (excludedAttributes=)."""

    include: tuple[Resolved, ...] = ()
    exclude: tuple[Resolved, ...] = ()

    @property
    def is_identity(self) -> bool:
        return not self.include and not self.exclude

    def wants(self, container: str | None, name: str) -> bool:
        """Whether top-level attribute ``name`` (in ``container``) may appear at all."""
        if self.include:
            return any(_same_top(r, container, name) for r in self.include)
        return not any(_same_top(r, container, name) and r.sub is None for r in self.exclude)


def _same_top(r: Resolved, container: str | None, name: str) -> bool:
    if r.container != container:
        return False
    return r.attribute is None or r.attribute.name == name


def parse_projection(
    rtype: ResourceType, attributes: str | list[str] | None, excluded: str | list[str] | None
) -> Projection:
    """Parse the ``attributes`` / ``excludedAttributes`` parameters."""
    return Projection(_paths(rtype, attributes), _paths(rtype, excluded))


def _paths(rtype: ResourceType, value: str | list[str] | None) -> tuple[Resolved, ...]:
    if not value:
        return ()
    items = value if isinstance(value, list) else value.split(",")
    out = []
    for item in items:
        if not isinstance(item, str):
            raise InvalidValue("Attribute names must be strings")
        if item.strip() and item.strip().lower() != "schemas":  # always returned anyway
            out.append(resolve(rtype, _parse(item), InvalidValue))
    return tuple(out)


def _parse(item: str) -> AttrPath:
    return parse_attr_path(item, InvalidValue)


def project(doc: Doc, projection: Projection) -> Doc:
    """Return ``doc`` reduced per ``projection``; ``doc`` itself is not modified."""
    if projection.is_identity:
        return doc
    out: Doc = {}
    for key, value in doc.items():
        if key in ALWAYS:
            out[key] = value
        elif key.lower().startswith("urn:") and isinstance(value, dict):
            _put(out, key, _project_object(value, key, projection))
        elif projection.wants(None, key):
            _put(out, key, _project_subs(value, None, key, projection))
    return out


def _put(out: Doc, key: str, value: Any) -> None:
    if value not in (None, {}, []):
        out[key] = value


def _project_object(value: Doc, container: str, projection: Projection) -> Doc:
    out: Doc = {}
    for key, item in value.items():
        if projection.wants(container, key):
            _put(out, key, _project_subs(item, container, key, projection))
    return out


def _project_subs(value: Any, container: str | None, name: str, projection: Projection) -> Any:
    """Apply sub-attribute selections (``name.givenName``) to a complex value."""
    if projection.include:
        subs = _sub_names(projection.include, container, name)
        if subs is None:
            return value
        return _keep(value, lambda k: k.lower() in subs)
    subs = _sub_names(projection.exclude, container, name)
    if not subs:
        return value
    return _keep(value, lambda k: k.lower() not in subs)


def _sub_names(paths: tuple[Resolved, ...], container: str | None, name: str) -> set[str] | None:
    """Sub-attribute names selected for ``name``; None when the whole attribute is selected."""
    subs: set[str] = set()
    for r in paths:
        if r.container == container and r.attribute is not None and r.attribute.name == name:
            if r.sub is None:
                return None
            subs.add(r.sub.name.lower())
    return subs


def _keep(value: Any, keep: Any) -> Any:
    if isinstance(value, list):
        return [v for v in (_keep(item, keep) for item in value) if v]
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if keep(k)}
    return value
