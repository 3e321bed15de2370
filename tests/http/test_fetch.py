"""fetch_page against real servers on 127.0.0.1: headers sent, body reading, redirects, errors."""

from __future__ import annotations

import contextlib
import os
import socket
import time
import warnings
from collections.abc import Callable
from dataclasses import replace

import pytest
import trustme

from tests import fault_server as fs
from tests.fault_server import FaultServer
from tests.page_server import Page, html_page
from titlefetch import __version__
from titlefetch._errors import FetchError
from titlefetch._options import FetchOptions
from titlefetch.http._clients import client_for
from titlefetch.http._deadline import Deadline
from titlefetch.http._fetch import RunHooks, fetch_page
from titlefetch.http._origins import Origin

URL = "http://example.test/page"  # never fetched: a key for the client's pools
OPTIONS = FetchOptions(retries=0)


def never_enough(body: bytes, content_types: object) -> bool:
    return False


def has_title_end(body: bytes, content_types: object) -> bool:
    return b"</title>" in body


def test_default_user_agent_names_titlefetch_and_its_version(server):
    url = server.add("/page", Page(b"<title>x</title>"))
    fetch_page(url, OPTIONS, is_enough=has_title_end)
    sent = server.request_headers["/page"]
    assert sent["user-agent"].startswith(f"titlefetch/{__version__} ")


def test_user_agent_and_extra_headers_are_sent(server):
    url = server.add("/page", Page(b"<title>x</title>"))
    options = replace(OPTIONS, user_agent="probe/1", headers=(("X-Token", "abc"),))
    fetch_page(url, options, is_enough=has_title_end)
    sent = server.request_headers["/page"]
    assert (sent["user-agent"], sent["x-token"]) == ("probe/1", "abc")


def test_a_header_given_in_any_letter_case_replaces_the_default():
    options = replace(OPTIONS, headers=(("accept", "text/html"),), user_agent="case/1")
    headers = client_for(options).headers
    assert [name for name in headers if name.lower() == "accept"] == ["accept"]
    assert headers["accept"] == "text/html"


def test_reading_stops_once_is_enough_says_so(server):
    url = server.add("/page", Page(b"<title>Early</title>" + b"x" * 500_000))
    page = fetch_page(url, OPTIONS, is_enough=has_title_end)
    assert page.body.startswith(b"<title>Early</title>")
    assert len(page.body) < 100_000
    assert not page.truncated


def test_body_is_cut_at_max_bytes_and_marked_truncated(server):
    url = server.add("/page", Page(b"y" * 50_000))
    page = fetch_page(url, replace(OPTIONS, max_bytes=4096), is_enough=never_enough)
    assert (len(page.body), page.truncated) == (4096, True)


def test_short_body_read_to_the_end_is_not_truncated(server):
    url = server.add("/page", Page(b"<p>no title</p>"))
    page = fetch_page(url, OPTIONS, is_enough=never_enough)
    assert (page.body, page.truncated) == (b"<p>no title</p>", False)


def test_body_is_not_read_when_empty_prefix_is_enough(server):
    pdf = Page(b"%PDF-1.7 ...", headers=(("Content-Type", "application/pdf"),))
    url = server.add("/page", pdf)
    page = fetch_page(url, OPTIONS, is_enough=lambda body, types: True)
    assert page.body == b""


def test_error_status_body_is_read_for_its_title(server):
    # An error page's title says which page answered (#17).
    url = server.add("/page", Page(b"<title>Not Found</title>", status=404))
    page = fetch_page(url, OPTIONS, is_enough=never_enough)
    assert (page.status, page.body) == (404, b"<title>Not Found</title>")


def redirect(location: str, status: int = 302, *headers: tuple[str, str]) -> Page:
    return Page(status=status, headers=(("Location", location), *headers))


def test_redirects_are_followed_and_counted(server):
    url = server.add("/a", redirect(server.url("/b"), 301))
    server.add("/b", redirect("/c"))
    server.add("/c", Page(b"<title>C</title>"))
    page = fetch_page(url, OPTIONS, is_enough=has_title_end)
    assert (page.final_url, page.redirects, page.status) == (server.url("/c"), 2, 200)


def test_redirect_to_ftp_is_a_bad_redirect_and_not_followed(server):
    target = server.base.replace("http://", "ftp://") + "/file"  # the server's own port
    url = server.add("/page", redirect(target))
    with pytest.raises(FetchError) as caught:
        fetch_page(url, OPTIONS, is_enough=has_title_end)
    assert caught.value.kind == "bad_redirect"
    assert target in caught.value.message
    assert dict(server.hits) == {"/page": 1}


def test_redirect_chain_longer_than_max_redirects_fails(server):
    for n in range(4):
        server.add(f"/{n}", redirect(f"/{n + 1}"))
    with pytest.raises(FetchError) as caught:
        fetch_page(server.url("/0"), replace(OPTIONS, max_redirects=3), is_enough=has_title_end)
    assert caught.value.kind == "too_many_redirects"
    assert "--max-redirects" in caught.value.message


# -- transport errors: each produced for real, on 127.0.0.1 or in the resolver ----------

