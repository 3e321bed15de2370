"""Page bytes -> title, as a browser shows it. The only module that uses BeautifulSoup.

HTML is not parsed into a tree: markup.find_title follows the parser's rules to the first real
`<title>`, and only that element's bytes are decoded (its content is RCDATA: text and character
references, never tags). XHTML and SVG are parsed as XML with BeautifulSoup's lxml-xml builder.
"""

from __future__ import annotations

import bisect
import functools
import html
import html.entities
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from titlefetch.html.decoders import decode, is_ascii_compatible
from titlefetch.html.decoding import (
    content_type_parts,
    declared_encoding,
    encoding_for_label,
    find_bom,
    guess_encoding,
)
from titlefetch.html.markup import TitleSpan, find_title

if TYPE_CHECKING:
    from bs4 import BeautifulSoup
    from bs4.builder._lxml import LXMLTreeBuilderForXML

_HTML = "text/html"
_XML_TYPES = ("application/xhtml+xml", "image/svg+xml")
_XHTML_NS = "http://www.w3.org/1999/xhtml"
_SVG_NS = "http://www.w3.org/2000/svg"
# Chromium turns C0 controls and DEL into spaces, then strips and collapses ASCII whitespace.
_SPACES = re.compile(r"[\x00-\x20\x7f]+")
_CHARACTER_REFERENCE = re.compile(r"&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)")
# "</title" and "<title" in any letter case: literal searches that sre runs fast.
_CLOSE_CANDIDATE = re.compile(rb"</title", re.I)
_OPEN_CANDIDATE = re.compile(rb"<title", re.I)
# The same in UTF-16, either byte order: NULs between the letters (slower, so only for UTF-16).
_WIDE_CLOSE_CANDIDATE = re.compile(rb"<\0?/\0?[Tt]\0?[Ii]\0?[Tt]\0?[Ll]\0?[Ee]")
_WIDE_OPEN_CANDIDATE = re.compile(rb"<\0?[Tt]\0?[Ii]\0?[Tt]\0?[Ll]\0?[Ee]")
_ALWAYS_WALK = 128 * 1024  # bodies this short are walked whenever a "</title" arrives
_FOREIGN_EDGE = re.compile(rb"<(/?)(?:svg|math)", re.I)
_LOOK_BACK = 64 * 1024  # how far before the tail a long body's title start is looked for
_XHTML_DOCTYPE = re.compile(r"<!DOCTYPE[^>]*//DTD XHTML", re.I)
_NAMED_REFERENCE = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")
# is_title_settled looks for a new "</title" only in this many final bytes: the body grows by a
# chunk per call, so each candidate is still seen, and a long page costs O(chunk) per call.
_TAIL = 64 * 1024


def media_type(content_types: Sequence[str]) -> str:
    """The media type the Content-Type headers name, lower-cased ("" when none)."""
    return content_type_parts(content_types)[0]


def can_have_title(content_types: Sequence[str]) -> bool:
    """Whether a response of this content type has a title at all (no type: sniffed as HTML)."""
    return media_type(content_types) in ("", _HTML, *_XML_TYPES)


class TitleReader:
    """Finds one document's title while its body arrives: `is_settled` is fetch_page's
    `is_enough`, and `title` then reuses the markup walk that settled it (a second walk was a
    tenth of the CPU spent on a page)."""

    __slots__ = ("_found",)

    def __init__(self) -> None:
        self._found: _HtmlTitle | None = None

    def is_settled(self, body: bytes, content_types: Sequence[str]) -> bool:
        self._found = None
        return is_title_settled(body, content_types, self._remember)

    def title(self, body: bytes, content_types: Sequence[str]) -> str | None:
        """extract_title(body, content_types), without walking again what is_settled walked."""
        found = self._found
        if found is None or found.body is not body:
            return extract_title(body, content_types)
        return _as_shown(_html_title_text(found))

    def _remember(self, found: _HtmlTitle) -> None:
        self._found = found


@dataclass(frozen=True, slots=True)
class _HtmlTitle:
    """Where an HTML document's title is: in `text` (the body decoded, or its bytes read as
    Latin-1 when the encoding is ASCII-compatible: `encoding` None or that encoding)."""

    body: bytes
    encoding: str | None
    ascii_compatible: bool
    bom: int
    text: str
    span: TitleSpan | None


