"""Titles as a browser shows them: which element, its text, which types, when reading can stop."""

from __future__ import annotations

import pytest

from titlefetch.html.titles import (
    TitleReader,
    can_have_title,
    extract_title,
    is_title_settled,
    media_type,
    normalize_title,
)

HTML = ("text/html; charset=utf-8",)
XHTML = ("application/xhtml+xml",)
SVG = ("image/svg+xml",)
XHTML_NS = 'xmlns="http://www.w3.org/1999/xhtml"'
SVG_NS = 'xmlns="http://www.w3.org/2000/svg"'


def html_title(markup: str) -> str | None:
    return extract_title(markup.encode("utf-8"), HTML)


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("<html><head><title>Plain</title></head></html>", "Plain"),
        ("<TITLE>Upper case tag</TITLE>", "Upper case tag"),
        ("<p>text first</p><title>In the body</title>", "In the body"),
        ("<title>First</title><title>Second</title>", "First"),
        ("<title>No end tag, runs to the end", "No end tag, runs to the end"),
        ("<title/>Self-closing flag ignored</title>", "Self-closing flag ignored"),
        ("<title>a</titles>b</title>", "a</titles>b"),
        ("<title>closed by</title >x", "closed by"),
        ("<title>closed by</TITLE/>x", "closed by"),
        ('<title lang="en">With attributes</title>', "With attributes"),
        ("<title></title><title>Second</title>", None),
        ("<title>  </title>", None),
        ("<p>no title here</p>", None),
        ("", None),
    ],
)
def test_first_html_title_element_in_tree_order(markup: str, expected: str | None) -> None:
    assert html_title(markup) == expected


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("<!-- <title>in comment</title> --><title>Real</title>", "Real"),
        ("<!--><title>Real</title>", "Real"),  # "<!-->" is a whole (empty) comment
        ("<!---><title>Real</title>", "Real"),
        ("<!-- x --!><title>Real</title>", "Real"),
        ("<!-- unterminated <title>in comment</title>", None),
        ("<!doctype html><title>Real</title>", "Real"),
        ("<!x <title>the bogus comment ended at the first >", None),
        ('<?php echo "x"?><title>Real</title>', "Real"),
        ("</ <title>bogus</title>", None),
        ("</><title>Real</title>", "Real"),
        ('<div data-x="a><title>in attribute</title>"><title>Real</title>', "Real"),
        ("<div data-x='<title>in attribute</title>'><title>Real</title>", "Real"),
        ('<meta content="x" <title>Real</title>', None),  # "<title" is an attribute name here
        ('<div a="unterminated><title>Never</title>', None),
    ],
)
def test_markup_that_is_not_a_title_element(markup: str, expected: str | None) -> None:
    assert html_title(markup) == expected


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ('<script>var t = "<title>in script</title>";</script><title>Real</title>', "Real"),
        ("<SCRIPT>x='</scriptx>'; y='<title>No</title>'</SCRIPT ><title>Real</title>", "Real"),
        # "<!--" then "<script>" inside a script: the first "</script>" does not end it
        (
            '<script><!-- document.write("<script>x()</script>"); t="<title>No</title>" -->'
            "</script><title>Real</title>",
            "Real",
        ),
        ("<script><!--></script><title>Real</title>", "Real"),
        ("<script><!-- a --> <title>No</title></script><title>Real</title>", "Real"),
        ("<script>never closed <title>No</title>", None),
        ("<style>/* <title>No</title> */</style><title>Real</title>", "Real"),
        ("<textarea><title>No</title></textarea><title>Real</title>", "Real"),
        ("<xmp><title>No</title></xmp><title>Real</title>", "Real"),
        ("<iframe><title>No</title></iframe><title>Real</title>", "Real"),
        ("<noembed><title>No</title></noembed><title>Real</title>", "Real"),
        ("<noframes><title>No</title></noframes><title>Real</title>", "Real"),
        ("<plaintext><title>No</title>", None),
        # With scripting disabled (JavaScript off) <noscript> holds ordinary markup.
        ("<noscript><title>In noscript</title></noscript>", "In noscript"),
        ("<template><title>No</title></template><title>Real</title>", "Real"),
        ("<template><template></template><title>No</title></template><title>Real</title>", "Real"),
    ],
)
def test_raw_text_and_template_content_hold_no_title(markup: str, expected: str | None) -> None:
    assert html_title(markup) == expected


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("<svg><title>SVG title</title></svg><title>Real</title>", "Real"),
        ("<math><title>MathML title</title></math><title>Real</title>", "Real"),
        ("<svg><g><title>deep</title></g></svg><title>Real</title>", "Real"),
        ("<svg/><title>Real</title>", "Real"),
        ("<svg><foreignObject><title>Real</title></foreignObject></svg>", "Real"),
        ("<svg><desc><title>Real</title></desc></svg>", "Real"),
        ("<math><mtext><title>Real</title></mtext></math>", "Real"),
        ('<math><annotation-xml encoding="text/html"><title>Real</title>', "Real"),
        ("<math><annotation-xml><title>No</title></annotation-xml></math>", None),
        ("<svg><p><title>Real</title>", "Real"),  # <p> breaks out of SVG
        ('<svg><font color="red"><title>Real</title>', "Real"),
        ("<svg><font><title>No</title></font></svg>", None),
        ("<svg><![CDATA[ <title>No</title> ]]></svg><title>Real</title>", "Real"),
        ("<svg><script><title>No</title></script></svg><title>Real</title>", "Real"),
        ("<svg><title>Icon</title><path d='x'/></svg>" * 3 + "<title>Real</title>", "Real"),
        ("<svg><title>An <title>HTML one</title></title></svg>", "HTML one"),
        ("<svg><title>Icon</title><foreignObject><title>Real</title>", "Real"),
        ("<svg><title>Icon</title><div><title>Real</title>", "Real"),
        ("<svg><title>Icon</title></svg><math><mi><title>Real</title></mi></math>", "Real"),
        ("<svg><title>Icon</title>", None),  # SVG never closed
        ("<div><svg><path></div><title>Real</title>", "Real"),  # </div> closes the SVG in it
        ("<a href=/><svg><title>Home</title></a><title>Real</title>", "Real"),
        ("<svg><g/></g><title>No</title></svg>", None),  # a stray </g> closes nothing
    ],
)
def test_svg_and_mathml_titles_do_not_count(markup: str, expected: str | None) -> None:
    assert html_title(markup) == expected


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
    assert html_title(markup) == expected


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
    assert html_title(f"<title>{raw}</title>") == expected


