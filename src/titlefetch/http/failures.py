"""Network and HTTP exceptions -> FetchError: a stable kind and a message naming the fix."""

from __future__ import annotations

import errno
import http.client
import socket
import ssl
from collections.abc import Callable
from typing import Protocol
from urllib.parse import urlsplit

from urllib3.exceptions import (
    ConnectTimeoutError,
    DecodeError,
    LocationValueError,
    NameResolutionError,
    ReadTimeoutError,
)
from urllib3.exceptions import SSLError as Urllib3SSLError

from titlefetch.errors import FetchError
from titlefetch.http import deadline
from titlefetch.http.codings import ContentDecodingError
from titlefetch.http.origin import Origin
from titlefetch.http.transport import causes


class Limits(Protocol):
    """The options a message can point at (FetchOptions has them)."""

    @property
    def timeout(self) -> float: ...
    @property
    def connect_timeout(self) -> float: ...
    @property
    def max_redirects(self) -> int: ...


def timeout_message(options: Limits) -> str:
    return f"no complete answer within {options.timeout:g}s (raise --timeout)"


def describe_failure(exc: BaseException, url: str, options: Limits) -> FetchError:
    """The FetchError for `exc`, raised while fetching `url` (the hop that failed)."""
    if deadline.expired():
        return FetchError("timeout", timeout_message(options))
    if isinstance(exc, FetchError):
        return exc
    if isinstance(exc, LocationValueError):  # URLSchemeUnknown and LocationParseError too
        return FetchError("invalid_url", f"not a fetchable URL: {exc}")
    return _classify(list(causes(exc)), url, options)


def _classify(chain: list[BaseException], url: str, options: Limits) -> FetchError:
    def has(test: Callable[[BaseException], bool]) -> bool:
        return any(test(cause) for cause in chain)

    if has(_is_dns):
        return FetchError("dns", f"cannot resolve {urlsplit(url).hostname} (check the name)")
    if has(_is_tls):
        return FetchError("tls", _tls_message(chain))
    if has(_is_refused):
        return FetchError("refused", f"nothing accepts connections at {_host(url)}")
    if has(_is_header_overflow):
        return FetchError("too_large", "the response headers are too large (over 100 or 64 KB)")
    if has(_is_connect_timeout):
        message = f"no connection within {options.connect_timeout:g}s (raise --connect-timeout)"
        return FetchError("timeout", message)
    if has(_is_timeout):
        return FetchError("timeout", timeout_message(options))
    if has(_is_decode_error):
        return FetchError("reset", "the body does not decode as its Content-Encoding says")
    if has(_is_reset):
        return FetchError("reset", "the server reset the connection")
    return FetchError("reset", "the server closed the connection before the response was complete")


def _is_dns(cause: BaseException) -> bool:
    return isinstance(cause, NameResolutionError | socket.gaierror)


def _is_tls(cause: BaseException) -> bool:
    return isinstance(cause, ssl.SSLError | ssl.CertificateError | Urllib3SSLError)


def _is_refused(cause: BaseException) -> bool:
    unreachable = (errno.ECONNREFUSED, errno.ENETUNREACH, errno.EHOSTUNREACH)
    return isinstance(cause, OSError) and cause.errno in unreachable


def _is_header_overflow(cause: BaseException) -> bool:
    if isinstance(cause, http.client.LineTooLong):
        return True
    return isinstance(cause, http.client.HTTPException) and "more than" in str(cause)


def _is_connect_timeout(cause: BaseException) -> bool:
    # NewConnectionError subclasses ConnectTimeoutError: only the exact class is a timeout.
    return type(cause) is ConnectTimeoutError


def _is_timeout(cause: BaseException) -> bool:
    return isinstance(cause, ReadTimeoutError | TimeoutError)


def _is_decode_error(cause: BaseException) -> bool:
    return isinstance(cause, DecodeError | ContentDecodingError)


def _is_reset(cause: BaseException) -> bool:
    return isinstance(cause, ConnectionResetError | ConnectionAbortedError | BrokenPipeError)


def _host(url: str) -> str:
    try:
        return str(Origin.of(url))
    except ValueError:
        return url


def _tls_message(chain: list[BaseException]) -> str:
    for cause in chain:
        if isinstance(cause, ssl.SSLCertVerificationError):
            reason = cause.verify_message or cause.reason or "invalid certificate"
            return f"certificate not trusted: {reason} (use --ca-bundle FILE, or --insecure)"
    reasons = [str(c.reason) for c in chain if isinstance(c, ssl.SSLError) and c.reason]
    return f"TLS handshake failed: {reasons[0] if reasons else 'unknown reason'}"