def is_title_settled(
    body: bytes,
    content_types: Sequence[str],
    on_found: Callable[[_HtmlTitle], None] | None = None,
) -> bool:
    """Whether `body` (a prefix of the document) settles the title: no more bytes needed.

    True at once for types without a title; otherwise only once a `</title` that really closes
    the title element has arrived (not one inside a comment or script). Cheap on a long body:
    the markup is walked only when a "</title" candidate is in its last _TAIL bytes.
    """
    kind, charset = content_type_parts(content_types)
    if kind not in ("", _HTML, *_XML_TYPES) or _means_no_text(charset):
        return True
    wide = _is_utf16(body, charset)
    candidate = _WIDE_CLOSE_CANDIDATE if wide else _CLOSE_CANDIDATE
    closes = [match.start() for match in candidate.finditer(body, len(body) - _TAIL)]
    if not closes:
        return False
    if kind in _XML_TYPES:
        return _xml_title(_cut_after_last_close(body), content_types) is not None
    if not wide and not _may_close_html_title(body, closes):
        return False
    found = _locate_html_title(body, content_types)
    if on_found is not None:
        on_found(found)
    return found.span is not None and found.span.closed


def _may_close_html_title(body: bytes, closes: list[int]) -> bool:
    """Cheap checks before walking the markup; a wrong False only means reading on."""
    if len(body) <= _ALWAYS_WALK:  # a "</title" with no "<title" before it closes nothing
        return _OPEN_CANDIDATE.search(body, 0, closes[-1]) is not None
    # On a long body, walk only for a "</title" whose nearest "<title" is not inside an unclosed
    # <svg> or <math> (inline icons): walking megabytes for every chunk would cost seconds. All
    # searches stay within the last _TAIL + _LOOK_BACK bytes.
    window = len(body) - _TAIL - _LOOK_BACK
    starts = [match.start() for match in _OPEN_CANDIDATE.finditer(body, window, closes[-1])]
    edges = list(_FOREIGN_EDGE.finditer(body, window, closes[-1]))
    positions = [edge.start() for edge in edges]
    for close in closes:
        nearest = bisect.bisect_left(starts, close) - 1
        if nearest >= 0:
            edge = bisect.bisect_left(positions, starts[nearest]) - 1
            if edge < 0 or edges[edge].group(1):  # "</svg" or "</math": not inside
                return True
    return False


def _is_utf16(body: bytes, charset: str | None) -> bool:
    wide = ("utf-16le", "utf-16be")
    if charset is not None and encoding_for_label(charset) in wide:
        return True
    return find_bom(body)[0] in wide or body.startswith((b"<\0?\0x\0", b"\0<\0?\0x"))


def _means_no_text(charset: str | None) -> bool:
    # The replacement decoder (iso-2022-kr, hz-gb-2312, ...) turns any page into one U+FFFD.
    return charset is not None and encoding_for_label(charset) == "replacement"


def extract_title(body: bytes, content_types: Sequence[str]) -> str | None:
    """The document's title as a browser shows it, or None when it has none (or it is empty)."""
    kind = media_type(content_types)
    if kind in _XML_TYPES:
        title = _xml_title(body, content_types)
    elif kind in ("", _HTML):
        title = _html_title(body, content_types)
    else:
        return None
    return _as_shown(title)


def _as_shown(title: str | None) -> str | None:
    """The title a browser shows for `title`'s text: None when there is none or it is blank."""
    return normalize_title(title) or None if title is not None else None


def normalize_title(text: str) -> str:
    """Controls and runs of ASCII whitespace become one space; ends stripped; NBSP kept."""
    return _SPACES.sub(" ", text).strip(" ")


def _html_title(body: bytes, content_types: Sequence[str]) -> str | None:
    return _html_title_text(_locate_html_title(body, content_types))


def _locate_html_title(body: bytes, content_types: Sequence[str]) -> _HtmlTitle:
    encoding, bom = declared_encoding(body, content_types, html=True)
    if encoding is not None and not is_ascii_compatible(encoding):
        text = decode(body[bom:], encoding)
        return _HtmlTitle(body, encoding, False, bom, text, find_title(text))
    # In every ASCII-compatible encoding markup is ASCII bytes that no multi-byte character
    # contains, so the title is found on a byte-for-byte view and only its bytes are decoded.
    text = body[bom:].decode("latin-1")
    return _HtmlTitle(body, encoding, True, bom, text, find_title(text))


