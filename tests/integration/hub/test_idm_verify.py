"""Activate verifies the connection first: real HTTP on loopback, and nothing is created.

The project's own provider plays a well-behaved target (generic and Profit.co profiles); small
threaded servers on free loopback ports play the misbehaving ones.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import hashlib
import json
import logging
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import idna
import pytest

from conftest import free_port, make_tenant
from integration.tls_support import self_signed_certificate
from scimhub.applications.verify import (
    MAX_ANSWER_BYTES,
    Capabilities,
    Outcome,
    Verification,
    verify_connection,
)
from scimhub.problems import Invalid

TOKEN = "tok-DO-NOT-LEAK-7f3a9c2e41b84d0f"
#: A long token (as some applications issue), so that a cut can fall inside it.
LONG_TOKEN = "tok-" + "".join(hashlib.sha256(bytes([i])).hexdigest() for i in range(7))
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
SPC = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PROFITCO_ROOT = "/app/rest/platform/auth/scim/v2"
ROOT = "/scim/v2"


# --- fake targets ------------------------------------------------------------------------------


@dataclass
class Canned:
    """One canned answer; ``dribble`` sends the body a byte at a time, that many seconds apart."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/scim+json"
    headers: dict[str, str] = field(default_factory=dict)
    dribble: float = 0.0


def scim(doc: Any, status: int = 200, **kw: Any) -> Canned:
    return Canned(status, json.dumps(doc).encode(), **kw)


def error(status: int, detail: str, **kw: Any) -> Canned:
    return scim({"schemas": [ERROR], "status": str(status), "detail": detail}, status, **kw)


ONE_USER = scim(
    {
        "schemas": [LIST],
        "totalResults": 1,
        "startIndex": 1,
        "itemsPerPage": 1,
        "Resources": [{"schemas": [USER], "id": "1", "userName": "a@example.com"}],
    }
)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self._answer()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _answer(self) -> None:
        target: FakeTarget = self.server.target  # type: ignore[attr-defined]
        target.requests.append((self.command, self.path, dict(self.headers)))
        canned = target.routes.get(self.path.split("?")[0], Canned(404, b"no", "text/plain"))
        self.send_response(canned.status)
        self.send_header("Content-Type", canned.content_type)
        self.send_header("Content-Length", str(len(canned.body)))
        for name, value in canned.headers.items():
            self.send_header(name, value)
        self.end_headers()
        # The client may cut the answer short, as it should.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._write(canned)

    def _write(self, canned: Canned) -> None:
        if not canned.dribble:
            self.wfile.write(canned.body)
            return
        for i in range(len(canned.body)):
            self.wfile.write(canned.body[i : i + 1])
            self.wfile.flush()
            time.sleep(canned.dribble)

    def log_message(self, *args: Any) -> None:
        pass


class FakeTarget:
    """A threaded HTTP(S) server on a free loopback port answering canned responses by path."""

    def __init__(self, routes: dict[str, Canned], tls: ssl.SSLContext | None = None) -> None:
        self.routes = routes
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.target = self  # type: ignore[attr-defined]
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.scheme = "https" if tls else "http"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server.server_address[1]}{ROOT}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def fake() -> Iterator[Callable[..., FakeTarget]]:
    """Start fake targets: ``fake({"/scim/v2/Users": Canned(...)})``; all stop after the test."""
    started: list[FakeTarget] = []

    def start(routes: dict[str, Canned], tls: ssl.SSLContext | None = None) -> FakeTarget:
        started.append(FakeTarget(routes, tls))
        return started[-1]

    yield start
    for target in started:
        target.close()


