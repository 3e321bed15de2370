"""get_title(): one URL -> a TitleResult, never an exception for network or HTTP trouble."""

from __future__ import annotations

import contextlib
import os
import pickle
import threading
from collections.abc import Callable
from dataclasses import replace

import pytest

from tests import fault_server as fs
from tests.page_server import Page, PageServer
from titlefetch._options import FetchOptions
from titlefetch._results import Failure
from titlefetch.run._work import get_title

OPTIONS = FetchOptions(timeout=2, retries=0)


def test_success_records_title_status_and_where_it_ran(server):
    page = Page(b"<html><title> Hello \n World </title>", headers=(("Content-Type", "text/html"),))
    url = server.add("/page", page)
    result = get_title(url, OPTIONS)
    assert (result.title, result.status, result.error) == ("Hello World", 200, None)
    assert result.final_url == url
    assert result.content_type == "text/html"
    assert result.pid == os.getpid()
    assert result.thread == threading.current_thread().name
    assert result.elapsed_ms >= 0


@pytest.mark.parametrize(
    ("status", "body", "content_type", "kind", "title"),
    [
        # An error page keeps its error kind and reports its own title (#17).
        (404, b"<title>Not Found</title>", "text/html", "http_4xx", "Not Found"),
        (503, b"<title>Busy</title>", "text/html", "http_5xx", "Busy"),
        (
            500,
            "<title>Erreur – serveur</title>".encode("cp1252"),
            "text/html",
            "http_5xx",
            "Erreur – serveur",
        ),
        (404, b"no title", "text/html", "http_4xx", None),
        (410, b"<title>Gone</title>", "text/plain", "http_4xx", None),
        (200, b"%PDF-1.4 <title>x</title>", "application/pdf", "not_html", None),
        (200, b"<html><body>no title here</body></html>", "text/html", "no_title", None),
    ],
)
def test_http_trouble_becomes_an_error_kind(server, status, body, content_type, kind, title):
    url = server.add("/page", Page(body, status, headers=(("Content-Type", content_type),)))
    result = get_title(url, OPTIONS)
    assert result.title == title
    assert result.error is not None
    assert result.error.kind == kind
    assert result.status == status


@pytest.mark.parametrize(
    ("content_type", "body", "message"),
    [
        ("text/html", b"<html><body>no title here</body></html>", "the page has no <title>"),
        ("text/html", b"<title></title><p>x", "the page's <title> is empty"),
        ("text/html", b"<title> \t\n &#32; </title>", "the page's <title> is empty"),
        (
            "application/xhtml+xml",
            b'<html xmlns="http://www.w3.org/1999/xhtml"><title>  </title></html>',
            "the page's <title> is empty",
        ),
    ],
)
def test_an_empty_title_is_told_from_a_missing_one(server, content_type, body, message):
    # #23: `<title>   </title>` said "the page has no <title>", sending one to look for a tag.
    url = server.add("/page", Page(body, headers=(("Content-Type", content_type),)))
    result = get_title(url, OPTIONS)
    assert result.title is None
    assert result.error == Failure("no_title", message)


Arrange = Callable[[PageServer, contextlib.ExitStack], str]  # sets up a fault; returns its URL


def _connect_never_completes(server: PageServer, stack: contextlib.ExitStack) -> str:
    return f"http://127.0.0.1:{stack.enter_context(fs.full_listen_queue())}/page"


def _redirect_loop(server: PageServer, stack: contextlib.ExitStack) -> str:
    return server.add("/page", Page(status=302, headers=(("Location", "/page"),)))


@pytest.mark.parametrize(
    ("arrange", "kind"),
    [
        pytest.param(_connect_never_completes, "timeout", id="connect-never-completes"),
        pytest.param(_redirect_loop, "too_many_redirects", id="redirect-loop"),
    ],
)
def test_network_errors_become_results_not_exceptions(server, arrange, kind):
    with contextlib.ExitStack() as stack:
        url = arrange(server, stack)
        result = get_title(url, replace(OPTIONS, connect_timeout=0.5))
    assert result.error is not None
    assert result.error.kind == kind


def test_result_survives_pickling_for_the_process_backend(server):
    url = server.add("/page", Page(b"<title>x</title>", headers=(("Content-Type", "text/html"),)))
    result = get_title(url, OPTIONS)
    assert pickle.loads(pickle.dumps(result)) == result
    assert pickle.loads(pickle.dumps(OPTIONS)) == OPTIONS


RUSSIAN = "Новости дня: погода"


@pytest.mark.parametrize(
    ("body", "content_type", "encoding", "source"),
    [
        ("\ufeff<title>\u00e9</title>".encode(), "text/html; charset=koi8-r", "utf-8", "bom"),
        (
            f"<title>{RUSSIAN}</title>".encode("koi8-r"),
            "text/html; charset=koi8-r",
            "koi8-r",
            "header",
        ),
        (
            f"<meta charset=koi8-r><title>{RUSSIAN}</title>".encode("koi8-r"),
            "text/html",
            "koi8-r",
            "meta",
        ),
        (
            f'<?xml version="1.0" encoding="koi8-r"?><title>{RUSSIAN}</title>'.encode("koi8-r"),
            "text/html",
            "koi8-r",
            "xml",
        ),
        (
            f"<title>{RUSSIAN}</title><p>{RUSSIAN}</p>".encode("cp1251"),
            "text/html",
            "windows-1251",
            "guess",
        ),
        (f"<title>{RUSSIAN}</title>".encode(), "text/html", "utf-8", "guess"),
        (b"<title>Ascii</title>", "text/html", "windows-1252", "default"),
    ],
)
def test_result_records_the_encoding_and_its_source(server, body, content_type, encoding, source):
    url = server.add("/page", Page(body, headers=(("Content-Type", content_type),)))
    result = get_title(url, OPTIONS)
    assert result.error is None and result.title in (RUSSIAN, "\u00e9", "Ascii")
    assert (result.encoding, result.encoding_source) == (encoding, source)


