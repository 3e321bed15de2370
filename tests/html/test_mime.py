"""Content-Type headers: media type, charset, and which types have a title."""

from __future__ import annotations

import pytest

from titlefetch.html._mime import can_have_title, content_type_parts, media_type


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
        (("application/rss+xml",), True),  # XML documents: a title if they hold an XHTML one
        (("text/xml",), True),
        (("application/xml",), True),
        (("application/vnd.example+xml",), True),
        (("application/xml-dtd",), False),
        (("text/html", "text/plain"), False),
    ],
)
def test_can_have_title(content_types: tuple[str, ...], expected: bool) -> None:
    assert can_have_title(content_types) is expected


@pytest.mark.parametrize(
    ("content_types", "expected"),
    [
        ((), ("", None)),
        (("text/html;charset=UTF-8",), ("text/html", "UTF-8")),
        (('text/html; charset="a\\"b"',), ("text/html", 'a"b')),
        (("text/html; foo=bar; charset=koi8-r ",), ("text/html", "koi8-r")),
        (("text/html; charset=koi8-r", "text/plain"), ("text/plain", None)),
        (("text/html; charset=koi8-r", "text/html"), ("text/html", "koi8-r")),
        (("text/html; charset=koi8-r", "text/html; charset=utf-8"), ("text/html", "utf-8")),
        (("text/html; charset=koi8-r, text/html",), ("text/html", "koi8-r")),
        (("text/html; charset=koi8-r", "bogus"), ("text/html", "koi8-r")),
    ],
)
def test_content_type_parts(
    content_types: tuple[str, ...], expected: tuple[str, str | None]
) -> None:
    assert content_type_parts(content_types) == expected
