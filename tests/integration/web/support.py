"""What the web UI's tests share (HTTP and browser): admins, signing in, session rows."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlalchemy import Engine, update

from scimhub.hub import Hub
from scimhub.storage.hub_tables import admin_sessions
from scimhub.storage.resources import now_utc


@dataclass(frozen=True)
class Admin:
    id: str
    username: str
    password: str


def make_admin(hub: Hub) -> Admin:
    """A new admin account that no other test uses (its failures are its own)."""
    username = f"admin-{uuid.uuid4().hex[:10]}"
    password = f"pw-{uuid.uuid4().hex}"
    return Admin(hub.admins.create(username, password).id, username, password)


def hidden_csrf(html: str) -> str:
    """The ``csrf_token`` hidden input of the first form in ``html``."""
    found = re.search(r'name="csrf_token" value="([^"]*)"', html)
    assert found, html
    return found.group(1)


def sign_in(client: httpx.Client, admin: Admin, password: str | None = None) -> httpx.Response:
    """Fetch the sign-in form (its double-submit cookie) and post it."""
    token = hidden_csrf(client.get("/ui/sign-in").text)
    form = {"username": admin.username, "password": password or admin.password}
    return client.post("/ui/sign-in", data=form | {"csrf_token": token})


def age_sessions(engine: Engine, admin: Admin, **moved_back: timedelta) -> None:
    """Move the admin's sessions' timestamps (``last_seen=``, ``expires=``) into the past."""
    now = now_utc()
    values = {column: now - delta for column, delta in moved_back.items()}
    with engine.begin() as conn:
        conn.execute(
            update(admin_sessions).where(admin_sessions.c.admin_id == admin.id).values(**values)
        )