def _html_title_text(found: _HtmlTitle) -> str | None:
    span = found.span
    if span is None:
        return None
    if not found.ascii_compatible:
        return decode_rcdata(found.text[span.start : span.end])
    raw = found.body[found.bom + span.start : found.bom + span.end]
    return decode_rcdata(decode(raw, found.encoding or guess_encoding(found.body)))


def decode_rcdata(text: str) -> str:
    """The text an RCDATA element holds: NUL is U+FFFD, character references decoded."""
    return _CHARACTER_REFERENCE.sub(_character_reference, text.replace("\0", "\ufffd"))


def _character_reference(match: re.Match[str]) -> str:
    ref = match.group(1)
    if ref[0] != "#":
        return html.unescape(match.group())  # named, including legacy ones without ";"
    hexadecimal = ref[1] in "xX"
    digits = ref[1 + hexadecimal :].rstrip(";").lstrip("0") or "0"
    number = int(digits, 16 if hexadecimal else 10) if len(digits) <= 8 else 0x110000
    if number == 0 or number > 0x10FFFF or 0xD800 <= number <= 0xDFFF:
        return "\ufffd"
    if 0x80 <= number <= 0x9F:  # the windows-1252 meaning, where it has one
        return bytes([number]).decode("cp1252", "ignore") or chr(number)
    return chr(number)  # other controls and noncharacters stay (normalize_title spaces C0)


def _cut_after_last_close(body: bytes) -> bytes:
    """`body` up to the `>` of its last `</title...>`, so a half-read title is not taken."""
    matches = list(_WIDE_CLOSE_CANDIDATE.finditer(body))
    end = body.find(b">", matches[-1].end()) if matches else -1
    return body[: end + 1] if end >= 0 else b""


def _xml_title(body: bytes, content_types: Sequence[str]) -> str | None:
    """document.title of an XML document: parsing stops at the first well-formedness error."""
    # bs4 and lxml are imported on first use: 60 ms at start-up that HTML pages never need.
    from bs4.element import CData, NavigableString, Tag

    encoding, bom = declared_encoding(body, content_types, html=False)
    text = decode(body[bom:], encoding or "utf-8")  # UTF-8 is XML's default
    if _XHTML_DOCTYPE.search(text, 0, 4096):
        text = _NAMED_REFERENCE.sub(_xhtml_entity, text)
    soup = _parse_xml(text)
    if soup is None:
        return None
    root = next((child for child in soup.children if isinstance(child, Tag)), None)
    if root is not None and root.name == "svg" and root.namespace == _SVG_NS:
        title = root.find("title", recursive=False)
        title = title if isinstance(title, Tag) and title.namespace == _SVG_NS else None
    else:
        title = soup.find(lambda tag: tag.name == "title" and tag.namespace == _XHTML_NS)
    if not isinstance(title, Tag):
        return None
    return "".join(
        str(child) for child in title.children if type(child) in (NavigableString, CData)
    )


def _parse_xml(text: str) -> BeautifulSoup | None:
    from bs4 import BeautifulSoup
    from lxml import etree

    builder = _strict_xml_builder()()
    try:
        return BeautifulSoup(text, builder=builder)
    except etree.XMLSyntaxError:
        return builder.soup  # what was parsed before the error stays, as in a browser


def _xhtml_entity(match: re.Match[str]) -> str:
    # Browsers know HTML's named entities in a document with an XHTML DOCTYPE (its DTD is never
    # loaded); as character references they parse anywhere. XML's own five stay as they are.
    name = match.group(1)
    value = html.entities.html5.get(f"{name};")
    if value is None or name in ("amp", "lt", "gt", "quot", "apos"):
        return match.group()
    return "".join(f"&#{ord(char)};" for char in value)


@functools.cache
def _strict_xml_builder() -> type[LXMLTreeBuilderForXML]:
    from bs4.builder._lxml import LXMLTreeBuilderForXML
    from lxml import etree

    class StrictXmlBuilder(LXMLTreeBuilderForXML):
        """bs4's lxml-xml builder, stopping at the first well-formedness error as browsers do."""

        def default_parser(self, encoding: str | None) -> etree.XMLParser:
            # No network, no external entities: a page must not pull local files into its title.
            parser: etree.XMLParser = etree.XMLParser(  # type: ignore[call-overload]
                target=self,  # bs4's builder is an lxml parser target; the stubs cannot see it
                recover=False,
                encoding=encoding,
                resolve_entities="internal",
                no_network=True,
                load_dtd=False,
            )
            return parser

    return StrictXmlBuilder
