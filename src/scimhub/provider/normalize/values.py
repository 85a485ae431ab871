"""Value rules: one attribute's value, as a client sent it, in the shape its schema declares.

The rewrites only touch values strict validation would reject, so a value that is
already valid passes through unchanged.
"""

from __future__ import annotations

from typing import Any

from scimhub.scim.schema import Attribute

_BOOL_WORDS = {"true": True, "false": False}


def coerce(attribute: Attribute | None, value: Any) -> Any:
    """``value`` for ``attribute``; a multi-valued attribute's single value becomes an array."""
    if attribute is None:
        return value
    if attribute.multi_valued and isinstance(value, dict):
        value = [value]
    if attribute.multi_valued and isinstance(value, list):
        return [coerce_element(attribute, v) for v in value]
    return coerce_element(attribute, value)


def coerce_element(attribute: Attribute, value: Any) -> Any:
    """One value (or one element of a multi-valued attribute), sub-attributes included.

    - ``"True"``/``"false"`` (any case) for a boolean becomes the boolean;
    - a bare string for a single-valued reference object (one with ``value`` and
      ``$ref``, such as ``manager``) becomes ``{"value": ...}``, and an empty one
      (``""``, ``{"value": ""}``) becomes null.
    """
    if attribute.type == "boolean" and isinstance(value, str):
        return _BOOL_WORDS.get(value.strip().lower(), value)
    if _is_reference(attribute) and isinstance(value, str):
        return {"value": value} if value else None
    if attribute.is_complex and isinstance(value, dict):
        out = {k: coerce(attribute.sub(k), v) for k, v in value.items()}
        return None if _is_reference(attribute) and _empty_reference(out) else out
    return value


def _is_reference(attribute: Attribute) -> bool:
    """A single-valued object pointing at another resource: ``value`` plus ``$ref``."""
    has_subs = attribute.sub("value") is not None and attribute.sub("$ref") is not None
    return attribute.is_complex and not attribute.multi_valued and has_subs


def _empty_reference(value: dict[str, Any]) -> bool:
    """``{"value": ""}``, any other member null or empty."""
    names = {k.lower() for k in value}
    return "value" in names and not any(v not in (None, "") for v in value.values())


def carries_data(value: Any) -> bool:
    """RFC 7643 §2.5: null, ``[]``, ``{}`` (and here ``""``) carry no data."""
    return value not in (None, "", [], {})
