"""When the body read so far settles the title, so that reading can stop."""

from __future__ import annotations

import pytest

from titlefetch.html._titles import extract_title
from titlefetch.html.settling import is_title_settled

HTML = ("text/html; charset=utf-8",)


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
