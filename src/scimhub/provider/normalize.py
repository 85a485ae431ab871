"""Tolerance for real IdP clients, in one place.

Microsoft Entra ID, Okta and JumpCloud send requests that bend RFC 7644. Each
rule below rewrites such a request into its strict RFC form before the core
sees it; the handlers and the protocol core never branch on the client.
The rules, and the clients known to need them (tests/interop/ replays each):

- ``op`` in any case ("Replace", "Add")                            Entra ID
- booleans sent as strings ("True", "false")                       Entra ID
- no-path add/replace whose value has dotted or URN-qualified keys
  ("name.givenName", "urn:...:enterprise:2.0:User:department")     Entra ID
- remove of ``members`` with a value array = remove those members  Entra ID
- a single object where an array is expected (emails: {...})       JumpCloud, Okta
- ``null`` and read-only attributes (id, meta, groups) in bodies   Okta, JumpCloud
- a create/replace body without ``schemas``                        JumpCloud
- PATCH without the PatchOp schema URN                             Okta (older clients)
"""

from __future__ import annotations

import copy
from typing import Any

from scimhub.scim.messages import PATCH_OP
from scimhub.scim.path import parse_attr_path, resolve
from scimhub.scim.schema import Attribute, ResourceType

Doc = dict[str, Any]
_BOOL_WORDS = {"true": True, "false": False}


def resource_body(body: Any, rtype: ResourceType) -> Any:
    """Normalise a POST/PUT body; leaves anything not a JSON object to strict validation."""
    if not isinstance(body, dict):
        return body
    out = dict(body)
    if "schemas" not in out:
        out["schemas"] = [rtype.schema.id, *(k for k in out if rtype.extension(k))]
    for key, value in list(out.items()):
        ext = rtype.extension(key)
        if ext is not None and isinstance(value, dict):
            out[key] = {k: _coerce(ext.attr(k), v) for k, v in value.items()}
        else:
            out[key] = _coerce(rtype.schema.attr(key), value)
    return out


def patch_body(body: Any, rtype: ResourceType) -> Any:
    """Normalise a PATCH body (RFC 7644 §3.5.2)."""
    if not isinstance(body, dict):
        return body
    out = copy.deepcopy(body)
    if "schemas" not in out:
        out["schemas"] = [PATCH_OP]
    ops = _operations(out)
    if isinstance(ops, list):
        out["Operations"] = [o for op in ops for o in _op(op, rtype)]
    return out


def _operations(body: Doc) -> Any:
    for key in list(body):
        if key.lower() == "operations" and key != "Operations":
            body["Operations"] = body.pop(key)
    return body.get("Operations")


def _op(op: Any, rtype: ResourceType) -> list[Any]:
    if not isinstance(op, dict):
        return [op]
    op = {k.lower() if k.lower() in ("op", "path", "value") else k: v for k, v in op.items()}
    if isinstance(op.get("op"), str):
        op["op"] = op["op"].lower()
    path = op.get("path")
    if isinstance(path, str) and path.strip():
        return _with_path(op, path.strip(), rtype)
    if isinstance(op.get("value"), dict):
        op["value"] = _expand_dotted(op["value"], rtype)
    return [op]


def _with_path(op: Doc, path: str, rtype: ResourceType) -> list[Any]:
    attribute = _attribute_of(path, rtype)
    if op.get("op") == "remove" and attribute is not None and attribute.multi_valued:
        values = op.get("value")
        if isinstance(values, list) and values and "[" not in path:
            return [_remove_one(path, v) for v in values]
    if "value" in op and attribute is not None and "[" not in path:
        op["value"] = _coerce_path_value(path, attribute, op["value"])
    return [op]


def _remove_one(path: str, value: Any) -> Doc:
    ident = value.get("value") if isinstance(value, dict) else value
    text = str(ident).replace("\\", "\\\\").replace('"', '\\"')
    return {"op": "remove", "path": f'{path}[value eq "{text}"]'}


def _attribute_of(path: str, rtype: ResourceType) -> Attribute | None:
    try:
        resolved = resolve(rtype, parse_attr_path(path.split("[", 1)[0]))
    except Exception:
        return None  # the strict parser reports the bad path precisely
    return resolved.attribute


def _coerce_path_value(path: str, attribute: Attribute, value: Any) -> Any:
    sub_name = path.split(".", 1)[1] if "." in path and not path.lower().startswith("urn:") else None
    target = attribute.sub(sub_name) if sub_name else attribute
    return _coerce(target, value)


def _expand_dotted(value: Doc, rtype: ResourceType) -> Doc:
    """{"name.givenName": x, "urn:..:User:department": y} -> nested objects."""
    out: Doc = {}
    for key, item in value.items():
        ext_key, attr_key = _split_key(key, rtype)
        target = out.setdefault(ext_key, {}) if ext_key else out
        schema = rtype.extension(ext_key) if ext_key else rtype.schema
        head, _, sub = attr_key.partition(".")
        attribute = schema.attr(head) if schema and head else None
        if sub:
            parent = target.setdefault(head, {})
            if isinstance(parent, dict):
                parent[sub] = _coerce(attribute.sub(sub) if attribute else None, item)
        elif ext_key and not attr_key:
            target.update(item if isinstance(item, dict) else {})
        else:
            target[attr_key] = _coerce(attribute, item)
    return out


def _split_key(key: str, rtype: ResourceType) -> tuple[str | None, str]:
    if rtype.extension(key):
        return key, ""
    if key.lower().startswith("urn:"):
        urn, _, rest = key.rpartition(":")
        if rtype.extension(urn):
            return rtype.extension(urn).id, rest  # type: ignore[union-attr]
    return None, key


def _coerce(attribute: Attribute | None, value: Any) -> Any:
    """Booleans sent as strings, single objects for arrays; recursively for sub-attributes."""
    if attribute is None:
        return value
    if attribute.multi_valued and isinstance(value, dict):
        value = [value]
    if isinstance(value, list):
        return [_coerce_single(attribute, v) for v in value]
    return _coerce_single(attribute, value)


def _coerce_single(attribute: Attribute, value: Any) -> Any:
    if attribute.type == "boolean" and isinstance(value, str):
        return _BOOL_WORDS.get(value.strip().lower(), value)
    if attribute.is_complex and isinstance(value, dict):
        return {k: _coerce(attribute.sub(k), v) for k, v in value.items()}
    return value
