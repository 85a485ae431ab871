"""PATCH rules (RFC 7644 §3.5.2): PatchOp messages as clients send them, in strict form.

- the ``schemas`` PatchOp URN may be missing, and member names (``Operations``,
  ``op``, ``path``, ``value``) and ``op`` values may come in any case;
- a path may name an extension attribute without its URN (``manager``);
- a path-less value may have dotted and URN-qualified keys (see :mod:`.names`);
- the value is coerced to the path's attribute (see :mod:`.values`); a reference
  cleared with ``""`` becomes a ``remove``;
- ``remove`` of a multi-valued attribute with an array of ids (``[{"value": id}]``)
  removes just those values: one ``attr[value eq "id"]`` remove per id.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from scimhub.scim.errors import ScimError
from scimhub.scim.filter import parse_patch_path
from scimhub.scim.messages import PATCH_OP
from scimhub.scim.path import resolve
from scimhub.scim.schema import Attribute, ResourceType

from .names import expand_keys, qualify_path
from .values import coerce, coerce_element

Doc = dict[str, Any]
_MEMBERS = ("op", "path", "value")


def patch_body(body: Any, rtype: ResourceType) -> Any:
    """Normalise a PATCH body (RFC 7644 §3.5.2); anything not an object is left as is."""
    if not isinstance(body, dict):
        return body
    out = copy.deepcopy(body)
    if not any(k.lower() == "schemas" for k in out):
        out["schemas"] = [PATCH_OP]
    ops = _operations(out)
    if isinstance(ops, list):
        out["Operations"] = [o for op in ops for o in _operation(op, rtype)]
    return out


def _operations(body: Doc) -> Any:
    for key in list(body):
        if key.lower() == "operations" and key != "Operations":
            body["Operations"] = body.pop(key)
    return body.get("Operations")


def _operation(op: Any, rtype: ResourceType) -> list[Any]:
    if not isinstance(op, dict):
        return [op]
    op = {k.lower() if k.lower() in _MEMBERS else k: v for k, v in op.items()}
    if isinstance(op.get("op"), str):
        op["op"] = op["op"].lower()
    path = op.get("path")
    if isinstance(path, str) and path.strip():
        op["path"] = qualify_path(path.strip(), rtype)
        return _with_path(op, rtype)
    if isinstance(op.get("value"), dict):
        op["value"] = expand_keys(op["value"], rtype)
    return [op]


def _with_path(op: Doc, rtype: ResourceType) -> list[Doc]:
    path = op["path"]
    attribute, element = _target(path, rtype)
    if attribute is None or "value" not in op:
        return [op]
    if op.get("op") == "remove" and attribute.multi_valued and not element:
        return _remove_values(op, path)
    sent = op["value"]
    op["value"] = coerce_element(attribute, sent) if element else coerce(attribute, sent)
    if op["value"] is None and sent is not None and op.get("op") in ("add", "replace"):
        return [{"op": "remove", "path": path}]
    return [op]


def _target(path: str, rtype: ResourceType) -> tuple[Attribute | None, bool]:
    """The attribute ``path`` writes, and whether it is one element picked by a value filter."""
    try:
        parsed = parse_patch_path(path)
        resolved = resolve(rtype, parsed.attr)
    except ScimError:
        return None, False  # the strict parser reports the bad path precisely
    attribute = resolved.attribute
    if attribute is not None and parsed.sub_attr is not None:
        return attribute.sub(parsed.sub_attr), False
    return resolved.sub or attribute, parsed.value_filter is not None and resolved.sub is None


def _remove_values(op: Doc, path: str) -> list[Doc]:
    """One filtered remove per value, when each value is just an id (``{"value": id}``)."""
    values = op["value"] if isinstance(op["value"], list) else [op["value"]]
    idents = [_identity(v) for v in values]
    if not values or any(i is None for i in idents):
        return [op]  # values with more than an id: the core matches them whole
    return [{"op": "remove", "path": f"{path}[value eq {json.dumps(i)}]"} for i in idents]


def _identity(value: Any) -> str | None:
    if isinstance(value, dict):
        given = {k.lower(): v for k, v in value.items() if v is not None}
        value = given.get("value") if given.keys() == {"value"} else None
    return value if isinstance(value, str) and value else None
