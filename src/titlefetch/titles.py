"""Page bytes -> title, as a browser shows it. The only module that uses BeautifulSoup."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bs4 import BeautifulSoup

_ASCII_WHITESPACE = re.compile(r"[\t\n\f\r ]+")
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_HTML_TYPES = ("text/html", "application/xhtml+xml", "image/svg+xml")


def media_type(content_types: Sequence[str]) -> str:
    """The media type the last Content-Type header names, lower-cased ("" when none)."""
    if not content_types:
        return ""
    return content_types[-1].split(";", 1)[0].strip().lower()


def can_have_title(content_types: Sequence[str]) -> bool:
    """Whether a response of this content type has a title at all."""
    kind = media_type(content_types)
    return kind in ("", *_HTML_TYPES)


def is_title_settled(body: bytes, content_types: Sequence[str]) -> bool:
    """Whether `body` (a prefix of the document) settles the title: no more bytes needed."""
    return not can_have_title(content_types) or b"</title" in body.lower()


def collapse_whitespace(text: str) -> str:
    # Browsers collapse ASCII whitespace only; a no-break space stays in the title.
    return _ASCII_WHITESPACE.sub(" ", _CONTROLS.sub(" ", text)).strip(" ")


def extract_title(body: bytes, content_types: Sequence[str]) -> str | None:
    """The document's title, or None when it has none."""
    soup = BeautifulSoup(body, "html.parser")
    if soup.title is None:
        return None
    return collapse_whitespace(soup.title.get_text())
