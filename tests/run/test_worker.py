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
from titlefetch.http.fetch import FetchOptions
from titlefetch.run.worker import get_title

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
