"""Network and HTTP failures -> FetchError: the one classification that gives each failure its
stable kind, a message naming the fix, whether a retry could help and at which stage it came.

The retry policy (_transport.py) and the result (_fetch.py) both use it, so a failure that is
reported as permanent is never retried and the other way round.
"""

from __future__ import annotations

import errno
import http.client
import socket
import ssl
from collections.abc import Callable, Iterator
from typing import Protocol

from urllib3.exceptions import (
    ConnectTimeoutError,
    DecodeError,
    HTTPError,
    LocationValueError,
    NameResolutionError,
    NewConnectionError,
    ReadTimeoutError,
)
from urllib3.exceptions import SSLError as Urllib3SSLError

from titlefetch._errors import FetchError
from titlefetch.http._codings import ContentDecodingError, UnsupportedCoding
from titlefetch.http._origins import Origin
from titlefetch.http._parser import CutShort, HeadTooLarge, MalformedResponse, ResponseError
from titlefetch.http._trust import Trust

CONNECT, RESPONSE = "connect", "response"  # FetchError.stage
# What a failed request can raise: the socket's, the response reader's, the codings' and, for
# requests through a proxy, urllib3's and http.client's errors.
FAILURES = (
    OSError,
    ResponseError,
    ContentDecodingError,
    UnsupportedCoding,
    http.client.HTTPException,
    HTTPError,
)


class Limits(Protocol):
    """The options a message can point at (FetchOptions has them)."""

    @property
    def timeout(self) -> float: ...
    @property
    def connect_timeout(self) -> float: ...
    @property
    def max_redirects(self) -> int: ...


def timeout_message(limits: Limits) -> str:
    return f"no complete answer within {limits.timeout:g}s (raise --timeout)"


def timed_out(limits: Limits, stage: str | None = RESPONSE) -> FetchError:
    """The failure of an attempt whose deadline passed (a retry gets a fresh one)."""
    return FetchError("timeout", timeout_message(limits), stage=stage)


def is_unreachable(failure: FetchError) -> bool:
    """Whether `failure` is a server that could not be reached although its name resolved:
    refused, a failed TLS handshake or no connection in time, before any response came."""
    return (
        failure.stage == CONNECT
        and failure.kind != "dns"
        and failure.status is None
        and failure.redirects == 0
    )


def classify(
    exc: BaseException,
    url: str,
    limits: Limits,
    *,
    stage: str | None,
    expired: bool = False,
    trust: Trust | None = None,
) -> FetchError:
    """The FetchError for `exc`, raised while fetching `url` (the hop that failed).

    `stage` is where it came (CONNECT or RESPONSE) when the caller knows, None to tell from
    `exc` (urllib3's connection errors are CONNECT); `expired`: the attempt's deadline passed;
    `trust`: what certificates were checked against, named when one is not trusted.
    """
    chain = list(causes(exc))
    stage = stage or (CONNECT if any(map(_is_connecting, chain)) else RESPONSE)
    if isinstance(exc, FetchError):
        return exc
    if expired:
        return timed_out(limits, stage)
    if isinstance(exc, LocationValueError):  # URLSchemeUnknown and LocationParseError too
        return FetchError("invalid_url", f"not a fetchable URL: {exc}", permanent=True)
    kind, message, permanent = _describe(chain, url, limits, trust)
    return FetchError(kind, message, permanent=permanent, stage=stage)


def _describe(
    chain: list[BaseException], url: str, limits: Limits, trust: Trust | None
) -> tuple[str, str, bool]:
    """(kind, message, permanent) for the first rule that an exception of `chain` meets."""

    def first(test: Callable[[BaseException], bool]) -> BaseException | None:
        return next((cause for cause in chain if test(cause)), None)

    if cause := first(_is_dns):
        unknown = isinstance(cause, socket.gaierror) and cause.errno == socket.EAI_NONAME
        return "dns", f"cannot resolve {_host_name(url)} (check the name)", unknown
    if first(_is_tls):
        return "tls", _tls_message(chain, trust), True
    if first(_is_refused):
        return "refused", f"nothing accepts connections at {_host(url)}", False
    if cause := first(_is_unsupported_coding):
        return "unsupported_encoding", str(cause), True
    if first(_is_head_overflow):
        message = "the response headers are too large (over 256 KB; through a proxy, 100 lines)"
        return "too_large", message, True
    if first(_is_connect_timeout):
        fix = "raise --connect-timeout"
        return "timeout", f"no connection within {limits.connect_timeout:g}s ({fix})", False
    if first(_is_timeout):
        return "timeout", timeout_message(limits), False
    if first(_is_decode_error):
        return "reset", "the body does not decode as its Content-Encoding says", True
    if cause := first(_is_malformed):
        return "reset", f"the server sent a {_malformed_reason(cause)}", True
    if first(_is_reset):
        return "reset", "the server reset the connection", False
    return "reset", "the server closed the connection before the response was complete", False


