"""Titles: which types have one, the HTML title's bytes, its text as shown, when reading stops."""

from __future__ import annotations

import pytest

from titlefetch.html._titles import (
    PageTitle,
    TitleReader,
    as_shown,
    decode_rcdata,
    extract_title,
    find_page_title,
    html_encoding,
    html_title_text,
    is_title_settled,
    locate_html_title,
    normalize_title,
)

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
    import titlefetch.html._titles as titles

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


JAPANESE = "\u65e5\u672c\u8a9e"


@pytest.mark.parametrize(
    ("content_type", "codec"),
    [
        ("text/html; charset=shift_jis", "cp932"),
        ("text/html; charset=euc-jp", "euc_jp"),
        ("text/html; charset=utf-16le", "utf-16-le"),
    ],
)
def test_title_text_is_decoded_in_the_declared_encoding(content_type: str, codec: str) -> None:
    body = f"<p>{JAPANESE}</p><title>{JAPANESE} &amp; x</title>".encode(codec)
    found = locate_html_title(body, (content_type,))
    assert found.span is not None and found.span.closed
    assert html_title_text(found, html_encoding(found)) == f"{JAPANESE} & x"


def test_ascii_compatible_pages_are_walked_on_a_byte_view() -> None:
    body = f"<title>{JAPANESE}</title>".encode("cp932")
    found = locate_html_title(body, ("text/html; charset=shift_jis",))
    assert found.ascii_compatible and found.text == body.decode("latin-1")


def test_no_title_element_has_no_text() -> None:
    found = locate_html_title(b"<p>none</p>", ("text/html",))
    assert html_title_text(found, html_encoding(found)) is None


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("<title>a <b>bold</b> &amp; c</title>", "a <b>bold</b> & c"),
        ("<title><!-- not a comment --></title>", "<!-- not a comment -->"),
        ("<title>Fish &amp chips</title>", "Fish & chips"),
        ("<title>&notit; &notin;</title>", "\u00acit; \u2209"),
        ("<title>&nosuchentity; &</title>", "&nosuchentity; &"),
        ("<title>&#65;&#x42;&#X43</title>", "ABC"),
        ("<title>&#128;&#x99;</title>", "\u20ac\u2122"),  # C1 numbers mean windows-1252
        ("<title>&#x81;</title>", "\x81"),
        ("<title>a&#0;b&#xD800;c&#x110000;d</title>", "a\ufffdb\ufffdc\ufffdd"),
        ("<title>a&#99999999999999999999;b</title>", "a\ufffdb"),
        ("<title>a&#1;b&#x7F;c</title>", "a b c"),  # controls from references become spaces
        ("<title>a\0b</title>", "a\ufffdb"),
        ("<title>&lt;tag&gt;</title>", "<tag>"),
    ],
)
def test_title_content_is_rcdata(markup: str, expected: str) -> None:
    content = markup.removeprefix("<title>").removesuffix("</title>")
    assert as_shown(decode_rcdata(content)) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  leading and trailing  ", "leading and trailing"),
        ("tab\tnewline\nform\fcr\r  runs", "tab newline form cr runs"),
        ("no\u00a0break", "no\u00a0break"),
        ("em\u2003space", "em\u2003space"),
        ("bell\x07vt\x0bdel\x7fend", "bell vt del end"),
        ("\x1b[31mred\x1b[0m", "[31mred [0m"),
    ],
)
def test_normalize_title_collapses_ascii_whitespace_and_controls(raw: str, expected: str) -> None:
    assert normalize_title(raw) == expected
    assert as_shown(decode_rcdata(raw)) == expected


XHTML = ("application/xhtml+xml",)
SVG = ("image/svg+xml",)
XHTML_NS = 'xmlns="http://www.w3.org/1999/xhtml"'
SVG_NS = 'xmlns="http://www.w3.org/2000/svg"'


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"", False),
        (b"<html><head><title>Half", False),
        (b"<title>Done</title>", True),
        (b"<title>Done</TITLE>", True),
        (b"<title>Done</title", False),  # "</title" might still be "</titles"
        (b"<title>Done</title ", True),
        (b"<title></title>", True),  # an empty title is settled too
        (b'<script>s = "<title>x</title>";', False),
        (b'<script>s = "<title>x</title>";</script><title>Real', False),
        (b'<script>s = "<title>x</title>";</script><title>Real</title>', True),
        (b"<!-- <title>x</title> -->", False),
        (b"<svg><title>x</title></svg>", False),
        (b"<template><title>x</title></template>", False),
        (b"<p>" * 50_000 + b"<title>Late</title>", True),
    ],
)
def test_is_title_settled_only_by_a_real_closing_tag(body: bytes, expected: bool) -> None:
    assert is_title_settled(body, HTML) is expected


def test_is_title_settled_as_the_body_grows() -> None:
    page = (
        b"<head>"
        + b"<meta name=x>" * 3000
        + b'<script>"<title>in script</title>"</script>'
        + b"<style>"
        + b"p{}" * 20_000
        + b"</style><title>Real</title>"
        + b"<p>" * 100_000
    )
    settled_at = next(
        end for end in range(0, len(page), 16_384) if is_title_settled(page[:end], HTML)
    )
    close = page.index(b"<title>Real</title>") + len(b"<title>Real</title>")
    assert close <= settled_at < close + 16_384


ICON = b'<a href="/"><svg viewBox="0 0 9 9"><title>Home</title><path d="M0 0h9"/></svg></a>\n'


@pytest.mark.parametrize("icons", [10, 5_000])  # a short body, and one past the quick walks
def test_is_title_settled_after_svg_icon_titles(icons: int) -> None:
    page = ICON * icons + b"<title>Real</title>" + ICON * 2_000
    close = page.index(b"</title>", page.index(b"Real"))
    assert is_title_settled(page[:close], HTML) is False
    assert is_title_settled(page[: close + 8], HTML) is True
    assert is_title_settled(ICON * icons, HTML) is False


@pytest.mark.parametrize("bom, codec", [(b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")])
def test_is_title_settled_in_utf16(bom: bytes, codec: str) -> None:
    body = bom + "<title>\u00e9t\u00e9</title><p>".encode(codec)
    assert is_title_settled(body[:-12], ("text/html",)) is False
    assert is_title_settled(body, ("text/html",)) is True
    assert extract_title(body, ("text/html",)) == "\u00e9t\u00e9"


def test_is_title_settled_at_once_for_the_replacement_encoding() -> None:
    content_types = ("text/html; charset=iso-2022-kr",)
    assert is_title_settled(b"<p>", content_types) is True
    assert extract_title(b"<title>x</title>", content_types) is None


@pytest.mark.parametrize(
    ("body", "content_types", "expected"),
    [
        (f"<svg {SVG_NS}><title>x</title>".encode(), SVG, True),
        (f"<svg {SVG_NS}><title>x".encode(), SVG, False),
        (f"<svg {SVG_NS}><g><title>x</title></g>".encode(), SVG, False),
        (f"<html {XHTML_NS}><title>x</title>".encode(), XHTML, True),
        (f"<html {XHTML_NS}><!-- </title> --><title>x".encode(), XHTML, False),
    ],
)
def test_is_title_settled_for_xml(body: bytes, content_types: tuple[str], expected: bool) -> None:
    assert is_title_settled(body, content_types) is expected
