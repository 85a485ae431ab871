"""Wire answers and transport failures become outcomes named for what the engine does next."""

from __future__ import annotations

import json
import socket
import ssl
from datetime import UTC, datetime

import httpx
import pytest

from scimhub.applications.capabilities import retry_seconds
from scimhub.provisioning.outcomes import (
    MAX_MESSAGE,
    AlreadyExists,
    Gone,
    RateLimited,
    Rejected,
    RemoteFailure,
    Stop,
    Transient,
)
from scimhub.provisioning.scim_errors import (
    Answer,
    Call,
    answer_failure,
    transport_failure,
    unreadable,
)

TOKEN = "tok-0123456789abcdefghijKLMNOPQRSTUVWXYZ"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
CREATE = Call("POST", "/Users", creating=True)
SEARCH = Call("GET", "/Users")
ONE = Call("PATCH", "/Users/u1", member=True)


def answer(
    status: int, detail: str | None = None, headers: dict[str, str] | None = None, **extra: str
) -> Answer:
    body = b""
    if detail is not None:
        body = json.dumps(
            {"schemas": [ERROR], "status": str(status), "detail": detail, **extra}
        ).encode()
    return Answer(status, httpx.Headers(headers or {}), body)


# --- outcomes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "name", "parent"),
    [
        (Transient, "transient", RemoteFailure),
        (RateLimited, "rate_limited", Transient),
        (Rejected, "rejected", RemoteFailure),
        (AlreadyExists, "exists", Rejected),
        (Gone, "gone", Rejected),
        (Stop, "stop", RemoteFailure),
    ],
)
def test_each_outcome_has_its_kind_and_family(kind, name, parent):
    assert kind.kind == name and issubclass(kind, parent)


def test_messages_are_flattened_and_bounded():
    failure = Rejected("line one\nline two " + "x" * 500, status=400)
    assert "\n" not in failure.message and len(failure.message) == MAX_MESSAGE
    assert str(failure) == failure.message and failure.status == 400


def test_transient_outcomes_carry_when_to_retry():
    assert RateLimited("slow down", status=429, retry_after=3.0).retry_after == 3.0
    assert Transient("try later").retry_after is None


# --- answers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "status", "kind"),
    [
        (CREATE, 401, Stop),
        (SEARCH, 403, Stop),
        (ONE, 301, Stop),
        (ONE, 307, Stop),
        (CREATE, 404, Stop),
        (SEARCH, 404, Stop),
        (ONE, 404, Gone),
        (CREATE, 409, AlreadyExists),
        (ONE, 409, Rejected),
        (CREATE, 400, Rejected),
        (ONE, 412, Rejected),
        (ONE, 413, Rejected),
        (ONE, 422, Rejected),
        (ONE, 405, Rejected),
        (ONE, 408, Transient),
        (CREATE, 429, RateLimited),
        (ONE, 500, Transient),
        (ONE, 502, Transient),
        (ONE, 503, Transient),
        (ONE, 504, Transient),
    ],
)
def test_statuses_become_their_outcome(call, status, kind):
    failure = answer_failure(call, answer(status, "said so"), TOKEN)
    assert type(failure) is kind and failure.status == status
    assert failure.message.startswith(f"{call} answered HTTP {status}")


def test_400_uniqueness_on_create_is_already_exists_but_not_on_patch():
    said = answer(400, "taken", scimType="uniqueness")
    assert type(answer_failure(CREATE, said, TOKEN)) is AlreadyExists
    assert type(answer_failure(ONE, said, TOKEN)) is Rejected


def test_the_targets_detail_is_quoted():
    failure = answer_failure(ONE, answer(400, "emails: not an address"), TOKEN)
    assert failure.message == (
        'PATCH /Users/u1 answered HTTP 400. The application said: "emails: not an address".'
    )


def test_a_detail_that_is_no_scim_error_is_not_quoted():
    plain = Answer(400, httpx.Headers(), b'{"detail": "not SCIM"}')
    assert "said" not in answer_failure(ONE, plain, TOKEN).message


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (401, "the application refused the token"),
        (404, "the base URL or region is wrong"),
    ],
)
def test_stop_messages_say_what_to_fix(status, expected):
    assert expected in answer_failure(SEARCH, answer(status), TOKEN).message


def test_a_redirect_names_where_it_points_and_is_not_followed():
    moved = answer(301, headers={"Location": "https://elsewhere.example/scim"})
    message = answer_failure(SEARCH, moved, TOKEN).message
    assert "redirecting to https://elsewhere.example/scim" in message
    assert "use the final URL as the base URL" in message


def test_429_reads_retry_after_seconds():
    failure = answer_failure(SEARCH, answer(429, headers={"Retry-After": "12"}), TOKEN)
    assert isinstance(failure, RateLimited) and failure.retry_after == 12.0
    assert "try again in 12 s" in failure.message


