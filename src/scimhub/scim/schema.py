"""Schema and resource-type model (RFC 7643 §2, §6, §7).

Attributes are looked up case-insensitively (RFC 7643 §2.1); the canonical
spelling is the one declared here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"


@dataclass(frozen=True, slots=True)
class Attribute:
    """An attribute definition (RFC 7643 §7)."""

    name: str
    type: str = "string"
    multi_valued: bool = False
    required: bool = False
    case_exact: bool = False
    mutability: str = "readWrite"
    returned: str = "default"
    uniqueness: str = "none"
    description: str = ""
    sub_attributes: tuple[Attribute, ...] = ()
    canonical_values: tuple[str, ...] = ()
    reference_types: tuple[str, ...] = ()
    _index: dict[str, Attribute] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._index.update({a.name.lower(): a for a in self.sub_attributes})

    def sub(self, name: str) -> Attribute | None:
        """Return the sub-attribute called ``name``, ignoring case."""
        return self._index.get(name.lower())

    @property
    def is_complex(self) -> bool:
        return self.type == "complex"

    def to_dict(self) -> dict[str, Any]:
        """Render as in a /Schemas response (RFC 7643 §7)."""
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "multiValued": self.multi_valued,
            "description": self.description,
            "required": self.required,
            "caseExact": self.case_exact,
            "mutability": self.mutability,
            "returned": self.returned,
            "uniqueness": self.uniqueness,
        }
        if self.sub_attributes:
            out["subAttributes"] = [a.to_dict() for a in self.sub_attributes]
        if self.canonical_values:
            out["canonicalValues"] = list(self.canonical_values)
        if self.reference_types:
            out["referenceTypes"] = list(self.reference_types)
        return out


@dataclass(frozen=True, slots=True)
class Schema:
    """A schema definition (RFC 7643 §7)."""

    id: str
    name: str
    description: str
    attributes: tuple[Attribute, ...]
    _index: dict[str, Attribute] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._index.update({a.name.lower(): a for a in self.attributes})

    def attr(self, name: str) -> Attribute | None:
        """Return the top-level attribute called ``name``, ignoring case."""
        return self._index.get(name.lower())

    def to_dict(self, location: str) -> dict[str, Any]:
        return {
            "schemas": [SCHEMA_SCHEMA],
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": [a.to_dict() for a in self.attributes],
            "meta": {"resourceType": "Schema", "location": location},
        }


@dataclass(frozen=True, slots=True)
class Extension:
    """A schema extension of a resource type (RFC 7643 §6)."""

    schema: Schema
    required: bool = False


@dataclass(frozen=True, slots=True)
class ResourceType:
    """A resource type (RFC 7643 §6): its core schema and its extensions."""

    name: str
    endpoint: str
    description: str
    schema: Schema
    extensions: tuple[Extension, ...] = ()
    _ext: dict[str, Schema] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._ext.update({e.schema.id.lower(): e.schema for e in self.extensions})

    def extension(self, urn: str) -> Schema | None:
        """Return the extension schema whose URN is ``urn``, ignoring case."""
        return self._ext.get(urn.lower())

    def schema_for(self, urn: str | None) -> Schema | None:
        """The core schema for no URN or the core URN, else the extension."""
        if urn is None or urn.lower() == self.schema.id.lower():
            return self.schema
        return self.extension(urn)

    @property
    def schema_ids(self) -> tuple[str, ...]:
        return (self.schema.id, *(e.schema.id for e in self.extensions))

    def to_dict(self, location: str) -> dict[str, Any]:
        return {
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": self.name,
            "name": self.name,
            "endpoint": self.endpoint,
            "description": self.description,
            "schema": self.schema.id,
            "schemaExtensions": [
                {"schema": e.schema.id, "required": e.required} for e in self.extensions
            ],
            "meta": {"resourceType": "ResourceType", "location": location},
        }
