"""fetch_page with HTTP mocked by `responses`: headers sent, body reading, redirects, errors."""

from __future__ import annotations

import errno
import os
import socket
import warnings
from dataclasses import replace

import pytest
import requests
import responses
from urllib3.exceptions import (
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)

from tests.page_server import html_page
from titlefetch import __version__
from titlefetch.errors import FetchError
from titlefetch.fetch import FetchOptions, fetch_page, session_for

URL = "http://example.test/page"
OPTIONS = FetchOptions(retries=0)


def never_enough(body: bytes, content_types: object) -> bool:
    return False


def has_title_end(body: bytes, content_types: object) -> bool:
    return b"</title>" in body


@responses.activate
def test_default_user_agent_names_titlefetch_and_its_version():
    responses.get(URL, body="<title>x</title>")
    fetch_page(URL, OPTIONS, is_enough=has_title_end)
    assert responses.calls[0].request.headers["User-Agent"].startswith(f"titlefetch/{__version__} ")


@responses.activate
def test_user_agent_and_extra_headers_are_sent():
    responses.get(URL, body="<title>x</title>")
    options = replace(OPTIONS, user_agent="probe/1", headers=(("X-Token", "abc"),))
    fetch_page(URL, options, is_enough=has_title_end)
    sent = responses.calls[0].request.headers
    assert (sent["User-Agent"], sent["X-Token"]) == ("probe/1", "abc")


@responses.activate
def test_reading_stops_once_is_enough_says_so():
    responses.get(URL, body=b"<title>Early</title>" + b"x" * 500_000)
    page = fetch_page(URL, OPTIONS, is_enough=has_title_end)
    assert page.body.startswith(b"<title>Early</title>")
    assert len(page.body) < 100_000
    assert not page.truncated


@responses.activate
def test_body_is_cut_at_max_bytes_and_marked_truncated():
    responses.get(URL, body=b"y" * 50_000)
    page = fetch_page(URL, replace(OPTIONS, max_bytes=4096), is_enough=never_enough)
    assert (len(page.body), page.truncated) == (4096, True)


@responses.activate
def test_short_body_read_to_the_end_is_not_truncated():
    responses.get(URL, body=b"<p>no title</p>")
    page = fetch_page(URL, OPTIONS, is_enough=never_enough)
    assert (page.body, page.truncated) == (b"<p>no title</p>", False)


@responses.activate
def test_body_is_not_read_when_empty_prefix_is_enough():
    responses.get(URL, body=b"%PDF-1.7 ...", content_type="application/pdf")
    page = fetch_page(URL, OPTIONS, is_enough=lambda body, types: True)
    assert page.body == b""


@responses.activate
def test_error_status_body_is_not_read():
    responses.get(URL, body=b"<title>Not Found</title>", status=404)
    page = fetch_page(URL, OPTIONS, is_enough=never_enough)
    assert (page.status, page.body) == (404, b"")


@responses.activate
def test_redirects_are_followed_and_counted():
    responses.get(URL, status=301, headers={"Location": "http://example.test/b"})
    responses.get("http://example.test/b", status=302, headers={"Location": "/c"})
    responses.get("http://example.test/c", body=b"<title>C</title>")
    page = fetch_page(URL, OPTIONS, is_enough=has_title_end)
    assert (page.final_url, page.redirects, page.status) == ("http://example.test/c", 2, 200)


@responses.activate
def test_redirect_to_ftp_is_a_bad_redirect_and_not_followed():
    responses.get(URL, status=302, headers={"Location": "ftp://example.test/file"})
    with pytest.raises(FetchError) as caught:
        fetch_page(URL, OPTIONS, is_enough=has_title_end)
    assert caught.value.kind == "bad_redirect"
    assert "ftp://example.test/file" in caught.value.message
    assert len(responses.calls) == 1


@responses.activate
def test_redirect_chain_longer_than_max_redirects_fails():
    for n in range(4):
        responses.get(f"http://example.test/{n}", status=302, headers={"Location": f"/{n + 1}"})
    with pytest.raises(FetchError) as caught:
        fetch_page(
            "http://example.test/0", replace(OPTIONS, max_redirects=3), is_enough=has_title_end
        )
    assert caught.value.kind == "too_many_redirects"
    assert "--max-redirects" in caught.value.message


def _refused() -> Exception:
    return NewConnectionError(None, "Failed to establish a new connection: [Errno 111] refused")  # type: ignore[arg-type]