FAULT_OPTIONS = replace(OPTIONS, timeout=1.0, connect_timeout=0.5)
Arrange = Callable[[contextlib.ExitStack], str]  # sets up a fault; returns its URL


def _served(handler: fs.Handler) -> Arrange:
    def arrange(stack: contextlib.ExitStack) -> str:
        return stack.enter_context(FaultServer()).add("/page", handler)

    return arrange


def _unresolvable(stack: contextlib.ExitStack) -> str:
    # .invalid never resolves (RFC 6761); with the leading hyphen glibc refuses the name
    # itself, so no query leaves the machine.
    return "http://-no-such-host.invalid/page"


def _nothing_listening(stack: contextlib.ExitStack) -> str:
    return f"http://127.0.0.1:{fs.closed_port()}/page"


def _connect_never_completes(stack: contextlib.ExitStack) -> str:
    return f"http://127.0.0.1:{stack.enter_context(fs.full_listen_queue())}/page"


def _untrusted_certificate(stack: contextlib.ExitStack) -> str:
    context = fs.server_tls(trustme.CA(), "localhost")
    return stack.enter_context(FaultServer(tls=context)).add("/page", fs.title_page("Secret"))


def _no_host(stack: contextlib.ExitStack) -> str:
    return "http:///page"


@pytest.mark.parametrize(
    ("arrange", "kind"),
    [
        pytest.param(_unresolvable, "dns", id="unresolvable-name"),
        pytest.param(_nothing_listening, "refused", id="nothing-listening"),
        pytest.param(_served(fs.reset_mid_body), "reset", id="reset-mid-body"),
        pytest.param(_served(fs.close_before_answering), "reset", id="closed-before-answering"),
        pytest.param(_served(fs.close_mid_body), "reset", id="closed-mid-body"),
        pytest.param(_served(fs.never_answer), "timeout", id="never-answers"),
        pytest.param(_connect_never_completes, "timeout", id="connect-never-completes"),
        pytest.param(_untrusted_certificate, "tls", id="untrusted-certificate"),
        pytest.param(_no_host, "invalid_url", id="no-host"),
    ],
)
def test_transport_errors_become_their_kind(arrange, kind):
    with contextlib.ExitStack() as stack:
        url = arrange(stack)
        with pytest.raises(FetchError) as caught:
            fetch_page(url, FAULT_OPTIONS, is_enough=has_title_end)
    assert caught.value.kind == kind
    assert caught.value.message


def test_one_client_per_process_and_options_shared_by_its_threads():
    import threading

    clients = []
    thread = threading.Thread(target=lambda: clients.append(client_for(OPTIONS)))
    thread.start()
    thread.join()
    here = client_for(OPTIONS)
    assert clients[0] is here
    assert here.transport.connections is clients[0].transport.connections
    other = client_for(replace(OPTIONS, per_host=2))
    assert other.transport.connections is not here.transport.connections