def causes(error: BaseException) -> Iterator[BaseException]:
    """`error` and every exception it wraps: reason, args, __cause__ and __context__."""
    seen: set[int] = set()
    todo = [error]
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        inner = [getattr(current, "reason", None), *current.args]
        inner += [current.__cause__, current.__context__]
        todo += [item for item in inner if isinstance(item, BaseException)]


def _is_connecting(cause: BaseException) -> bool:
    # urllib3's errors before the request went out (NewConnectionError is a
    # ConnectTimeoutError; NameResolutionError a NewConnectionError).
    return isinstance(cause, ConnectTimeoutError | NewConnectionError)


def _is_dns(cause: BaseException) -> bool:
    return isinstance(cause, NameResolutionError | socket.gaierror)


def _is_tls(cause: BaseException) -> bool:
    return isinstance(cause, ssl.SSLError | ssl.CertificateError | Urllib3SSLError)


def _is_refused(cause: BaseException) -> bool:
    unreachable = (errno.ECONNREFUSED, errno.ENETUNREACH, errno.EHOSTUNREACH)
    return isinstance(cause, OSError) and cause.errno in unreachable


def _is_unsupported_coding(cause: BaseException) -> bool:
    return isinstance(cause, UnsupportedCoding)


def _is_head_overflow(cause: BaseException) -> bool:
    if isinstance(cause, HeadTooLarge | http.client.LineTooLong):
        return True
    # http.client (requests through a proxy) says "got more than 100 headers" and nothing else
    return type(cause) is http.client.HTTPException and "more than" in str(cause)


def _is_connect_timeout(cause: BaseException) -> bool:
    # NewConnectionError subclasses ConnectTimeoutError: only the exact class is a timeout.
    return type(cause) is ConnectTimeoutError


def _is_timeout(cause: BaseException) -> bool:
    return isinstance(cause, ReadTimeoutError | TimeoutError)


def _is_decode_error(cause: BaseException) -> bool:
    return isinstance(cause, DecodeError | ContentDecodingError)


def _is_malformed(cause: BaseException) -> bool:
    return isinstance(cause, MalformedResponse | http.client.BadStatusLine)


def _malformed_reason(cause: BaseException) -> str:
    if isinstance(cause, MalformedResponse):
        return str(cause)
    return "malformed response: not an HTTP/1.1 status line"


def _is_reset(cause: BaseException) -> bool:
    if isinstance(cause, CutShort):
        return False  # closed, not reset: the fallback message says so
    return isinstance(cause, ConnectionResetError | ConnectionAbortedError | BrokenPipeError)


def _host_name(url: str) -> str:
    try:
        return Origin.of(url).host
    except ValueError:
        return url


def _host(url: str) -> str:
    try:
        return str(Origin.of(url))
    except ValueError:
        return url


def _tls_message(chain: list[BaseException], trust: Trust | None) -> str:
    for cause in chain:
        if isinstance(cause, ssl.SSLCertVerificationError):
            reason = cause.verify_message or cause.reason or "invalid certificate"
            if trust is None:
                return f"certificate not trusted: {reason} (use --ca-bundle FILE, or --insecure)"
            return (
                f"certificate not trusted: {reason} (checked against {trust.source}; {trust.fix})"
            )
    # An SSLError made by hand (urllib3 wraps some) has no `reason` attribute at all.
    reasons = [str(getattr(c, "reason", "")) for c in chain if isinstance(c, ssl.SSLError)]
    reasons = [reason for reason in reasons if reason]
    return f"TLS handshake failed: {reasons[0] if reasons else 'unknown reason'}"
