"""Verify an application's SCIM connection before activating it, creating nothing.

Like JumpCloud's and Entra ID's "Test connection": ``GET {base}/Users?startIndex=1&count=1``
(RFC 7644 §3.4.2) proves the base URL and the token, then ``/ServiceProviderConfig`` and
``/ResourceTypes`` (RFC 7644 §4) are read, best effort, for the target's capabilities. httpx's
errors are translated here only, and every failure ends as an outcome: a host name httpx or the
IDNA codec refuses is ``invalid_url``, anything else unforeseen ``unexpected_error`` (logged).
The token appears in no message, exception or log line, whole or in part (see ``redact``).
"""

from __future__ import annotations

import logging
import time
import traceback
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

import httpx

from scimhub.problems import Invalid

from .capabilities import (
    Capabilities,
    capabilities_from_discovery,
    decode_json,
    error_detail,
    list_response_problem,
    retry_advice,
)
from .failures import is_url_error, network_reason, tls_reason
from .redact import redact, redact_capabilities, shown
from .urls import normalize_base_url

__all__ = ["MAX_ANSWER_BYTES", "Capabilities", "Outcome", "Verification", "verify_connection"]

log = logging.getLogger(__name__)

#: Answers are cut here, so a hostile target cannot exhaust the hub's memory.
MAX_ANSWER_BYTES = 1 << 20
_HEADERS = {"Accept": "application/scim+json, application/json", "Accept-Encoding": "identity"}


class Outcome(StrEnum):
    """Stable codes for the result of a verification."""

    VERIFIED = "verified"
    TOKEN_REJECTED = "token_rejected"  # 401 or 403
    NOT_FOUND = "not_found"  # 404: the base URL or region is wrong
    TLS_FAILURE = "tls_failure"
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"  # connection refused, DNS failure, connection dropped
    NOT_SCIM = "not_scim"  # 2xx, but not a SCIM ListResponse
    RATE_LIMITED = "rate_limited"  # 429
    SERVER_ERROR = "server_error"  # 5xx
    UNEXPECTED_STATUS = "unexpected_status"  # anything else, redirects included
    INVALID_URL = "invalid_url"  # httpx or the IDNA codec refuses the host name
    UNEXPECTED_ERROR = "unexpected_error"  # a fault of the hub's side, logged


_STATUS_OUTCOMES = {
    401: Outcome.TOKEN_REJECTED,
    403: Outcome.TOKEN_REJECTED,
    404: Outcome.NOT_FOUND,
    429: Outcome.RATE_LIMITED,
}
_MESSAGES = {
    Outcome.TOKEN_REJECTED: "The token was rejected by the application (HTTP {status}). "
    "Check the SCIM key and try again.",
    Outcome.NOT_FOUND: "The application answered 404 Not Found at {url}: "
    "the base URL or region is wrong.",
    Outcome.RATE_LIMITED: "The application is rate limiting requests (HTTP 429): {retry}.",
    Outcome.SERVER_ERROR: "The application failed with HTTP {status} at {url}. Try again later.",
    Outcome.UNEXPECTED_STATUS: "The application answered HTTP {status} at {url}.",
}


@dataclass(frozen=True, slots=True)
class Verification:
    """``capabilities`` is None when the target serves no readable ServiceProviderConfig."""

    ok: bool
    outcome: Outcome
    message: str
    status_code: int | None = None
    elapsed_ms: float = 0.0
    capabilities: Capabilities | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON types, e.g. to store as the integration's last check."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["outcome"] = str(self.outcome)
        data["capabilities"] = self.capabilities.as_dict() if self.capabilities else None
        return data


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    headers: httpx.Headers
    body: bytes
    complete: bool  # False when cut at MAX_ANSWER_BYTES
    secret: str = ""  # redacted from what is shown of the answer

    def show(self, text: str, limit: int = 300) -> str:
        """Text from the answer, safe to show: the secret redacted before the text is cut."""
        return shown(text, self.secret, limit)


def verify_connection(
    base_url: str,
    token: str,
    *,
    timeout: float = 10.0,
    transport: httpx.BaseTransport | None = None,
) -> Verification:
    """Check ``base_url`` and ``token`` against the target, spending at most ``timeout`` seconds.

    Raises :class:`Invalid` for a malformed base URL or token; every answer (or silence) of
    the target, and every failure on the way, becomes a :class:`Verification`.
    """
    base = normalize_base_url(base_url)
    _check_token(token)
    started = time.monotonic()
    status: int | None = None
    caps: Capabilities | None = None
    try:
        with _client(token, transport) as client:
            outcome, message, status = _check_users(client, base, token, started + timeout, timeout)
            if outcome is Outcome.VERIFIED:
                caps = _discover(client, base, started + timeout)
    except Exception as exc:  # every failure is an outcome; the unforeseen ones are logged
        (outcome, message), status, caps = _failure(exc, base, token), None, None
    elapsed_ms = (time.monotonic() - started) * 1000
    log.info("SCIM connection check of %s: %s (%.0f ms)", base, outcome, elapsed_ms)
    message, caps = redact(message, token), redact_capabilities(caps, token)
    return Verification(outcome is Outcome.VERIFIED, outcome, message, status, elapsed_ms, caps)


def _failure(exc: Exception, base: str, token: str) -> tuple[Outcome, str]:
    """What httpx does not translate: a host name it or the IDNA codec refuses, or a fault."""
    reason = shown(f"{type(exc).__name__}: {exc}", token).rstrip(".")
    if is_url_error(exc):
        return Outcome.INVALID_URL, f"The base URL {base} cannot be requested: {reason}."
    details = redact("".join(traceback.format_exception(exc)), token)
    log.warning("SCIM connection check of %s failed unexpectedly: %s", base, details)
    return Outcome.UNEXPECTED_ERROR, (
        f"The connection check failed unexpectedly ({reason}). The hub's log has the details."
    )


