"""Titles end to end: which types have one, the HTML or XML path, reading as bytes arrive."""

from __future__ import annotations

import pytest

from titlefetch.html._titles import PageTitle, TitleReader, extract_title, find_page_title
from titlefetch.html.settling import is_title_settled

HTML = ("text/html; charset=utf-8",)


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/json", "text/css", "image/png"]
)
def test_non_html_types_have_no_title_even_with_title_bytes(content_type: str) -> None:
    body = b"<html><title>Looks like HTML</title></html>"
    assert extract_title(body, (content_type,)) is None
    assert is_title_settled(b"", (content_type,)) is True


def test_no_content_type_is_read_as_html() -> None:
    assert extract_title(b"<title>Sniffed</title>", ()) == "Sniffed"


@pytest.mark.parametrize(
    "markup",
    [
        "<title>Plain</title>",
        "<script>'<title>no</title>'</script><title>After &amp; script</title>",
        "<meta charset=shift_jis><title>\u65e5\u672c</title>",
        "<title>Never closed",
        "<p>no title</p>",
    ],
)
def test_title_reader_answers_as_extract_title_without_walking_twice(monkeypatch, markup):
    import titlefetch.html.html_titles as titles

    charset = "shift_jis" if "shift_jis" in markup else "utf-8"
    body = markup.encode(charset)
    walks = []
    real_find_title = titles.find_title

    def counted_find_title(text):
        walks.append(text)
        return real_find_title(text)

    monkeypatch.setattr(titles, "find_title", counted_find_title)
    reader = TitleReader()
    settled = reader.is_settled(body, HTML)
    walked = len(walks)
    assert reader.read(body, HTML) == find_page_title(body, HTML)
    if settled:  # the walk that settled the title is reused: one more walk for extract_title
        assert len(walks) == walked + 1
    assert reader.read(body + b" ", HTML) == find_page_title(body + b" ", HTML)  # another body


RUSSIAN = "Новости дня: погода"


@pytest.mark.parametrize(
    ("body", "content_type", "encoding", "source"),
    [
        (b"\xef\xbb\xbf<title>x</title>", "text/html; charset=koi8-r", "utf-8", "bom"),
        (b"<title>x</title>", "text/html; charset=latin1", "windows-1252", "header"),
        (b"<meta charset=koi8-r><title>x</title>", "text/html", "koi8-r", "meta"),
        (b'<?xml version="1.0" encoding="koi8-r"?><title>x</title>', "text/html", "koi8-r", "xml"),
        (b"<title>x</title>", "text/html", "windows-1252", "default"),
        ("<title>\u00e9t\u00e9</title>".encode(), "text/html", "utf-8", "guess"),
        (f"<title>{RUSSIAN}</title><p>{RUSSIAN}</p>".encode("cp1251"), "", "windows-1251", "guess"),
        (
            b'<?xml version="1.0" encoding="iso-8859-2"?><svg xmlns="http://www.w3.org/2000/svg"/>',
            "image/svg+xml",
            "iso-8859-2",
            "xml",
        ),
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml", "utf-8", "default"),
    ],
)
def test_page_title_says_which_encoding_and_where_it_came_from(
    body: bytes, content_type: str, encoding: str, source: str
) -> None:
    found = find_page_title(body, (content_type,) if content_type else ())
    assert (found.encoding, found.encoding_source) == (encoding, source)


def test_types_without_a_title_have_no_encoding() -> None:
    assert find_page_title(b"<title>x</title>", ("image/png",)) == PageTitle(None, None, None)
