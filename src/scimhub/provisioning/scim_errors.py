"""A SCIM target's answers and transport failures as engine outcomes, translated once.

The table (DESIGN.md, "Connector contract"; RFC 7644 §3.12 for the statuses):

=============================================  ===========================================
401, 403; a redirect (3xx); TLS; a bad URL      :class:`.Stop` (the token or URL is wrong)
404 on the collection (``/Users``)              :class:`.Stop` (the base URL or region)
404 on one user (``/Users/{id}``)               :class:`.Gone`
409, or 400 ``uniqueness``, on create           :class:`.AlreadyExists`
429                                             :class:`.RateLimited` (``Retry-After``)
408, 5xx; timeouts, resets, refused; garbage    :class:`.Transient` (``Retry-After`` if sent)
any other 4xx                                   :class:`.Rejected`
=============================================  ===========================================

Messages name the call (method and path below the base URL), quote the target's SCIM Error
``detail`` and are redacted: the token appears in none of them, whole or in part.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from scimhub.applications.capabilities import (
    decode_json,
    error_detail,
    retry_advice,
    retry_seconds,
)
from scimhub.applications.failures import is_url_error, network_reason, tls_reason
from scimhub.applications.redact import redact, shown

from .outcomes import (
    AlreadyExists,
    Gone,
    RateLimited,
    Rejected,
    RemoteFailure,
    Stop,
    Transient,
)

__all__ = ["Answer", "Call", "answer_failure", "transport_failure", "unreadable"]


@dataclass(frozen=True, slots=True)
class Call:
    """One request as messages name it; ``member`` when ``path`` is one user's URL."""

    method: str
    path: str
    member: bool = False
    creating: bool = False

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True, slots=True)
class Answer:
    """An HTTP answer; ``complete`` is False when the body was cut at the size limit."""

    status: int
    headers: httpx.Headers
    body: bytes
    complete: bool = True

    def document(self) -> object | None:
        """The decoded JSON body, or None (not JSON, or cut)."""
        return decode_json(self.body) if self.complete else None


def answer_failure(call: Call, answer: Answer, secret: str) -> RemoteFailure:
    """The outcome of an answer that is not a success (anything but 2xx)."""
    status, said = answer.status, _said(answer, secret)
    if 300 <= status < 400:
        location = shown(answer.headers.get("location", "no Location"), secret, 100)
        text = f"{call} answered HTTP {status}, redirecting to {location}: redirects are not "
        return _failure(Stop, text + "followed; use the final URL as the base URL.", secret, status)
    if status in (401, 403):
        text = f"{call} answered HTTP {status}: the application refused the token.{said}"
        return _failure(Stop, text, secret, status)
    if status == 404:
        return _not_found(call, said, secret)
    if status == 429:
        advice = retry_advice(answer.headers.get("retry-after", ""))
        text = f"{call} answered HTTP 429: the application is rate limiting requests; {advice}."
        return _failure(RateLimited, text, secret, status, _retry_after(answer))
    kind = _status_kind(call, status, answer.document())
    retry = _retry_after(answer) if issubclass(kind, Transient) else None
    return _failure(kind, f"{call} answered HTTP {status}.{said}", secret, status, retry)


def _not_found(call: Call, said: str, secret: str) -> RemoteFailure:
    if call.member:
        text = f"{call} answered HTTP 404: the user no longer exists in the application.{said}"
        return _failure(Gone, text, secret, 404)
    text = f"{call} answered HTTP 404 Not Found: the base URL or region is wrong.{said}"
    return _failure(Stop, text, secret, 404)


def _status_kind(call: Call, status: int, doc: object | None) -> type[RemoteFailure]:
    if status == 408 or status >= 500:
        return Transient
    if call.creating and (status == 409 or _scim_type(doc) == "uniqueness"):
        return AlreadyExists
    return Rejected if 400 <= status < 500 else Transient


def unreadable(call: Call, answer: Answer, secret: str, wanted: str) -> Transient:
    """A 2xx answer that is not what was asked for (``wanted``: "a SCIM resource")."""
    cut = "" if answer.complete else " (an answer too large to read)"
    text = f"{call} answered {answer.status} without {wanted}{cut}."
    return Transient(redact(text, secret), status=answer.status)


def transport_failure(
    call: Call, exc: Exception, origin: str, timeout: float, secret: str
) -> RemoteFailure:
    """The outcome of a request that got no answer (httpx's errors, a refused URL)."""
    if isinstance(exc, httpx.ConnectTimeout):
        return _failure(
            Transient, f"{call}: could not connect to {origin} within {timeout:g} s.", secret
        )
    if isinstance(exc, httpx.PoolTimeout):
        text = f"{call}: no connection to {origin} became free within {timeout:g} s."
        return _failure(Transient, text, secret)
    if isinstance(exc, httpx.TimeoutException):
        return _failure(Transient, f"{call}: {origin} did not answer within {timeout:g} s.", secret)
    if (tls := tls_reason(exc)) is not None:
        return _failure(Stop, f"{call}: TLS handshake with {origin} failed: {tls}.", secret)
    if is_url_error(exc) or isinstance(exc, httpx.UnsupportedProtocol):
        reason = shown(f"{type(exc).__name__}: {exc}", secret, 150)
        return _failure(Stop, f"{call}: the base URL cannot be requested: {reason}.", secret)
    if isinstance(exc, httpx.ConnectError):
        text = f"{call}: could not connect to {origin}: {network_reason(exc)}."
        return _failure(Transient, text, secret)
    text = f"{call}: the connection to {origin} failed: {network_reason(exc)}."
    return _failure(Transient, text, secret)


def _retry_after(answer: Answer) -> float | None:
    seconds = retry_seconds(answer.headers.get("retry-after", ""))
    return None if seconds is None else float(seconds)


def _failure(
    kind: type[RemoteFailure],
    text: str,
    secret: str,
    status: int | None = None,
    retry_after: float | None = None,
) -> RemoteFailure:
    message = redact(text, secret)
    if issubclass(kind, Transient):
        return kind(message, status=status, retry_after=retry_after)
    return kind(message, status=status)


def _said(answer: Answer, secret: str) -> str:
    """The target's own SCIM Error ``detail`` (RFC 7644 §3.12), as a sentence to append."""
    detail = error_detail(answer.document())
    return f' The application said: "{shown(detail, secret, 160)}".' if detail else ""


def _scim_type(doc: object | None) -> str | None:
    value = doc.get("scimType") if isinstance(doc, dict) else None
    return value.casefold() if isinstance(value, str) else None
