"""An HTML document's title: where markup.find_title puts it, and only its bytes decoded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from titlefetch.html._decoders import decode, is_ascii_compatible
from titlefetch.html._encodings import ChosenEncoding, declared_encoding, guess_encoding
from titlefetch.html._tokenizer import SearchAbandoned
from titlefetch.html._tree import TitleSpan, find_title
from titlefetch.html.title_text import decode_rcdata


@dataclass(frozen=True, slots=True)
class HtmlTitle:
    """Where an HTML document's title is: in `text` (the body decoded, or its bytes read as
    Latin-1 when the encoding is ASCII-compatible: `encoding` None or that encoding)."""

    body: bytes
    encoding: ChosenEncoding | None
    ascii_compatible: bool
    bom: int
    text: str
    span: TitleSpan | None
    gave_up: bool = False  # the search spent its work budget (WorkBudget): span unknown


def locate_html_title(body: bytes, content_types: Sequence[str]) -> HtmlTitle:
    """Find the title element of an HTML document (a prefix of it is fine)."""
    encoding, bom = declared_encoding(body, content_types, html=True)
    # In every ASCII-compatible encoding markup is ASCII bytes that no multi-byte character
    # contains, so the title is found on a byte-for-byte view and only its bytes are decoded.
    if encoding is None or is_ascii_compatible(encoding.name):
        ascii_compatible, text = True, body[bom:].decode("latin-1")
    else:
        ascii_compatible, text = False, decode(body[bom:], encoding.name)
    try:
        span = find_title(text)
    except SearchAbandoned:
        return HtmlTitle(body, encoding, ascii_compatible, bom, text, None, gave_up=True)
    return HtmlTitle(body, encoding, ascii_compatible, bom, text, span)


def html_title_text(found: HtmlTitle, encoding: ChosenEncoding) -> str | None:
    """The located title element's text in `encoding` (html_encoding's answer for `found`):
    references decoded, whitespace not yet collapsed."""
    span = found.span
    if span is None:
        return None
    if not found.ascii_compatible:
        return decode_rcdata(found.text[span.start : span.end])
    raw = found.body[found.bom + span.start : found.bom + span.end]
    return decode_rcdata(decode(raw, encoding.name))


def html_encoding(found: HtmlTitle) -> ChosenEncoding:
    """The encoding the document is decoded with: declared, or else guessed from its bytes."""
    return found.encoding or guess_encoding(found.body)
