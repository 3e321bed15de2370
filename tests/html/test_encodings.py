"""Which encoding a page declares: BOM, then HTTP charset, then XML declaration and meta."""

from __future__ import annotations

import pytest

from titlefetch.html._encodings import declared_encoding
from titlefetch.html._titles import extract_title
from titlefetch.html.labels import ChosenEncoding
from titlefetch.html.settling import is_title_settled

RUSSIAN = "\u041f\u0440\u0438\u0432\u0435\u0442"  # "Privet"


def title_of(body: bytes, *content_types: str) -> str | None:
    return extract_title(body, content_types or ("text/html",))


@pytest.mark.parametrize(
    ("body", "content_types", "expected"),
    [
        # the BOM beats the HTTP charset and meta
        (
            b"\xef\xbb\xbf<meta charset=koi8-r><title>\xc3\xa9</title>",
            ("text/html; charset=koi8-r",),
            "\u00e9",
        ),
        (
            "\ufeff<title>\u00e9</title>".encode("utf-16-le"),
            ("text/html; charset=utf-8",),
            "\u00e9",
        ),
        ("\ufeff<title>\u00e9</title>".encode("utf-16-be"), ("text/html",), "\u00e9"),
        # the HTTP charset beats meta
        (
            RUSSIAN.join([b"<meta charset=utf-8><title>".decode(), "</title>"]).encode("cp1251"),
            ("text/html; charset=windows-1251",),
            RUSSIAN,
        ),
        # the last Content-Type wins; an earlier charset carries over to the same type
        (
            f"<title>{RUSSIAN}</title>".encode("koi8-r"),
            ("text/html; charset=windows-1251", "text/html; charset=koi8-r"),
            RUSSIAN,
        ),
        (
            f"<title>{RUSSIAN}</title>".encode("koi8-r"),
            ("text/html; charset=koi8-r", "text/html"),
            RUSSIAN,
        ),
        (f"<title>{RUSSIAN}</title>".encode("koi8-r"), ('text/html; charset="koi8-r"',), RUSSIAN),
    ],
)
def test_bom_then_http_charset_then_meta(
    body: bytes, content_types: tuple[str, ...], expected: str
) -> None:
    assert title_of(body, *content_types) == expected


@pytest.mark.parametrize("charset", ["no-such-label", "utf-7", "", "unicode-1-1-utf-7"])
def test_unusable_http_charsets_are_ignored(charset: str) -> None:
    body = f"<meta charset=windows-1251><title>{RUSSIAN}</title>".encode("cp1251")
    assert title_of(body, f"text/html; charset={charset}") == RUSSIAN


def test_meta_declares_the_encoding_when_http_has_none() -> None:
    body = f"<meta charset=koi8-r><title>{RUSSIAN}</title>".encode("koi8-r")
    assert title_of(body) == RUSSIAN


def test_xml_declaration_names_the_encoding_of_text_html() -> None:
    body = f'<?xml version="1.0" encoding="koi8-r"?><title>{RUSSIAN}</title>'.encode("koi8-r")
    assert title_of(body) == RUSSIAN
    assert declared_encoding(body, ("text/html",), html=True) == (
        ChosenEncoding("koi8-r", "xml"),
        0,
    )


def test_meta_overrides_the_xml_declaration_as_in_chromium() -> None:
    body = b'<?xml version="1.0" encoding="koi8-r"?><meta charset="windows-1251">'
    assert declared_encoding(body, ("text/html",), html=True) == (
        ChosenEncoding("windows-1251", "meta"),
        0,
    )
    assert declared_encoding(body, ("application/xhtml+xml",), html=False) == (
        ChosenEncoding("koi8-r", "xml"),
        0,
    )


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_xml_declaration_in_utf16_without_bom_means_utf16(codec: str) -> None:
    body = f'<?xml version="1.0"?><title>{RUSSIAN}</title>'.encode(codec)
    assert title_of(body) == RUSSIAN
    assert is_title_settled(body, ("text/html",)) is True
