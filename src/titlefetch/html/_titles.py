"""Page bytes -> title, as a browser shows it: the HTML or XML path, and reading as it arrives.

HTML is not parsed into a tree: _tree.find_title follows the parser's rules to the first real
`<title>`, and only that element's bytes are decoded, then shown as a browser shows them
(references decoded, whitespace collapsed). XHTML and SVG are parsed as XML (_xml.py). While a
body arrives, is_title_settled says when enough of it has been read.
"""

from __future__ import annotations

import bisect
import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from titlefetch.html._decoders import decode, is_ascii_compatible
from titlefetch.html._encodings import (
    ChosenEncoding,
    content_type_parts,
    declared_encoding,
    encoding_for_label,
    find_bom,
    guess_encoding,
    is_html_type,
    is_xml_type,
    media_type,
)
from titlefetch.html._tokenizer import SearchAbandoned
from titlefetch.html._tree import TitleSpan, find_title
from titlefetch.html._xml import can_hold_a_title, xml_encoding, xml_title


@dataclass(frozen=True, slots=True)
class PageTitle:
    """A document's title as shown (None: none, or blank) and the encoding it was read in
    (None for types without a title)."""

    title: str | None
    encoding: str | None = None
    encoding_source: str | None = None
    gave_up: bool = False  # the markup cost more than the search's work budget (WorkBudget)
    is_blank: bool = False  # a title element is there, but empty or only whitespace
    # False for an XML document that is neither XHTML nor SVG (RSS, Atom, ...): a kind of
    # document without titles, as an image is, rather than a page that lacks one.
    titled_kind: bool = True


class TitleReader:
    """Finds one document's title while its body arrives: `is_settled` is fetch_page's
    `is_enough`, and `read` then reuses the markup walk that settled it rather than walking
    the page a second time."""

    __slots__ = ("_found",)

    def __init__(self) -> None:
        self._found: HtmlTitle | None = None

    def is_settled(self, body: bytes, content_types: Sequence[str]) -> bool:
        self._found = None
        return is_title_settled(body, content_types, self._remember)

    def read(self, body: bytes, content_types: Sequence[str]) -> PageTitle:
        """find_page_title(body, content_types), without walking again what is_settled walked."""
        found = self._found
        if found is None or found.body is not body:
            return find_page_title(body, content_types)
        return _html_page_title(found)

    def _remember(self, found: HtmlTitle) -> None:
        self._found = found


def find_page_title(body: bytes, content_types: Sequence[str]) -> PageTitle:
    """The document's title as a browser shows it, with the encoding it was decoded in."""
    kind = media_type(content_types)
    if is_xml_type(kind):
        encoding, bom = xml_encoding(body, content_types)
        if not can_hold_a_title(decode(body[bom:], encoding.name)):
            return PageTitle(None, encoding.name, encoding.source, titled_kind=False)
        try:
            text = xml_title(body, content_types)
        except SearchAbandoned:
            return PageTitle(None, encoding.name, encoding.source, gave_up=True)
        title = as_shown(text)
        return PageTitle(title, encoding.name, encoding.source, is_blank=_is_blank(text, title))
    if is_html_type(kind):
        return _html_page_title(locate_html_title(body, content_types))
    return PageTitle(None)


def extract_title(body: bytes, content_types: Sequence[str]) -> str | None:
    """The document's title as a browser shows it, or None when it has none (or it is empty)."""
    return find_page_title(body, content_types).title


def _html_page_title(found: HtmlTitle) -> PageTitle:
    encoding = html_encoding(found)
    text = html_title_text(found, encoding)
    title = as_shown(text)
    return PageTitle(
        title,
        encoding.name,
        encoding.source,
        gave_up=found.gave_up,
        is_blank=_is_blank(text, title),
    )


def _is_blank(text: str | None, shown: str | None) -> bool:
    return text is not None and shown is None


# An HTML document's title: where _tree.find_title puts it, and only its bytes decoded.


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


