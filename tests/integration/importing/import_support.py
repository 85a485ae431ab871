"""The import's test bench: a hub with Profit.co activated against the project's own
provider, whose tenant is seeded with users (some already in the directory), and a real
SMTP server (aiosmtpd) in the test process."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from typing import Any

import httpx
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from conftest import LiveServer, Tenant, free_port
from integration.provisioning.engine_support import ENTERPRISE, Bench, bench_for
from scimhub.storage.hub_tables import directory_users
from scimhub.storage.transactions import read_tx

from .odd_target import TOKEN, OddTarget, Quirks

SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"


@dataclass
class Inbox:
    """aiosmtpd's handler: every message received, with its envelope."""

    messages: list[tuple[list[str], Message]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            (list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default))
        )
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    host: str
    port: int
    inbox: Inbox


def smtp_server() -> Iterator[SmtpServer]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, inbox)
    finally:
        controller.stop()


def mail_settings(smtp: SmtpServer) -> dict[str, Any]:
    """The hub's SMTP settings for the in-process server (recipients: it-admins@...)."""
    return {
        "smtp_host": smtp.host,
        "smtp_port": smtp.port,
        "smtp_security": "none",
        "smtp_from": "scimhub@example.com",
        "smtp_to": "it-admins@example.com",
    }


MakeOdd = Callable[..., tuple[Bench, OddTarget]]


class OddBenches:
    """``make(records, **quirks)``: a hub whose generic SCIM application is an OddTarget
    served over real HTTP (pages of 50, summaries to the in-process SMTP server)."""

    def __init__(self, backend: str, tmp_path: Any, smtp: SmtpServer) -> None:
        self.backend, self.tmp_path = backend, tmp_path
        self.settings = mail_settings(smtp) | {"import_page_size": 50}
        self.stack = ExitStack()

    def make(self, records: list[dict[str, Any]], **quirks: Any) -> tuple[Bench, OddTarget]:
        target = OddTarget(records)
        server = self.stack.enter_context(LiveServer(target.app()))
        tenant = Tenant("odd", TOKEN, server.url, httpx.Client(base_url=server.url))
        made = self.stack.enter_context(
            bench_for(self.backend, self.tmp_path, tenant, server.url, "generic", **self.settings)
        )
        target.quirks = Quirks(**quirks)
        return made, target

    def close(self) -> None:
        self.stack.close()


def directory_count(s: Bench) -> int:
    with read_tx(s.hub.engine) as conn:
        return conn.execute(select(func.count()).select_from(directory_users)).scalar_one()


def remote_user(n: int, stem: str, **extra: Any) -> dict[str, Any]:
    name = f"{stem}{n:04d}@example.com"
    return {
        "schemas": [SCHEMA, ENTERPRISE],
        "userName": name,
        "name": {"givenName": f"Given{n}", "familyName": f"Family{n}"},
        "emails": [{"value": name, "type": "work", "primary": True}],
        "title": f"Title {n}",
        ENTERPRISE: {"department": f"Dept {n % 7}"},
        "active": True,
    } | extra


def seed(scenario: Bench, count: int, stem: str | None = None) -> list[dict[str, Any]]:
    """``count`` users created in the provider (directly, not through the hub)."""
    stem = stem or f"r{uuid.uuid4().hex[:6]}-"
    made = []
    for n in range(count):
        answer = scenario.target.client.post("/Users", json=remote_user(n, stem))
        answer.raise_for_status()
        made.append(answer.json())
    return made


def put_in_directory(scenario: Bench, remotes: list[dict[str, Any]]) -> None:
    """The same users created in the directory (so they are Imported)."""
    for r in remotes:
        scenario.hub.users.add(username=r["userName"], email=r["userName"])