def users(canned: Canned, **more: Canned) -> dict[str, Canned]:
    """Routes with ``canned`` at /Users and ``more`` at the other endpoints."""
    return {f"{ROOT}/Users": canned, **{f"{ROOT}/{k}": v for k, v in more.items()}}


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A TCP server that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.05)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    for conn in [*held, listener]:
        conn.close()


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, made with ``cryptography``."""
    return self_signed_certificate(tmp_path_factory.mktemp("tls"), "scimhub test target")


@pytest.fixture
def tls_server(self_signed: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*self_signed)
    return context


def assert_no_token(verification: Verification, caplog: pytest.LogCaptureFixture) -> None:
    assert TOKEN not in repr(verification)
    assert TOKEN not in json.dumps(verification.as_dict())
    assert TOKEN not in caplog.text


def assert_no_fragment(token: str, *texts: str) -> None:
    """No run of 8 characters of ``token``, in any case, is in ``texts`` (so no longer run)."""
    for text in texts:
        folded = text.lower()
        leaks = {
            token[i : i + 8] for i in range(len(token) - 7) if token[i : i + 8].lower() in folded
        }
        assert not leaks, f"{sorted(leaks)[:3]} leaked in {text!r}"


def assert_no_piece(v: Verification, token: str) -> None:
    assert_no_fragment(token, v.message, json.dumps(v.as_dict()), repr(v))


def mocked(answer: httpx.Response | BaseException, token: str = TOKEN) -> Verification:
    """Verify against an in-process target answering ``answer`` (or raising it) to every GET."""

    def handle(request: httpx.Request) -> httpx.Response:
        if isinstance(answer, BaseException):
            raise answer
        return answer

    transport = httpx.MockTransport(handle)
    return verify_connection("https://scim.example.com/v2", token, transport=transport)


# --- the project's own provider ----------------------------------------------------------------


def user_count(client: httpx.Client) -> int:
    r = client.get("/Users")
    assert r.status_code == 200, r.text
    return int(r.json()["totalResults"])


def test_the_generic_profile_verifies_with_capabilities_from_its_service_provider_config(
    tenant, settings
):
    r = tenant.client.post("/Users", json={"schemas": [USER], "userName": "verify@example.com"})
    assert r.status_code == 201, r.text

    v = verify_connection(tenant.base, tenant.token)

    assert (v.ok, v.outcome, v.status_code) == (True, Outcome.VERIFIED, 200)
    assert v.message == "The application answered a SCIM ListResponse at /Users."
    assert v.capabilities == Capabilities(
        patch=True,
        bulk=True,
        filter=True,
        max_results=settings.max_page_size,
        sort=True,
        etag=True,
        change_password=False,
        resource_types=("User", "Group"),
        groups=True,
        source="ServiceProviderConfig",
    )
    assert 0 < v.elapsed_ms < 10_000


@pytest.mark.parametrize("root", [PROFITCO_ROOT, ROOT])
def test_the_profitco_profile_verifies_without_groups(profitco, provider, root):
    v = verify_connection(f"{provider.url}{root}/", profitco.token)

    assert v.ok and v.outcome is Outcome.VERIFIED
    assert v.capabilities is not None
    assert v.capabilities.resource_types == ("User",)
    assert v.capabilities.groups is False


@pytest.mark.parametrize("profile", ["generic", "profitco"])
def test_verification_creates_nothing_in_the_application(engine, provider, profile):
    target = make_tenant(engine, provider, profile)
    with target.client:
        before = user_count(target.client)

        for _ in range(3):
            assert verify_connection(target.base, target.token).ok

        assert user_count(target.client) == before
        groups = target.client.get("/Groups")
        assert (
            groups.status_code == 404
            if profile == "profitco"
            else groups.json()["totalResults"] == 0
        )


def test_capabilities_survive_a_json_round_trip(tenant):
    v = verify_connection(tenant.base, tenant.token)
    assert v.capabilities is not None

    stored = json.loads(json.dumps(v.as_dict()))

    assert stored["outcome"] == "verified"
    assert Capabilities.from_dict(stored["capabilities"]) == v.capabilities


def test_a_wrong_token_is_token_rejected_with_the_targets_detail(tenant):
    v = verify_connection(tenant.base, "not-the-key")

    assert (v.ok, v.outcome, v.status_code) == (False, Outcome.TOKEN_REJECTED, 401)
    assert v.message.startswith(
        "The token was rejected by the application (HTTP 401). Check the SCIM key and try again."
    )
    assert 'The application said: "The bearer token is missing, invalid or revoked".' in v.message
    assert v.capabilities is None


@pytest.mark.parametrize("wrong", ["{base}/nope", "{root}/scim/v3", "{root}/app/rest/scim/v2"])
def test_a_wrong_path_is_not_found(tenant, provider, wrong):
    base = wrong.format(base=tenant.base, root=provider.url)

    v = verify_connection(base, tenant.token)

    assert (v.ok, v.outcome, v.status_code) == (False, Outcome.NOT_FOUND, 404)
    assert v.message.startswith(
        f"The application answered 404 Not Found at {base}/Users: the base URL or region is wrong."
    )


# --- transport failures ------------------------------------------------------------------------


def test_a_port_where_nothing_listens_is_unreachable():
    port = free_port()

    v = verify_connection(f"http://127.0.0.1:{port}/scim/v2", TOKEN, timeout=5)

    assert (v.outcome, v.status_code) == (Outcome.UNREACHABLE, None)
    assert v.message == f"Could not connect to 127.0.0.1:{port}: connection refused."


def test_a_host_that_does_not_resolve_is_unreachable():
    v = verify_connection("https://scim.nonexistent.invalid/v2", TOKEN, timeout=5)

    assert v.outcome is Outcome.UNREACHABLE
    assert v.message == (
        "Could not connect to scim.nonexistent.invalid: the host name could not be resolved."
    )


def test_a_server_that_never_answers_times_out_within_the_budget(silent_port):
    started = time.monotonic()

    v = verify_connection(f"http://127.0.0.1:{silent_port}/scim/v2", TOKEN, timeout=1)

    assert time.monotonic() - started < 3
    assert (v.ok, v.outcome, v.status_code) == (False, Outcome.TIMEOUT, None)
    assert v.message == "The application did not answer within 1 s."


def test_a_server_that_dribbles_its_answer_times_out_within_the_budget(fake):
    body = json.dumps({"schemas": [LIST], "totalResults": 0}).encode()
    target = fake(users(Canned(body=body, dribble=0.2)))
    started = time.monotonic()

    v = verify_connection(target.base, TOKEN, timeout=1)

    assert time.monotonic() - started < 3
    assert v.outcome is Outcome.TIMEOUT


def test_a_self_signed_certificate_is_a_tls_failure(fake, tls_server):
    target = fake(users(ONE_USER), tls=tls_server)

    v = verify_connection(target.base, TOKEN, timeout=5)

    assert (v.ok, v.outcome, v.status_code) == (False, Outcome.TLS_FAILURE, None)
    port = target.server.server_address[1]
    assert v.message == (
        f"TLS handshake with 127.0.0.1:{port} failed: "
        "certificate verify failed (self-signed certificate)."
    )
    assert target.requests == []


def test_https_to_a_plain_http_port_is_a_tls_failure(fake):
    target = fake(users(ONE_USER))
    base = target.base.replace("http://", "https://")

    v = verify_connection(base, TOKEN, timeout=5)

    assert v.outcome is Outcome.TLS_FAILURE
    assert "TLS handshake with 127.0.0.1:" in v.message


def test_a_certificate_trusted_by_the_given_transport_verifies(fake, tls_server, self_signed):
    target = fake(users(ONE_USER), tls=tls_server)
    trusting = httpx.HTTPTransport(verify=ssl.create_default_context(cafile=self_signed[0]))

    v = verify_connection(target.base, TOKEN, timeout=5, transport=trusting)

    assert v.ok and v.outcome is Outcome.VERIFIED


# --- answers that are not a SCIM ListResponse --------------------------------------------------


def test_an_html_page_is_not_scim(fake):
    target = fake(users(Canned(200, b"<html>Sign in</html>", "text/html; charset=utf-8")))

    v = verify_connection(target.base, TOKEN)

    assert (v.ok, v.outcome, v.status_code) == (False, Outcome.NOT_SCIM, 200)
    assert v.message == (
        "The application's answer is not SCIM: expected a SCIM ListResponse "
        "(application/scim+json), got text/html."
    )


@pytest.mark.parametrize(
    ("canned", "got"),
    [
        (scim({"users": []}), f"got JSON without the ListResponse schema {LIST}."),
        (scim([{"id": "1"}]), f"got JSON without the ListResponse schema {LIST}."),
        (scim({"schemas": [LIST], "totalResults": 3}), "got a ListResponse without Resources"),
        (scim({"schemas": [LIST], "Resources": {}}), "Resources is not a list."),
        (Canned(200, b'{"schemas": [', "application/scim+json"), "that is not valid JSON."),
        (Canned(200, b"", "application/scim+json"), "got an empty answer (HTTP 200)."),
        (Canned(200, b"ok", ""), "got an answer without a Content-Type."),
    ],
)
def test_json_that_is_not_a_list_response_is_not_scim(fake, canned, got):
    target = fake(users(canned))

    v = verify_connection(target.base, TOKEN)

    assert v.outcome is Outcome.NOT_SCIM
    assert v.message.startswith("The application's answer is not SCIM: expected a SCIM ")
    assert got in v.message


def test_an_answer_larger_than_the_limit_is_cut_and_not_scim(fake):
    padding = "x" * (2 * MAX_ANSWER_BYTES)
    target = fake(users(scim({"schemas": [LIST], "Resources": [], "pad": padding})))

    v = verify_connection(target.base, TOKEN)

    assert v.outcome is Outcome.NOT_SCIM
    assert "got an answer larger than 1024 KiB." in v.message


@pytest.mark.parametrize(
    "doc",
    [
        {"schemas": [LIST], "Resources": [{"id": "1"}]},  # no totalResults
        {"schemas": [LIST], "totalResults": 0},  # empty, no Resources
        {"schemas": [LIST.upper()], "totalResults": 0, "Resources": []},
    ],
)
def test_tolerable_list_responses_verify(fake, doc):
    target = fake(users(scim(doc, content_type="application/json; charset=utf-8")))

    v = verify_connection(target.base, TOKEN)

    assert v.ok and v.outcome is Outcome.VERIFIED


# --- error statuses ----------------------------------------------------------------------------


def test_a_server_error_carries_the_targets_detail(fake):
    target = fake(users(error(500, "database is down")))

    v = verify_connection(target.base, TOKEN)

    assert (v.outcome, v.status_code) == (Outcome.SERVER_ERROR, 500)
    assert v.message == (
        f"The application failed with HTTP 500 at {target.base}/Users. Try again later. "
        'The application said: "database is down".'
    )


def http_date(seconds_from_now: float) -> str:
    when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds_from_now)
    return email.utils.format_datetime(when, usegmt=True)


@pytest.mark.parametrize(
    ("retry_after", "advice"),
    [
        ({"Retry-After": "30"}, "try again in 30 s."),
        ({"Retry-After": " 0030 "}, "try again in 30 s."),
        ({"Retry-After": "0"}, "try again now."),
        ({}, "try again later."),
        ({"Retry-After": "²"}, "try again later."),  # "²".isdigit() is True, int("²") fails
        ({"Retry-After": "-5"}, "try again later."),
        ({"Retry-After": "soon"}, "try again later."),
        ({"Retry-After": "9" * 40}, "try again later."),
        ({"Retry-After": http_date(-3600)}, "try again now."),
        ({"Retry-After": TOKEN}, "try again later."),  # what the target sent is never echoed
    ],
)
def test_rate_limiting_says_when_to_retry(fake, retry_after, advice):
    target = fake(users(Canned(429, b"slow down", "text/plain", retry_after)))

    v = verify_connection(target.base, TOKEN)

    assert (v.outcome, v.status_code) == (Outcome.RATE_LIMITED, 429)
    assert v.message == f"The application is rate limiting requests (HTTP 429): {advice}"


def test_an_http_date_retry_after_is_turned_into_seconds(fake):
    target = fake(users(Canned(429, b"", "text/plain", {"Retry-After": http_date(120)})))

    v = verify_connection(target.base, TOKEN)

    seconds = re.fullmatch(r".*\(HTTP 429\): try again in (\d+) s\.", v.message)
    assert seconds is not None, v.message
    assert 110 <= int(seconds[1]) <= 121


@pytest.mark.parametrize("value", ["²", "١٢", "\uff13\uff10", "12²"])
def test_non_ascii_digits_in_retry_after_are_not_a_number(value):
    answer = httpx.Response(429, headers=[(b"Retry-After", value.encode())])

    v = mocked(answer)

    assert v.outcome is Outcome.RATE_LIMITED
    assert v.message.endswith("(HTTP 429): try again later.")


def test_forbidden_is_token_rejected(fake):
    target = fake(users(error(403, "The key lacks the SCIM scope")))

    v = verify_connection(target.base, TOKEN)

    assert (v.outcome, v.status_code) == (Outcome.TOKEN_REJECTED, 403)
    assert v.message.endswith('The application said: "The key lacks the SCIM scope".')


def test_a_redirect_is_not_followed(fake):
    location = "https://login.example.com/sso?next=/scim/v2/Users"
    target = fake(users(Canned(302, b"", "text/plain", {"Location": location})))

    v = verify_connection(target.base, TOKEN)

    assert (v.outcome, v.status_code) == (Outcome.UNEXPECTED_STATUS, 302)
    assert location in v.message
    assert len(target.requests) == 1


def test_another_status_is_unexpected(fake):
    target = fake(users(Canned(405, b"", "text/plain")))

    v = verify_connection(target.base, TOKEN)

    assert v.outcome is Outcome.UNEXPECTED_STATUS
    assert v.message == f"The application answered HTTP 405 at {target.base}/Users."


# --- what is asked, and capabilities -----------------------------------------------------------


def test_verification_only_reads_one_user_and_the_discovery_endpoints(fake):
    target = fake(users(ONE_USER))

    verify_connection(target.base, TOKEN)

    assert [(m, p) for m, p, _ in target.requests] == [
        ("GET", f"{ROOT}/Users?startIndex=1&count=1"),
        ("GET", f"{ROOT}/ServiceProviderConfig"),
    ]
    headers = target.requests[0][2]
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["Accept"] == "application/scim+json, application/json"


def test_a_target_without_discovery_verifies_without_capabilities(fake):
    target = fake(users(ONE_USER, ServiceProviderConfig=Canned(404, b"", "text/plain")))

    v = verify_connection(target.base, TOKEN)

    assert v.ok and v.capabilities is None


def test_capabilities_are_read_leniently(fake):
    spc = {"patch": {"supported": "true"}, "filter": {"supported": True, "maxResults": 200}}
    types = [{"name": "User", "endpoint": "/Users"}, {"name": "Group", "endpoint": "/Groups"}]
    target = fake(users(ONE_USER, ServiceProviderConfig=scim(spc), ResourceTypes=scim(types)))

    v = verify_connection(target.base, TOKEN)

    assert v.capabilities == Capabilities(
        patch=True, filter=True, max_results=200, resource_types=("User", "Group"), groups=True
    )


def test_without_resource_types_only_users_are_assumed(fake):
    spc = scim({"schemas": [SPC], "patch": {"supported": True}})
    target = fake(users(ONE_USER, ServiceProviderConfig=spc, ResourceTypes=error(500, "boom")))

    v = verify_connection(target.base, TOKEN)

    assert v.capabilities is not None
    assert (v.capabilities.resource_types, v.capabilities.groups) == (("User",), False)


# --- the token never leaks ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "canned",
    [
        ONE_USER,
        error(401, "Invalid token"),
        error(500, "boom"),
        Canned(200, b"<html/>", "text/html"),
    ],
)
def test_the_token_appears_in_no_field_and_no_log_line(fake, caplog, canned):
    caplog.set_level(logging.DEBUG)
    target = fake(users(canned, ServiceProviderConfig=scim({"schemas": [SPC]})))

    v = verify_connection(target.base, TOKEN)

    assert_no_token(v, caplog)


@pytest.mark.parametrize(
    "canned",
    [
        error(401, f"Invalid token: Bearer {TOKEN}"),
        error(500, f"Unexpected header Authorization: Bearer {TOKEN.upper()}"),
        Canned(302, b"", "text/plain", {"Location": f"https://x.example/?t={TOKEN}"}),
        Canned(200, TOKEN.encode(), TOKEN),
    ],
)
def test_a_target_echoing_the_token_does_not_get_it_into_the_verification(fake, caplog, canned):
    # Only httpcore's DEBUG trace, which prints the target's own response headers, would show it.
    caplog.set_level(logging.INFO)
    target = fake(users(canned))

    v = verify_connection(target.base, TOKEN)

    assert_no_token(v, caplog)
    assert TOKEN.lower() not in v.message.lower()
    assert "[token]" in v.message


def test_the_token_does_not_leak_from_transport_failures(silent_port, caplog):
    caplog.set_level(logging.DEBUG)
    for base in (f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{silent_port}"):
        assert_no_token(verify_connection(base, TOKEN, timeout=0.5), caplog)


@pytest.mark.parametrize(
    ("token", "words"),
    [
        ("", "required"),
        (f"{TOKEN}\n", "printable ASCII"),
        (f" {TOKEN}", "spaces around"),
        (f"{TOKEN}é", "printable ASCII"),
    ],
)
def test_a_malformed_token_is_invalid_without_being_echoed(token, words):
    with pytest.raises(Invalid) as err:
        verify_connection("https://scim.example.com/v2", token)

    assert words in err.value.detail
    assert TOKEN not in str(err.value)


def test_a_plain_http_url_off_loopback_is_invalid_before_any_request():
    with pytest.raises(Invalid, match="must use https"):
        verify_connection("http://scim.example.com/v2", TOKEN)


# --- a token echoed in part, or near the cut of a long message --------------------------------


def padded(pad: int, token: str = LONG_TOKEN) -> str:
    return "x" * pad + token


OFFSETS = [0, 100, 250, 260, 270, 280, 285, 290, 295, 299, 300, 301, 310]


@pytest.mark.parametrize("pad", OFFSETS)
@pytest.mark.parametrize("status", [401, 500])
def test_a_long_token_echoed_near_the_cut_of_an_error_detail_leaves_no_piece(fake, pad, status):
    target = fake(users(error(status, padded(pad))))

    v = verify_connection(target.base, LONG_TOKEN)

    assert v.status_code == status
    assert 'The application said: "' in v.message
    assert_no_piece(v, LONG_TOKEN)


@pytest.mark.parametrize("pad", OFFSETS)
def test_a_long_token_echoed_near_the_cut_of_a_location_leaves_no_piece(fake, pad):
    location = "https://login.example.com/" + padded(pad)
    target = fake(users(Canned(302, b"", "text/plain", {"Location": location})))

    v = verify_connection(target.base, LONG_TOKEN)

    assert (v.outcome, v.status_code) == (Outcome.UNEXPECTED_STATUS, 302)
    assert "redirecting to https://login.example.com/" in v.message
    assert_no_piece(v, LONG_TOKEN)


@pytest.mark.parametrize("pad", [0, 50, 90, 95, 99, 100])
def test_a_long_token_echoed_in_an_html_page_and_its_content_type_leaves_no_piece(fake, pad):
    page = f"<html><body>{padded(pad)}</body></html>".encode()
    target = fake(users(Canned(200, page, f"text/{padded(pad)}")))

    v = verify_connection(target.base, LONG_TOKEN)

    assert v.outcome is Outcome.NOT_SCIM
    assert_no_piece(v, LONG_TOKEN)


@pytest.mark.parametrize(
    ("echo", "said"),
    [
        (LONG_TOKEN[:8], "Bad token [token], try again"),
        (LONG_TOKEN[100:180], "Bad token [token], try again"),
        (LONG_TOKEN[-9:].upper(), "Bad token [token], try again"),
        (
            f"{LONG_TOKEN[:40]} and {LONG_TOKEN[200:260]}",
            "Bad token [token] and [token], try again",
        ),
        (LONG_TOKEN[:-1], "Bad token [token]…"),  # cut at 300 characters
    ],
)
def test_a_token_echoed_in_part_leaves_no_piece(fake, echo, said):
    target = fake(users(error(401, f"Bad token {echo}, try again")))

    v = verify_connection(target.base, LONG_TOKEN)

    assert v.message.endswith(f'The application said: "{said}".')
    assert_no_piece(v, LONG_TOKEN)


def test_resource_type_names_echoing_the_token_are_redacted(fake):
    types = [{"name": "User"}, {"name": LONG_TOKEN[:90]}, {"name": f"Group {LONG_TOKEN[5:60]}"}]
    spc = scim({"schemas": [SPC]})
    target = fake(users(ONE_USER, ServiceProviderConfig=spc, ResourceTypes=scim(types)))

    v = verify_connection(target.base, LONG_TOKEN)

    assert v.capabilities is not None
    assert v.capabilities.resource_types == ("User", "[token]", "Group [token]")
    assert_no_piece(v, LONG_TOKEN)


def test_resource_type_names_are_bounded(fake):
    names = ["User", "x" * 101, "Tab\there", " Padded", *(f"T{i}" for i in range(100))]
    spc = scim({"schemas": [SPC]})
    types = scim([{"name": n} for n in names])
    target = fake(users(ONE_USER, ServiceProviderConfig=spc, ResourceTypes=types))

    v = verify_connection(target.base, TOKEN)

    assert v.capabilities is not None
    assert v.capabilities.resource_types[:2] == ("User", "T0")
    assert len(v.capabilities.resource_types) == 50


# --- base URLs httpx cannot request, and failures outside httpx --------------------------------


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("https://exämple..com/scim", "has an empty label"),
        ("https://" + "a" * 70 + ".com/scim", "a label of 70 characters (at most 63"),
        ("https://.example.com/scim", "has an empty label"),
        ("https://xn--zz.example.com/scim", "invalid punycode label 'xn--zz'"),
        ("https://999.1.1.1/scim", "not an IPv4 address"),
    ],
)
def test_a_malformed_host_name_is_invalid_before_any_request(url, words):
    with pytest.raises(Invalid) as err:
        verify_connection(url, TOKEN, timeout=1)

    assert words in err.value.detail


@pytest.mark.parametrize(
    "exc",
    [
        httpx.InvalidURL("Invalid IDNA hostname: 'exämple..com'"),
        UnicodeError("encoding with 'idna' codec failed (UnicodeError: label empty or too long)"),
        idna.IDNAError("Invalid A-label"),
    ],
)
def test_a_host_name_httpx_or_the_idna_codec_refuses_is_an_invalid_url(exc, caplog):
    v = mocked(exc)

    assert (v.ok, v.outcome, v.status_code) == (False, Outcome.INVALID_URL, None)
    assert v.message == (
        f"The base URL https://scim.example.com/v2 cannot be requested: "
        f"{type(exc).__name__}: {str(exc).rstrip('.')}."
    )
    assert json.loads(json.dumps(v.as_dict()))["outcome"] == "invalid_url"


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (OSError(24, "Too many open files"), "OSError: [Errno 24] Too many open files"),
        (ssl.SSLError(1, "[SSL] internal error"), "SSLError: [SSL] internal error"),
        (ValueError(f"bad header Authorization: Bearer {TOKEN}"), "ValueError: bad header"),
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), "UnicodeDecodeError"),
        (RuntimeError("boom"), "RuntimeError: boom"),
    ],
)
def test_any_other_failure_is_an_unexpected_error_logged_without_the_token(exc, reason, caplog):
    caplog.set_level(logging.DEBUG)

    v = mocked(exc)

    assert (v.ok, v.outcome, v.status_code) == (False, Outcome.UNEXPECTED_ERROR, None)
    assert v.message.startswith(f"The connection check failed unexpectedly ({reason}")
    assert v.message.endswith("). The hub's log has the details.")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "failed unexpectedly" in warnings[0].getMessage()
    assert type(exc).__name__ in warnings[0].getMessage()
    assert_no_token(v, caplog)
    assert_no_fragment(TOKEN, caplog.text)


def test_a_failure_while_reading_capabilities_is_an_unexpected_error():
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/Users"):
            return httpx.Response(200, json={"schemas": [LIST], "totalResults": 0})
        raise OSError("disk full")

    transport = httpx.MockTransport(handle)
    v = verify_connection("https://scim.example.com/v2", TOKEN, transport=transport)

    assert (v.ok, v.outcome, v.status_code, v.capabilities) == (
        False,
        Outcome.UNEXPECTED_ERROR,
        None,
        None,
    )
    assert "OSError: disk full" in v.message


def test_an_interrupt_is_not_swallowed():
    with pytest.raises(KeyboardInterrupt):
        mocked(KeyboardInterrupt())