# A title element's text as a browser shows it: RCDATA decoding, then whitespace collapsed.

# Chromium turns C0 controls and DEL into spaces, then strips and collapses ASCII whitespace.
_SPACES = re.compile(r"[\x00-\x20\x7f]+")
_CHARACTER_REFERENCE = re.compile(r"&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)")


def as_shown(title: str | None) -> str | None:
    """The title a browser shows for `title`'s text: None when there is none or it is blank."""
    return normalize_title(title) or None if title is not None else None


def normalize_title(text: str) -> str:
    """Controls and runs of ASCII whitespace become one space; ends stripped; NBSP kept."""
    return _SPACES.sub(" ", text).strip(" ")


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


# Whether the body read so far settles the title, so that reading can stop (streaming).
#
# Called after each chunk of a body that may run to megabytes, so it must stay cheap: the markup
# is walked only when a "</title" candidate has just arrived and cheap checks say it may close
# the title element.

# "</title" and "<title" in any letter case: literal searches that sre runs fast.
_CLOSE_CANDIDATE = re.compile(rb"</title", re.I)
_OPEN_CANDIDATE = re.compile(rb"<title", re.I)
# The same in UTF-16, either byte order: NULs between the letters (slower, so only for UTF-16).
_WIDE_CLOSE_CANDIDATE = re.compile(rb"<\0?/\0?[Tt]\0?[Ii]\0?[Tt]\0?[Ll]\0?[Ee]")
_TITLE_NAMESPACE = re.compile(rb"http://www\.w3\.org/(?:1999/xhtml|2000/svg)")
_ALWAYS_WALK = 128 * 1024  # bodies this short are walked whenever a "</title" arrives
_FOREIGN_EDGE = re.compile(rb"<(/?)(?:svg|math)", re.I)
_LOOK_BACK = 64 * 1024  # how far before the tail a long body's title start is looked for
# is_title_settled looks for a new "</title" only in this many final bytes: the body grows by a
# chunk per call, so each candidate is still seen, and a long page costs O(chunk) per call.
_TAIL = 64 * 1024


def is_title_settled(
    body: bytes,
    content_types: Sequence[str],
    on_found: Callable[[HtmlTitle], None] | None = None,
) -> bool:
    """Whether `body` (a prefix of the document) settles the title: no more bytes needed.

    True at once for types without a title; otherwise only once a `</title` that really closes
    the title element has arrived (not one inside a comment or script). Cheap on a long body:
    the markup is walked only when a "</title" candidate is in its last _TAIL bytes.
    """
    kind, charset = content_type_parts(content_types)
    if not (is_html_type(kind) or is_xml_type(kind)) or _means_no_text(charset):
        return True
    wide = _is_utf16(body, charset)
    candidate = _WIDE_CLOSE_CANDIDATE if wide else _CLOSE_CANDIDATE
    closes = [match.start() for match in candidate.finditer(body, len(body) - _TAIL)]
    if not closes:
        return False
    if is_xml_type(kind):
        # Only an XHTML or SVG title counts: without their namespace there is none yet, and a
        # feed with a <title> per item is not parsed again for each chunk.
        if not wide and _TITLE_NAMESPACE.search(body) is None:
            return False
        try:
            return xml_title(_cut_after_last_close(body), content_types) is not None
        except SearchAbandoned:
            return True  # more bytes cannot help: the title is given up on
    if not wide and not _may_close_html_title(body, closes):
        return False
    found = locate_html_title(body, content_types)
    if on_found is not None:
        on_found(found)
    return found.gave_up or (found.span is not None and found.span.closed)


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


def _cut_after_last_close(body: bytes) -> bytes:
    """`body` up to the `>` of its last `</title...>`, so a half-read title is not taken."""
    matches = list(_WIDE_CLOSE_CANDIDATE.finditer(body))
    end = body.find(b">", matches[-1].end()) if matches else -1
    return body[: end + 1] if end >= 0 else b""