def test_idle_connections_per_host_are_kept_up_to_per_host(server):
    import threading

    options = replace(OPTIONS, per_host=2, user_agent="idle/1")  # a client of its own
    urls = [server.add(f"/{n}", Page(b"<title>x</title>", delay=0.2)) for n in range(3)]
    threads = [
        threading.Thread(target=fetch_page, args=(url, options), kwargs={"is_enough": never_enough})
        for url in urls
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    connections = client_for(options).transport.connections
    origin = Origin("http", "127.0.0.1", int(urls[0].split(":")[2].split("/")[0]))
    with Deadline(5) as deadline:
        idle = [connections.take_idle(origin, deadline), connections.take_idle(origin, deadline)]
        assert connections.take_idle(origin, deadline) is None  # the third was closed: no room
    for sock in idle:
        assert sock is not None
        sock.close()


def test_fetch_options_pickle_unchanged():
    import pickle

    options = replace(OPTIONS, headers=(("A", "b"),), ca_bundle="/tmp/ca.pem")
    assert pickle.loads(pickle.dumps(options)) == options


def test_body_that_does_not_decode_as_its_content_encoding_is_reset(server):
    headers = (("Content-Type", "text/html"), ("Content-Encoding", "gzip"))
    url = server.add("/page", Page(b"this is not gzip", headers=headers))
    with pytest.raises(FetchError) as caught:
        fetch_page(url, OPTIONS, is_enough=has_title_end)
    assert caught.value.kind == "reset"
    assert "Content-Encoding" in caught.value.message


def test_a_reused_connection_keeps_its_socket_timeout_as_it_is(monkeypatch):
    # urllib3 sets a pooled socket's timeout before each request and each response: every
    # change is an ioctl(), and a timeout would add a poll() before each send.
    calls: list[float | None] = []
    original = socket.socket.settimeout

    def counting(sock: socket.socket, value: float | None) -> None:
        calls.append(value)
        original(sock, value)

    options = replace(OPTIONS, user_agent="steady/1")  # a client of its own: an empty pool
    with FaultServer() as server:
        first = server.add("/first", fs.title_page("First"))
        second = server.add("/second", fs.title_page("Second"))
        fetch_page(first, options, is_enough=has_title_end)
        monkeypatch.setattr(socket.socket, "settimeout", counting)
        page = fetch_page(second, options, is_enough=has_title_end)
    assert b"Second" in page.body
    assert server.connections == 1
    assert calls == []


def test_forked_worker_does_not_share_the_parents_connections():
    # Two processes on one pooled socket read each other's responses (seen with the process
    # backend run from a process that had fetched before).
    parent = client_for(OPTIONS).transport
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Python 3.12+: fork with threads
        pid = os.fork()
    if pid == 0:
        os._exit(0 if client_for(OPTIONS).transport is not parent else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_a_redirect_chain_keeps_its_cookies_but_the_next_url_gets_none(server):
    url = server.add(
        "/login", redirect(server.url("/home"), 302, ("Set-Cookie", "consent=yes; Path=/"))
    )
    server.add("/home", html_page("Home"))
    options = FetchOptions(retries=0)
    page = fetch_page(url, options, is_enough=lambda body, types: False)
    assert (page.status, page.redirects) == (200, 1)
    assert server.request_headers["/home"].get("cookie") == "consent=yes"
    fetch_page(server.url("/home"), options, is_enough=lambda body, types: False)
    assert "cookie" not in server.request_headers["/home"]


@pytest.mark.parametrize(
    ("environment", "proxied"), [({}, False), ({"HTTPS_PROXY": "http://p:3128"}, True)]
)
def test_environment_is_read_per_request_only_when_a_proxy_is_set(
    monkeypatch, environment, proxied
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
    options = FetchOptions(retries=0, timeout=float(len(environment) + 3))  # a fresh client
    assert (client_for(options).transport.proxies is not None) is proxied


# -- issue 14: the deadline bounds the title search, a rest has a budget, credentials ------


def test_the_title_search_is_not_asked_again_once_the_deadline_passed():
    calls: list[int] = []

    def slow_search(body: bytes, content_types: object) -> bool:
        calls.append(len(body))
        if body:
            time.sleep(0.4)  # longer than the whole --timeout: a page costly to search
        return False

    chunks = [b"<!doctype html>" + b"<p>x</p>" * 1000] * 20

    def in_pieces(exchange: fs.Exchange) -> bool:
        exchange.send(fs.response_head("200 OK", "Transfer-Encoding: chunked"))
        for chunk in chunks:
            exchange.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            time.sleep(0.01)
        exchange.send(b"0\r\n\r\n")
        return True

    with FaultServer() as server:
        url = server.add("/costly", in_pieces)
        with pytest.raises(FetchError) as caught:
            fetch_page(url, replace(OPTIONS, timeout=0.3), is_enough=slow_search)
    assert caught.value.kind == "timeout"
    assert len(calls) == 2  # the empty prefix, then one search that outlasted the deadline


def test_a_stalled_rest_costs_the_connection_not_the_result():
    rest_sent = []

    def stall_after_title(exchange: fs.Exchange) -> bool:
        body = fs.html("Early")
        exchange.send(fs.response_head("200 OK", f"Content-Length: {len(body) + 1000}") + body)
        exchange.server.stopping.wait(3)  # far beyond the budget for reading a rest
        exchange.send(b" " * 1000)
        rest_sent.append(True)
        return True

    hooks = RunHooks(entering=lambda url: None, is_wanted=lambda url: True)
    options = replace(OPTIONS, timeout=30.0, user_agent="drain/1")  # a client of its own
    with FaultServer() as server:
        first = server.add("/stalls", stall_after_title)
        second = server.add("/next", fs.title_page("Next"))
        page = fetch_page(first, options, is_enough=has_title_end, hooks=hooks)
        assert b"Early" in page.body
        assert b"Next" in fetch_page(second, options, is_enough=has_title_end, hooks=hooks).body
        assert rest_sent == []  # the result came before the rest
    assert server.connections == 2  # the stalled one was given up, not kept


@pytest.mark.parametrize(("same_origin", "sent"), [(True, True), (False, False)])
def test_credentials_go_along_a_redirect_only_within_its_origin(same_origin, sent):
    """Issue 14: --header Authorization and Cookie must not follow to another port."""
    options = replace(OPTIONS, headers=(("Authorization", "Bearer s3cret"), ("Cookie", "id=7")))
    with FaultServer() as server, FaultServer() as other:
        target = (server if same_origin else other).add("/end", fs.title_page("End"))
        url = server.add("/start", fs.redirect(target))
        fetch_page(url, options, is_enough=has_title_end)
        received = (server if same_origin else other).request_headers["/end"]
    assert ("authorization" in received, "cookie" in received) == (sent, sent)


def test_a_failed_redirect_chain_keeps_how_far_it_got(server):
    server.add("/a", redirect("/b", 301))
    server.add("/b", redirect("http://[::1/x", 307))
    with pytest.raises(FetchError) as caught:
        fetch_page(server.url("/a"), OPTIONS, is_enough=has_title_end)
    failure = caught.value
    assert (failure.kind, failure.redirects, failure.status) == ("bad_redirect", 1, 307)
    assert failure.final_url == server.url("/b")