def _check_token(token: str) -> None:
    if not token:
        raise Invalid("The SCIM token is required")
    if not (token.isascii() and token.isprintable()) or token != token.strip():
        raise Invalid(
            "The SCIM token must be printable ASCII, without line breaks or spaces around"
        )


def _client(token: str, transport: httpx.BaseTransport | None) -> httpx.Client:
    headers = {**_HEADERS, "Authorization": f"Bearer {token}"}
    return httpx.Client(headers=headers, transport=transport, follow_redirects=False)


def _fetch(
    client: httpx.Client, url: str, deadline: float, secret: str = "", **params: str
) -> _Answer:
    """GET ``url``, reading at most MAX_ANSWER_BYTES, within the budget left until ``deadline``."""
    with client.stream("GET", url, params=params, timeout=_remaining(deadline)) as response:
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > MAX_ANSWER_BYTES:
                cut = bytes(body[:MAX_ANSWER_BYTES])
                return _Answer(response.status_code, response.headers, cut, False, secret)
            _remaining(deadline)  # a target dribbling bytes is cut when the budget is spent
    return _Answer(response.status_code, response.headers, bytes(body), True, secret)


def _remaining(deadline: float) -> httpx.Timeout:
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpx.ReadTimeout("The time budget of the verification is spent")
    return httpx.Timeout(left)


def _check_users(
    client: httpx.Client, base: str, token: str, deadline: float, timeout: float
) -> tuple[Outcome, str, int | None]:
    url = f"{base}/Users"
    try:
        answer = _fetch(client, url, deadline, token, startIndex="1", count="1")
    except httpx.HTTPError as exc:
        return (*_translate(exc, base, timeout), None)
    return (*_judge(answer, url), answer.status)


def _judge(answer: _Answer, url: str) -> tuple[Outcome, str]:
    status = answer.status
    if 200 <= status < 300:
        return _judge_list(answer)
    if 300 <= status < 400:
        location = answer.show(answer.headers.get("location", "no Location"))
        return Outcome.UNEXPECTED_STATUS, (
            f"The application answered HTTP {status} at {url}, redirecting to {location}. "
            "Redirects are not followed: use the final URL as the base URL."
        )
    outcome = _status_outcome(status)
    retry = retry_advice(answer.headers.get("retry-after", ""))
    text = _MESSAGES[outcome].format(status=status, url=url, retry=retry)
    return outcome, text + _said(answer)


def _status_outcome(status: int) -> Outcome:
    other = Outcome.SERVER_ERROR if status >= 500 else Outcome.UNEXPECTED_STATUS
    return _STATUS_OUTCOMES.get(status, other)


def _judge_list(answer: _Answer) -> tuple[Outcome, str]:
    problem = _list_problem(answer)
    if problem is None:
        return Outcome.VERIFIED, "The application answered a SCIM ListResponse at /Users."
    return Outcome.NOT_SCIM, (
        "The application's answer is not SCIM: expected a SCIM ListResponse "
        f"(application/scim+json), got {problem}."
    )


def _list_problem(answer: _Answer) -> str | None:
    """What keeps the answer from being a ListResponse (RFC 7644 §3.4.2), or None."""
    if not answer.complete:
        return f"an answer larger than {MAX_ANSWER_BYTES // 1024} KiB"
    if not answer.body.strip():
        return f"an empty answer (HTTP {answer.status})"
    doc, media = decode_json(answer.body), _media_type(answer)
    if doc is None:
        return f"{media} that is not valid JSON" if "json" in media else media
    return list_response_problem(doc)


def _said(answer: _Answer) -> str:
    """The target's own SCIM Error ``detail`` (RFC 7644 §3.12), as a sentence to append."""
    detail = error_detail(decode_json(answer.body)) if answer.complete else None
    return f' The application said: "{answer.show(detail)}".' if detail else ""


def _translate(exc: httpx.HTTPError, base: str, timeout: float) -> tuple[Outcome, str]:
    origin = urlsplit(base).netloc
    if isinstance(exc, httpx.ConnectTimeout):
        return Outcome.TIMEOUT, f"Could not connect to {origin} within {timeout:g} s."
    if isinstance(exc, httpx.TimeoutException):
        return Outcome.TIMEOUT, f"The application did not answer within {timeout:g} s."
    if (tls := tls_reason(exc)) is not None:
        return Outcome.TLS_FAILURE, f"TLS handshake with {origin} failed: {tls}."
    if isinstance(exc, httpx.ConnectError):
        return Outcome.UNREACHABLE, f"Could not connect to {origin}: {network_reason(exc)}."
    return Outcome.UNREACHABLE, f"The connection to {origin} failed: {network_reason(exc)}."


def _discover(client: httpx.Client, base: str, deadline: float) -> Capabilities | None:
    spc = _get_json(client, f"{base}/ServiceProviderConfig", deadline)
    if spc is None:
        return None
    return capabilities_from_discovery(spc, _get_json(client, f"{base}/ResourceTypes", deadline))


def _get_json(client: httpx.Client, url: str, deadline: float) -> object | None:
    try:
        answer = _fetch(client, url, deadline)
    except httpx.HTTPError as exc:
        log.debug("%s is not readable: %s", url, type(exc).__name__)
        return None
    if not 200 <= answer.status < 300 or not answer.complete:
        return None
    return decode_json(answer.body)


def _media_type(answer: _Answer) -> str:
    media = answer.headers.get("content-type", "").split(";")[0].strip().lower()
    return answer.show(media, limit=100) or "an answer without a Content-Type"