def test_503_keeps_its_retry_after_and_400_has_none():
    unavailable = answer_failure(ONE, answer(503, headers={"Retry-After": "5"}), TOKEN)
    assert isinstance(unavailable, Transient) and unavailable.retry_after == 5.0
    assert not hasattr(
        answer_failure(ONE, answer(400, headers={"Retry-After": "5"}), TOKEN), "retry_after"
    )


def test_the_token_never_shows_whole_or_in_pieces():
    detail = f"Bearer {TOKEN} / {TOKEN.upper()} / …{TOKEN[-10:]} / {TOKEN[5:15]}…"
    echoed = answer(400, detail, headers={"Location": TOKEN})
    for failure in (
        answer_failure(ONE, echoed, TOKEN),
        answer_failure(ONE, Answer(302, httpx.Headers({"Location": f"/x?t={TOKEN}"}), b""), TOKEN),
    ):
        folded = failure.message.casefold()
        assert not any(TOKEN[i : i + 8].casefold() in folded for i in range(len(TOKEN) - 7))


def test_a_2xx_without_what_was_asked_is_transient():
    failure = unreadable(CREATE, Answer(201, httpx.Headers(), b"<html>"), TOKEN, "a SCIM resource")
    assert isinstance(failure, Transient) and failure.status == 201
    assert failure.message == "POST /Users answered 201 without a SCIM resource."
    cut = unreadable(SEARCH, Answer(200, httpx.Headers(), b"{", complete=False), TOKEN, "x")
    assert "too large" in cut.message


# --- transport failures -------------------------------------------------------------------


def _caused(exc: httpx.HTTPError, cause: BaseException) -> httpx.HTTPError:
    exc.__cause__ = cause
    return exc


def _ssl_error(reason: str) -> ssl.SSLError:
    """An SSLError as the ssl module raises it (with ``reason``)."""
    error = ssl.SSLError(1, f"[SSL: {reason}] {reason.lower()}")
    error.reason = reason
    return error


@pytest.mark.parametrize(
    ("exc", "kind", "expected"),
    [
        (httpx.ConnectTimeout("slow"), Transient, "could not connect to h:1 within 2 s"),
        (httpx.PoolTimeout("busy"), Transient, "no connection to h:1 became free within 2 s"),
        (httpx.ReadTimeout("slow"), Transient, "h:1 did not answer within 2 s"),
        (
            _caused(httpx.ConnectError("x"), ConnectionRefusedError()),
            Transient,
            "connection refused",
        ),
        (_caused(httpx.ReadError("x"), ConnectionResetError()), Transient, "connection was reset"),
        (_caused(httpx.ConnectError("x"), socket.gaierror()), Transient, "could not be resolved"),
        (httpx.RemoteProtocolError("Server disconnected"), Transient, "Server disconnected"),
        (
            _caused(httpx.ConnectError("x"), _ssl_error("WRONG_VERSION_NUMBER")),
            Stop,
            "TLS handshake with h:1 failed",
        ),
        (
            httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] nope"),
            Stop,
            "certificate verify failed",
        ),
        (httpx.UnsupportedProtocol("ftp"), Stop, "the base URL cannot be requested"),
        (httpx.InvalidURL("bad host"), Stop, "the base URL cannot be requested"),
    ],
)
def test_transport_failures_become_their_outcome(exc, kind, expected):
    failure = transport_failure(SEARCH, exc, "h:1", 2.0, TOKEN)
    assert type(failure) is kind and failure.status is None
    assert failure.message.startswith("GET /Users: ") and expected in failure.message


def test_transport_messages_hold_no_token():
    failure = transport_failure(SEARCH, httpx.InvalidURL(f"bad {TOKEN}"), "h:1", 2.0, TOKEN)
    assert TOKEN[:8] not in failure.message and "[token]" in failure.message


# --- Retry-After (RFC 9110 §10.2.3) -------------------------------------------------------

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("0", 0.0),
        ("30", 30.0),
        (" 007 ", 7.0),
        ("Sun, 01 Mar 2026 12:00:30 GMT", 30.0),
        ("Sunday, 01-Mar-26 12:01:00 GMT", 60.0),
        ("Sun Mar  1 12:00:10 2026", 10.0),
        ("Sun, 01 Mar 2026 11:00:00 GMT", 0.0),
        ("", None),
        ("soon", None),
        ("-5", None),
        ("1.5", None),
        ("²", None),
        ("9" * 5000, None),
    ],
)
def test_retry_after_is_seconds_or_an_http_date(value, seconds):
    assert retry_seconds(value, now=NOW) == seconds