def _with_errno(error: Exception, code: int) -> Exception:
    error.__cause__ = OSError(code, "refused")
    return error


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (
            requests.ConnectionError(
                NameResolutionError("example.test", None, socket.gaierror(-2, "unknown"))  # type: ignore[arg-type]
            ),
            "dns",
        ),
        (requests.ConnectionError(_with_errno(_refused(), errno.ECONNREFUSED)), "refused"),
        (
            requests.ConnectionError(ProtocolError("aborted", ConnectionResetError(104, "reset"))),
            "reset",
        ),
        (requests.ConnectionError(ProtocolError("aborted", Exception("closed"))), "reset"),
        (requests.ReadTimeout(ReadTimeoutError(None, URL, "read timed out")), "timeout"),  # type: ignore[arg-type]
        (requests.ConnectTimeout("connect timed out"), "timeout"),
        (requests.exceptions.SSLError("certificate verify failed"), "tls"),
        (requests.exceptions.InvalidURL("no host"), "invalid_url"),
    ],
)
@responses.activate
def test_transport_errors_become_their_kind(error, kind):
    responses.get(URL, body=error)
    with pytest.raises(FetchError) as caught:
        fetch_page(URL, OPTIONS, is_enough=has_title_end)
    assert caught.value.kind == kind
    assert caught.value.message


def test_one_session_per_thread_and_options_all_sharing_one_adapter():
    import threading

    sessions = []
    thread = threading.Thread(target=lambda: sessions.append(session_for(OPTIONS)))
    thread.start()
    thread.join()
    here = session_for(OPTIONS)
    assert session_for(OPTIONS) is here
    assert sessions[0] is not here
    assert sessions[0].get_adapter(URL) is here.get_adapter(URL)
    other = session_for(replace(OPTIONS, per_host=2))
    assert other.get_adapter(URL) is not here.get_adapter(URL)


def test_fetch_options_pickle_unchanged():
    import pickle

    options = replace(OPTIONS, headers=(("A", "b"),), ca_bundle="/tmp/ca.pem")
    assert pickle.loads(pickle.dumps(options)) == options


@responses.activate
def test_body_that_does_not_decode_as_its_content_encoding_is_reset():
    responses.get(URL, body=b"this is not gzip", headers={"Content-Encoding": "gzip"})
    with pytest.raises(FetchError) as caught:
        fetch_page(URL, OPTIONS, is_enough=has_title_end)
    assert caught.value.kind == "reset"
    assert "Content-Encoding" in caught.value.message


def test_forked_worker_does_not_share_the_parents_connections():
    # Two processes on one pooled socket read each other's responses (seen with the process
    # backend run from a process that had fetched before).
    parent = session_for(OPTIONS).get_adapter(URL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Python 3.12+: fork with threads
        pid = os.fork()
    if pid == 0:
        os._exit(0 if session_for(OPTIONS).get_adapter(URL) is not parent else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


@responses.activate
def test_a_redirect_chain_keeps_its_cookies_but_the_session_keeps_none():
    responses.get(
        "http://jar.test/login",
        status=302,
        headers={"Location": "http://jar.test/home", "Set-Cookie": "consent=yes; Path=/"},
    )
    responses.get(
        "http://jar.test/home",
        body=b"<title>Home</title>",
        content_type="text/html",
        match=[responses.matchers.header_matcher({"Cookie": "consent=yes"})],
    )
    options = FetchOptions(retries=0)
    page = fetch_page("http://jar.test/login", options, is_enough=lambda body, types: False)
    assert (page.status, page.redirects) == (200, 1)
    assert len(session_for(options).cookies) == 0


@pytest.mark.parametrize(
    ("environment", "trusted"), [({}, False), ({"HTTPS_PROXY": "http://p:3128"}, True)]
)
def test_environment_is_read_per_request_only_when_a_proxy_is_set(
    monkeypatch, environment, trusted
):
    for name in (
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    options = FetchOptions(retries=0, timeout=float(len(environment) + 3))  # a fresh session
    assert session_for(options).trust_env is trusted


def test_proxy_from_the_environment_carries_the_request(monkeypatch, server):
    # The page server doubles as a plain HTTP proxy: it gets the absolute URL as its path.
    server.add("http://proxied.invalid/page", html_page("Through the proxy"))
    for name in ("NO_PROXY", "no_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", server.base)
    options = FetchOptions(retries=0, timeout=7.5)  # options no other test uses: a new session
    page = fetch_page("http://proxied.invalid/page", options, is_enough=lambda body, types: False)
    assert b"Through the proxy" in page.body
    assert server.hits["http://proxied.invalid/page"] == 1
