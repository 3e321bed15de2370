"""fallback: a host line's https URL, then its http URL only when https cannot connect (#18)."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from tests import fault_server as fs
from tests.fault_server import FaultServer
from titlefetch._errors import FetchError
from titlefetch._options import FetchOptions
from titlefetch.http._clients import close_clients
from titlefetch.http._fallback import fetch_first_reachable
from titlefetch.http._origins import REMEMBER_SECONDS, UnreachableOrigins


def has_title_end(body: bytes, content_types: object) -> bool:
    return b"</title>" in body


@pytest.fixture(autouse=True)
def _fresh_clients() -> Iterator[None]:
    """Each test starts with clients that remember no unreachable origin (a port found
    closed by one test may serve the next)."""
    close_clients()
    yield
    close_clients()


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def options(authority: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> FetchOptions:
    bundle = tmp_path_factory.mktemp("ca") / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    return FetchOptions(timeout=2, connect_timeout=1, retries=1, ca_bundle=str(bundle))


@contextlib.contextmanager
def serving(authority: trustme.CA, *, tls: bool, plain: bool) -> Iterator[FaultServer]:
    """A server on 127.0.0.1 speaking TLS, plain HTTP, or both on its one port."""
    context = None
    if tls:
        context = fs.server_tls(authority, "127.0.0.1")
    with FaultServer(tls=context, plain_too=tls and plain, refuses_tls=not tls) as server:
        yield server


def both_urls(port: int, path: str = "/") -> list[str]:
    return [f"https://127.0.0.1:{port}{path}", f"http://127.0.0.1:{port}{path}"]


@pytest.mark.parametrize(
    ("tls", "plain", "expected_scheme"),
    [
        pytest.param(False, True, "http", id="only-http"),
        pytest.param(True, False, "https", id="only-https"),
        pytest.param(True, True, "https", id="both"),
    ],
)
def test_the_first_url_whose_server_answers_is_fetched(
    authority, options, tls, plain, expected_scheme
):
    with serving(authority, tls=tls, plain=plain) as server:
        server.add("/", fs.title_page("Home"))
        page = fetch_first_reachable(both_urls(server.port), options, is_enough=has_title_end)
    assert page.final_url == f"{expected_scheme}://127.0.0.1:{server.port}/"
    assert page.url == page.final_url  # the URL that answered, not the first one tried
    assert b"<title>Home</title>" in page.body
    assert server.schemes == {expected_scheme: 1}


@pytest.mark.parametrize(
    "handler",
    [
        pytest.param(fs.not_found, id="a-status"),
        pytest.param(fs.close_before_answering, id="closed-after-the-request"),
    ],
)
def test_an_answer_over_https_is_the_result_even_a_failed_one(authority, options, handler):
    with serving(authority, tls=True, plain=True) as server:
        server.add("/", handler)
        try:
            page = fetch_first_reachable(both_urls(server.port), options, is_enough=has_title_end)
        except FetchError as failure:
            assert failure.kind == "reset"
        else:
            assert page.status == 404
    assert server.schemes["http"] == 0


def test_a_redirect_that_cannot_connect_is_not_a_reason_to_try_http(authority, options):
    gone = f"http://127.0.0.1:{fs.closed_port()}/"
    with serving(authority, tls=True, plain=True) as server:
        server.add("/", fs.redirect(gone))
        with pytest.raises(FetchError) as caught:
            fetch_first_reachable(both_urls(server.port), options, is_enough=has_title_end)
    assert (caught.value.kind, caught.value.redirects, caught.value.final_url) == (
        "refused",
        1,
        gone,
    )
    assert server.schemes == {"https": 1}


@contextlib.contextmanager
def silent_listener() -> Iterator[tuple[int, list[socket.socket]]]:
    """A port that accepts connections and never says a word: the accepted sockets listed."""
    accepted: list[socket.socket] = []
    with socket.create_server(("127.0.0.1", 0)) as listener:

        def accept() -> None:
            with contextlib.suppress(OSError):
                while True:
                    accepted.append(listener.accept()[0])

        threading.Thread(target=accept, daemon=True).start()
        try:
            yield listener.getsockname()[1], accepted
        finally:
            for sock in accepted:
                sock.close()


def test_an_unreachable_https_is_not_retried_and_http_gets_the_retries():
    # https times out at connect (no TLS answer), http after its request went out.
    options = FetchOptions(timeout=0.3, connect_timeout=0.2, retries=1)
    with silent_listener() as (port, accepted):
        with pytest.raises(FetchError) as caught:
            fetch_first_reachable(both_urls(port), options, is_enough=has_title_end)
        assert len(accepted) == 1 + 2  # https once; http and its one retry
    assert caught.value.kind == "timeout"
    # http's failure, after its tries, and what https met (#23: both were said only when
    # neither answered).
    http, _, https = caught.value.message.partition("; over https: ")
    assert http == "after 2 tries, no complete answer within 0.3s (raise --timeout)"
    assert https.startswith("timeout: ")


def test_when_neither_answers_the_https_failure_says_what_http_met(authority, options):
    port = fs.closed_port()
    with pytest.raises(FetchError) as caught:
        fetch_first_reachable(both_urls(port), options, is_enough=has_title_end)
    failure = caught.value
    assert (failure.kind, failure.stage, failure.final_url) == ("refused", "connect", None)
    assert failure.message == (
        f"nothing accepts connections at 127.0.0.1:{port}; "  # https: no retry, http's turn
        f"over http: refused: after 2 tries, nothing accepts connections at 127.0.0.1:{port}"
    )


def test_an_untrusted_certificate_falls_back_to_http(options):
    stranger = trustme.CA()  # not in options.ca_bundle
    with serving(stranger, tls=True, plain=True) as server:
        server.add("/", fs.title_page("Home"))
        page = fetch_first_reachable(both_urls(server.port), options, is_enough=has_title_end)
    assert page.final_url.startswith("http://")
    assert server.schemes == {"http": 1}


def test_a_name_that_does_not_resolve_is_looked_up_once(options, monkeypatch):
    lookups: list[str] = []

    def getaddrinfo(host: str, *args: object, **kwargs: object) -> list[object]:
        lookups.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    with pytest.raises(FetchError) as caught:
        urls = ["https://no-such-host.test/", "http://no-such-host.test/"]
        fetch_first_reachable(urls, options, is_enough=has_title_end)
    assert caught.value.kind == "dns"
    assert "over http" not in caught.value.message
    assert lookups == ["no-such-host.test"]


def test_one_url_is_fetched_as_fetch_page_fetches_it(tmp_path: Path, options):
    with FaultServer() as server:
        url = server.add("/", fs.title_page("Home"))
        page = fetch_first_reachable([url], options, is_enough=has_title_end)
    assert (page.url, page.status) == (url, 200)


def test_a_host_found_unreachable_goes_straight_to_http_for_its_next_lines(authority, options):
    with serving(authority, tls=False, plain=True) as server:
        server.add("/a", fs.title_page("A"))
        server.add("/b", fs.title_page("B"))
        first = fetch_first_reachable(
            both_urls(server.port, "/a"), options, is_enough=has_title_end
        )
        second = fetch_first_reachable(
            both_urls(server.port, "/b"), options, is_enough=has_title_end
        )
    assert (first.final_url, second.final_url) == (
        f"http://127.0.0.1:{server.port}/a",
        f"http://127.0.0.1:{server.port}/b",
    )
    # The failed TLS hello and the first line's http connection, which the second reuses.
    assert server.connections == 2


def test_a_remembered_failure_repeats_in_a_result_and_is_forgotten_in_time():
    now = [0.0]
    origins = UnreachableOrigins(clock=lambda: now[0])
    failure = FetchError("refused", "nothing accepts connections at a.test:443", stage="connect")
    origins.remember("https://a.test/x", failure)
    assert origins.failure("https://A.test:443/y") is failure
    assert origins.failure("http://a.test/") is None  # another origin
    now[0] = REMEMBER_SECONDS
    assert origins.failure("https://a.test/") is None
