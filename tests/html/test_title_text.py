"""A title's text: RCDATA references decoded, controls and ASCII whitespace collapsed."""

from __future__ import annotations

import pytest

from titlefetch.html.title_text import as_shown, decode_rcdata, normalize_title


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
