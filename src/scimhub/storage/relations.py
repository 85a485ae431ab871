"""Side tables kept in step with resource documents: emails, group members, user groups."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, insert, select

from scimhub.scim.errors import InvalidValue

from .tables import emails, members, resources

Doc = dict[str, Any]
_GROUPS = resources.alias("g")  # built once: an alias per query costs ~1 ms


def sync_emails(conn: Connection, seq: int, tenant_id: str, doc: Doc, *, fresh: bool) -> None:
    """Mirror ``doc['emails']`` into the indexed emails table."""
    if not fresh:
        conn.execute(delete(emails).where(emails.c.resource_seq == seq))
    rows = [
        {
            "resource_seq": seq,
            "tenant_id": tenant_id,
            "value_ci": _checked_email(e["value"]).lower(),
            "type": e.get("type"),
            "primary": bool(e.get("primary", False)),
            "position": position,
        }
        for position, e in enumerate(doc.get("emails", ()))
        if isinstance(e, dict) and e.get("value")
    ]
    if rows:
        conn.execute(insert(emails), rows)


def _checked_email(value: Any) -> str:
    text = str(value)
    if len(text) > 512:
        raise InvalidValue("'emails.value' may be at most 512 characters long")
    return text


def load_members(conn: Connection, seq: int) -> list[Doc]:
    """The members of group ``seq``, in a stable order."""
    rows = conn.execute(
        select(members.c.member_id, members.c.member_type, members.c.display)
        .where(members.c.group_seq == seq)
        .order_by(members.c.member_id)
    )
    return [_member(r.member_id, r.member_type, r.display) for r in rows]


def _member(value: str, kind: str | None, display: str | None) -> Doc:
    out: Doc = {"value": value}
    if display:
        out["display"] = display
    if kind:
        out["type"] = kind
    return out


def set_members(
    conn: Connection, seq: int, tenant_id: str, wanted: list[Doc], *, fresh: bool
) -> set[str]:
    """Make the members of group ``seq`` equal ``wanted`` by inserting and deleting rows.

    Returns the ids of the members that joined or left.
    """
    wanted_ids = {str(m["value"]): m for m in wanted}
    current = set() if fresh else _current_ids(conn, seq)
    gone = current - wanted_ids.keys()
    if gone:
        conn.execute(
            delete(members).where(members.c.group_seq == seq, members.c.member_id.in_(gone))
        )
    added = [wanted_ids[i] for i in wanted_ids.keys() - current]
    if added:
        conn.execute(insert(members), _member_rows(conn, seq, tenant_id, added))
    return gone | {str(m["value"]) for m in added}


def _current_ids(conn: Connection, seq: int) -> set[str]:
    rows = conn.execute(select(members.c.member_id).where(members.c.group_seq == seq))
    return {r[0] for r in rows}


def _member_rows(conn: Connection, seq: int, tenant_id: str, added: list[Doc]) -> list[Doc]:
    found = _referenced(conn, tenant_id, [str(m["value"]) for m in added])
    rows = []
    for m in added:
        ref = found.get(str(m["value"]))
        if ref is None:
            raise InvalidValue(f"Member '{m['value']}' does not exist")
        kind, display = ref
        rows.append(
            {
                "group_seq": seq,
                "member_id": str(m["value"]),
                "tenant_id": tenant_id,
                "member_type": kind,
                "display": m.get("display") or display,
            }
        )
    return rows


def _referenced(conn: Connection, tenant_id: str, ids: list[str]) -> dict[str, tuple[str, Any]]:
    out: dict[str, tuple[str, Any]] = {}
    for start in range(0, len(ids), 500):
        rows = conn.execute(
            select(resources.c.id, resources.c.resource_type, resources.c.doc).where(
                resources.c.tenant_id == tenant_id, resources.c.id.in_(ids[start : start + 500])
            )
        )
        for r in rows:
            out[r.id] = (r.resource_type, r.doc.get("displayName") or r.doc.get("userName"))
    return out


def load_groups(conn: Connection, tenant_id: str, ids: list[str]) -> dict[str, list[Doc]]:
    """The ``groups`` attribute (RFC 7643 §4.1.2) of each user in ``ids``."""
    if not ids:
        return {}
    group = _GROUPS
    rows = conn.execute(
        select(members.c.member_id, group.c.id, group.c.doc["displayName"].as_string())
        .join(group, group.c.seq == members.c.group_seq)
        .where(members.c.tenant_id == tenant_id, members.c.member_id.in_(ids))
        .order_by(group.c.id)
    )
    out: dict[str, list[Doc]] = {}
    for member_id, gid, display in rows:
        out.setdefault(member_id, []).append({"value": gid, "display": display, "type": "direct"})
    return out


def forget_member(conn: Connection, tenant_id: str, member_id: str) -> None:
    """Remove a deleted resource from every group it belonged to."""
    conn.execute(
        delete(members).where(members.c.tenant_id == tenant_id, members.c.member_id == member_id)
    )


def load_members_many(conn: Connection, seqs: list[int]) -> dict[int, list[Doc]]:
    """Members of several groups in one query (for list pages)."""
    if not seqs:
        return {}
    rows = conn.execute(
        select(members.c.group_seq, members.c.member_id, members.c.member_type, members.c.display)
        .where(members.c.group_seq.in_(seqs))
        .order_by(members.c.group_seq, members.c.member_id)
    )
    out: dict[int, list[Doc]] = {}
    for r in rows:
        out.setdefault(r.group_seq, []).append(_member(r.member_id, r.member_type, r.display))
    return out