def test_a_page_without_a_title_type_has_no_encoding(server):
    url = server.add(
        "/page", Page(b"%PDF <title>x</title>", headers=(("Content-Type", "application/pdf"),))
    )
    result = get_title(url, OPTIONS)
    assert (result.encoding, result.encoding_source) == (None, None)


@pytest.mark.parametrize(
    ("content_type", "body", "title", "kind"),
    [
        (
            "text/xml",
            b'<html xmlns="http://www.w3.org/1999/xhtml"><title>XHTML as text/xml</title></html>',
            "XHTML as text/xml",
            None,
        ),
        (  # a kind of document without titles, as an image is
            "application/rss+xml",
            b"<rss><channel><title>Feed</title></channel></rss>",
            None,
            "not_html",
        ),
        (  # an XHTML document that lacks one
            "application/xhtml+xml",
            b'<html xmlns="http://www.w3.org/1999/xhtml"><head></head><body/></html>',
            None,
            "no_title",
        ),
        (  # the same namespace test in any XML type: text/xml names no kind of document
            "text/xml",
            b'<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom</title></feed>',
            None,
            "not_html",
        ),
    ],
)
def test_xml_documents_have_the_browsers_title(server, content_type, body, title, kind):
    url = server.add("/doc", Page(body, headers=(("Content-Type", content_type),)))
    result = get_title(url, OPTIONS)
    assert result.title == title
    assert (result.error.kind if result.error else None) == kind


def test_markup_too_costly_to_search_is_too_large_not_a_stall(server):
    # 200,000 nested SVG elements: the title search gives up within its work budget (#14).
    body = b"<svg>" + b"<g>" * 200_000 + b"<title>Late</title>"
    url = server.add("/page", Page(body, headers=(("Content-Type", "text/html"),)))
    result = get_title(url, OPTIONS)
    assert result.title is None
    assert result.error is not None and result.error.kind == "too_large"
    assert result.error.message.startswith("gave up: the markup of")


# -- --follow-refresh (#18) ---------------------------------------------------------------

FOLLOWING = replace(OPTIONS, follow_refresh=True)


def refreshing(content: str, *, filler: int = 0, status: int = 200, content_type="text/html"):
    """A page titled "Wait" whose meta refresh (after the title, and `filler` bytes) says
    `content`."""
    body = (
        "<!doctype html><html><head><title>Wait</title>"
        + "<!--"
        + "x" * filler
        + "-->"
        + f'<meta http-equiv="refresh" content="{content}"></head><body>Wait</body></html>'
    )
    headers = (("Content-Type", content_type),) if content_type else ()
    return Page(body.encode(), status, headers=headers)


@pytest.mark.parametrize(
    ("page", "title"),
    [
        (refreshing("0; url=/target"), "Target"),
        (refreshing("5; url=/target"), "Target"),  # the longest delay followed
        (refreshing("6; url=/target"), "Wait"),  # a page that reloads or moves on once read
        (refreshing("0; url=/target", content_type=""), "Target"),  # no type: sniffed as HTML
        (refreshing("0; url=/target", status=404), "Wait"),  # an error page keeps its error
        (refreshing("0; url=/target", status=500), "Wait"),
        (refreshing("0; url=/target", content_type="text/plain"), None),  # not HTML: none
        (refreshing("0; url=/target", filler=20_000), "Target"),  # well after the title
        (refreshing("0; url=/target", filler=40_000), "Wait"),  # beyond the 32 KB read for one
    ],
)
def test_which_refreshes_are_followed(server, page, title):
    url = server.add("/page", page)
    server.add("/target", Page(b"<title>Target</title>"))
    result = get_title(url, FOLLOWING)
    assert result.title == title
    followed = title == "Target"
    assert (result.refreshes, server.hits["/target"]) == ((1, 1) if followed else (0, 0))
    assert result.final_url == (server.url("/target") if followed else url)
    assert result.status == (200 if followed else page.status)


def test_a_refresh_in_a_noscript_in_the_body_is_followed(server):
    # Redirectors send a script for browsers with JavaScript and this for the others.
    body = b"<script>location.replace('/target')</script><noscript>"
    body += b'<meta http-equiv="refresh" content="0;URL=\'/target\'"></noscript>'
    url = server.add("/page", Page(body))
    server.add("/target", Page(b"<title>Target</title>"))
    assert get_title(url, FOLLOWING).title == "Target"


def test_a_refresh_is_looked_for_in_the_first_32_kb_and_no_further(server):
    # Off, reading stops at the title; on, it goes on to 32 KB (and the chunk that passes it).
    url = server.add("/page", refreshing("600", filler=200_000))
    assert get_title(url, OPTIONS).bytes_read < 32 * 1024
    read = get_title(url, FOLLOWING).bytes_read
    assert 32 * 1024 <= read <= 48 * 1024
