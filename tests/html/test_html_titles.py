"""An HTML document's title: found on a byte view, and only its bytes decoded."""

from __future__ import annotations

import pytest

from titlefetch.html.html_titles import html_encoding, html_title_text, locate_html_title

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
