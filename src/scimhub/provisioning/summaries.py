"""Request summaries for the provisioning log: what was asked, never a token or a body."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

__all__ = ["change_note", "create_summary", "patch_summary", "user_path"]

_SHOWN = 60  #: characters of a value shown in a change note


def user_path(remote_id: str) -> str:
    return f"/Users/{quote(remote_id, safe='')}"


def create_summary(resource: Mapping[str, Any]) -> str:
    names = [_attributes_of(k, v) for k, v in resource.items() if k != "schemas"]
    return f"POST /Users ({', '.join(names)})"


def _attributes_of(key: str, value: Any) -> str:
    """A core attribute by name; an extension by the attributes it carries."""
    if key.startswith("urn:") and isinstance(value, Mapping):
        return ", ".join(str(name) for name in value)
    return key


def patch_summary(remote_id: str, operations: list[dict[str, Any]]) -> str:
    parts = [f"{op['op']} {_short(str(op.get('path', '')))}".strip() for op in operations]
    return f"PATCH {user_path(remote_id)}: {', '.join(parts)}"


def change_note(diffs: Mapping[str, tuple[Any, Any]]) -> str:
    """``title: 'Engineer' → 'Lead'; active: false → true`` — the plan a dry run shows."""
    return "; ".join(f"{_short(k)}: {_shown(a)} → {_shown(b)}" for k, (a, b) in diffs.items())


def _short(path: str) -> str:
    """An extension attribute by its last component (the URN is long and always the same)."""
    if path.startswith("urn:"):
        return path.rsplit(":", 1)[-1]
    return path


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return repr(text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…")
