"""Attribute paths (RFC 7644 §3.10) and their resolution against a resource type."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .definitions import COMMON_ATTRIBUTES
from .errors import InvalidPath, ScimError
from .schema import Attribute, ResourceType, Schema

_ATTR_RE = re.compile(r"^[A-Za-z$][\w$-]*$")


@dataclass(frozen=True, slots=True)
class AttrPath:
    """``[urn:]attr[.subAttr]``. ``attr`` is empty when the path names a whole extension."""

    urn: str | None
    attr: str
    sub_attr: str | None = None

    def __str__(self) -> str:
        text = self.attr + (f".{self.sub_attr}" if self.sub_attr else "")
        if self.urn:
            return f"{self.urn}:{text}" if text else self.urn
        return text


def parse_attr_path(text: str, error: type[ScimError] = InvalidPath) -> AttrPath:
    """Parse ``attrPath = [URI ":"] ATTRNAME *1subAttr`` (RFC 7644 §3.10)."""
    text = text.strip()
    urn: str | None = None
    rest = text
    if text[:4].lower() == "urn:":
        urn, _, rest = text.rpartition(":")
        if "." in rest and not _ATTR_RE.match(rest.split(".", 1)[0]):
            raise error(f"Invalid attribute path '{text}'")
    head, dot, sub = rest.partition(".")
    if not _ATTR_RE.match(head) or (dot and not _ATTR_RE.match(sub)):
        raise error(f"Invalid attribute path '{text}'")
    return AttrPath(urn, head, sub or None)


@dataclass(frozen=True, slots=True)
class Resolved:
    """A path resolved to its schema and attribute definitions (canonical names)."""

    schema: Schema
    attribute: Attribute | None
    sub: Attribute | None = None
    extension: bool = False

    @property
    def container(self) -> str | None:
        """The document key holding the attribute: the extension URN, or None (top level)."""
        return self.schema.id if self.extension else None

    @property
    def target(self) -> Attribute | None:
        return self.sub or self.attribute


def resolve(rtype: ResourceType, path: AttrPath, error: type[ScimError] = InvalidPath) -> Resolved:
    """Resolve ``path`` against ``rtype``: core schema, extensions, then common attributes.

    A bare extension URN resolves to the whole extension (``attribute`` is None).
    """
    if path.urn is not None and path.sub_attr is None:
        whole = rtype.extension(f"{path.urn}:{path.attr}")
        if whole is not None:
            return Resolved(whole, None, None, extension=True)
    schema = rtype.schema_for(path.urn)
    if schema is None:
        raise error(f"Unknown schema '{path.urn}'")
    extension = schema is not rtype.schema
    attribute = schema.attr(path.attr)
    if attribute is None and not extension:
        attribute = COMMON_ATTRIBUTES.attr(path.attr)
        schema = COMMON_ATTRIBUTES if attribute else schema
    if attribute is None:
        raise error(f"Unknown attribute '{path}'")
    sub = None
    if path.sub_attr is not None:
        sub = attribute.sub(path.sub_attr)
        if sub is None:
            raise error(f"Unknown sub-attribute '{path}'")
    return Resolved(schema, attribute, sub, extension=extension)
