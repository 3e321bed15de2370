"""failures: one classification of every failure into (kind, permanent, stage), the one that
both the retry policy and the result use."""

from __future__ import annotations

import http.client
import socket
import ssl

import pytest
from urllib3.exceptions import (
    ConnectTimeoutError,
    LocationParseError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)

from titlefetch._errors import ERROR_KINDS, FetchError
from titlefetch._options import FetchOptions
from titlefetch.http._codings import ContentDecodingError, UnsupportedCoding
from titlefetch.http._failures import CONNECT, RESPONSE, classify, timed_out
from titlefetch.http._parser import CutShort, HeadTooLarge, MalformedResponse, NoResponse

URL = "http://example.test:8080/page"
LIMITS = FetchOptions(timeout=7.0, connect_timeout=3.0)


def unverified() -> ssl.SSLCertVerificationError:
    error = ssl.SSLCertVerificationError(1, "certificate verify failed")
    error.verify_message = "self-signed certificate"
    return error


@pytest.mark.parametrize(
    ("exc", "kind", "permanent", "words"),
    [
        (
            socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
            "dns",
            True,
            "example.test",
        ),
        (socket.gaierror(socket.EAI_AGAIN, "Temporary failure"), "dns", False, "check the name"),
        (unverified(), "tls", True, "self-signed certificate"),
        (ssl.SSLError(1, "handshake failure"), "tls", True, "TLS handshake failed"),
        (ConnectionRefusedError(111, "refused"), "refused", False, "example.test:8080"),
        (ConnectTimeoutError("no connection"), "timeout", False, "--connect-timeout"),
        (TimeoutError(), "timeout", False, "--timeout"),
        (HeadTooLarge("more than 100"), "too_large", True, "too large"),
        (http.client.HTTPException("got more than 100 headers"), "too_large", True, "100"),
        (http.client.LineTooLong("header line"), "too_large", True, "256 KB"),
        (UnsupportedCoding("br", "the body is br-encoded"), "unsupported_encoding", True, "br"),
        (ContentDecodingError("bad gzip"), "reset", True, "Content-Encoding"),
        (MalformedResponse("malformed response: Invalid status"), "reset", True, "Invalid status"),
        (http.client.BadStatusLine("ICY 200"), "reset", True, "status line"),
        (CutShort("closed before the end"), "reset", False, "closed"),
        (NoResponse("closed without a response"), "reset", False, "closed"),
        (ConnectionResetError(104, "reset"), "reset", False, "reset the connection"),
        (BrokenPipeError(32, "pipe"), "reset", False, "reset the connection"),
        (ProtocolError("aborted", ConnectionResetError()), "reset", False, "reset"),
        (ReadTimeoutError(None, URL, "read timed out"), "timeout", False, "--timeout"),  # type: ignore[arg-type]
    ],
)
def test_each_failure_has_one_kind_permanence_and_message(exc, kind, permanent, words):
    failure = classify(exc, URL, LIMITS, stage=RESPONSE)
    assert (failure.kind, failure.permanent) == (kind, permanent)
    assert words in failure.message
    assert failure.kind in ERROR_KINDS


def test_the_stage_given_by_the_caller_is_kept():
    error = ConnectionRefusedError(111, "refused")
    assert classify(error, URL, LIMITS, stage=CONNECT).stage == CONNECT
    assert classify(error, URL, LIMITS, stage=RESPONSE).stage == RESPONSE


@pytest.mark.parametrize(
    ("exc", "stage"),
    [
        (NewConnectionError(None, "refused"), CONNECT),  # type: ignore[arg-type]
        (ConnectTimeoutError("slow"), CONNECT),
        (ProtocolError("aborted", ConnectionResetError()), RESPONSE),
    ],
)
def test_the_stage_of_urllib3s_errors_is_told_from_their_type(exc, stage):
    assert classify(exc, URL, LIMITS, stage=None).stage == stage


def test_name_resolution_error_of_urllib3_is_dns():
    error = NameResolutionError("example.test", None, socket.gaierror(-2, "unknown"))  # type: ignore[arg-type]
    failure = classify(error, URL, LIMITS, stage=None)
    assert (failure.kind, failure.stage) == ("dns", CONNECT)


def test_an_expired_deadline_makes_any_failure_a_timeout_that_may_be_retried():
    failure = classify(ConnectionResetError(), URL, LIMITS, stage=RESPONSE, expired=True)
    assert (failure.kind, failure.permanent) == ("timeout", False)
    assert "7s" in failure.message
    assert timed_out(LIMITS).message == failure.message


def test_a_fetch_error_passes_unchanged_and_a_bad_location_is_an_invalid_url():
    given = FetchError("bad_redirect", "to ftp", permanent=True)
    assert classify(given, URL, LIMITS, stage=RESPONSE) is given
    failure = classify(LocationParseError("http://[::1"), URL, LIMITS, stage=None)
    assert (failure.kind, failure.permanent) == ("invalid_url", True)


def test_an_error_no_rule_knows_is_a_reset_not_an_internal_error():
    failure = classify(OSError(5, "I/O error"), URL, LIMITS, stage=RESPONSE)
    assert failure.kind == "reset"