@pytest.mark.parametrize(
    ("content_types", "expected"),
    [
        ((), ""),
        (("text/html",), "text/html"),
        (("TEXT/HTML; Charset=UTF-8",), "text/html"),
        (("text/plain", "text/html"), "text/html"),
        (("text/html", "nonsense"), "text/html"),  # an invalid value is skipped
        (("text/html, image/png",), "image/png"),
        (("*/*",), ""),
    ],
)
def test_media_type_is_the_last_valid_content_type(
    content_types: tuple[str, ...], expected: str
) -> None:
    assert media_type(content_types) == expected


@pytest.mark.parametrize(
    ("content_types", "expected"),
    [
        ((), True),
        (("text/html",), True),
        (("Text/HTML; charset=utf-8",), True),
        (("application/xhtml+xml",), True),
        (("image/svg+xml",), True),
        (("text/plain",), False),
        (("application/json",), False),
        (("image/png",), False),
        (("application/pdf",), False),
        (("application/rss+xml",), False),
        (("text/xml",), False),
        (("text/html", "text/plain"), False),
    ],
)
def test_can_have_title(content_types: tuple[str, ...], expected: bool) -> None:
    assert can_have_title(content_types) is expected


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/json", "application/rss+xml", "image/png"]
)
def test_non_html_types_have_no_title_even_with_title_bytes(content_type: str) -> None:
    body = b"<html><title>Looks like HTML</title></html>"
    assert extract_title(body, (content_type,)) is None
    assert is_title_settled(b"", (content_type,)) is True


def test_no_content_type_is_read_as_html() -> None:
    assert extract_title(b"<title>Sniffed</title>", ()) == "Sniffed"


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        (f"<svg {SVG_NS}><title>Root title</title></svg>", "Root title"),
        (f"<svg {SVG_NS}><g><title>Nested</title></g><title>Root</title></svg>", "Root"),
        (f"<svg {SVG_NS}><g><title>Nested only</title></g></svg>", None),
        ("<svg><title>No SVG namespace</title></svg>", None),
        (f"<svg {SVG_NS}><title> a <tspan>b</tspan> c </title></svg>", "a c"),
    ],
)
def test_svg_document_title_is_the_root_svg_title_child(markup: str, expected: str | None) -> None:
    assert extract_title(markup.encode(), SVG) == expected


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        (f"<html {XHTML_NS}><head><title>XHTML</title></head></html>", "XHTML"),
        # parsed as XML: child elements are not text, CDATA is
        (f"<html {XHTML_NS}><title>A <b>b</b> C</title></html>", "A C"),
        (f"<html {XHTML_NS}><title><![CDATA[<x> & y]]></title></html>", "<x> & y"),
        (f"<html {XHTML_NS}><title>a<!-- c -->b</title></html>", "ab"),
        # a well-formedness error after the title keeps it; one before loses it
        (f"<html {XHTML_NS}><title>Kept</title><p>a & b</p></html>", "Kept"),
        (f"<html {XHTML_NS}><p>a & b</p><title>Lost</title></html>", None),
        ("<html><title>No XHTML namespace</title></html>", None),
        # with an XHTML DOCTYPE, HTML's named entities are known
        (
            '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "x.dtd">'
            f"<html {XHTML_NS}><title>A&nbsp;B &copy; &amp;&lt;</title></html>",
            "A\u00a0B \u00a9 &<",
        ),
        (
            '<?xml version="1.0" encoding="windows-1251"?>'
            f"<html {XHTML_NS}><title>\u0414\u0430</title></html>",
            "\u0414\u0430",
        ),
    ],
)
def test_xhtml_is_parsed_as_xml(markup: str, expected: str | None) -> None:
    encoding = "windows-1251" if "windows-1251" in markup else "utf-8"
    assert extract_title(markup.encode(encoding), XHTML) == expected


def test_xml_external_entities_are_not_loaded() -> None:
    body = (
        '<!DOCTYPE html [<!ENTITY secret SYSTEM "file:///etc/hostname">]>'
        f"<html {XHTML_NS}><title>x&secret;y</title></html>"
    )
    title = extract_title(body.encode(), XHTML)
    assert title is None or title == "xy"


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
    import titlefetch.html.titles as titles

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
    assert reader.title(body, HTML) == extract_title(body, HTML)
    if settled:  # the walk that settled the title is reused: one more walk for extract_title
        assert len(walks) == walked + 1
    assert reader.title(body + b" ", HTML) == extract_title(body + b" ", HTML)  # another body
