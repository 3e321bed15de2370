"""Which encoding a page has: the one it declares, or else a guess from its bytes.

Declarations count in the browser's order: BOM, HTTP charset, XML declaration, `<meta>`.
Labels map as the WHATWG Encoding Standard says (the `webencodings` table).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import webencodings

from titlefetch.html._tokenizer import TEXT_ELEMENTS, next_tag, skip_text_element


@dataclass(frozen=True, slots=True)
class ChosenEncoding:
    """The encoding a page is decoded with, and where it came from: "bom", "header", "meta",
    "xml" (an XML declaration), "guess" (from the bytes) or "default" (nothing to go by)."""

    name: str
    source: str


def encoding_for_label(label: str) -> str | None:
    """The WHATWG encoding name a label means (None for an unknown label)."""
    found = webencodings.lookup(label)
    return None if found is None else found.name


def in_document(name: str) -> str:
    """What an encoding named inside the document's own bytes (meta, XML declaration) means."""
    # A declaration inside the bytes cannot mean UTF-16 (it was read as ASCII), and
    # x-user-defined only counts from HTTP.
    return {"utf-16le": "utf-8", "utf-16be": "utf-8", "x-user-defined": "windows-1252"}.get(
        name, name
    )


_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xfe\xff", "utf-16be"), (b"\xff\xfe", "utf-16le"))
_XML_DECLARATION = re.compile(
    rb"""<\?xml[^>]*?encoding[\t\n\f\r ]*=[\t\n\f\r ]*["']([^"'>]*)["']"""
)


def find_bom(body: bytes) -> tuple[str | None, int]:
    """The encoding a byte order mark names, and the mark's length."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name, len(bom)
    return None, 0


def declared_encoding(
    body: bytes, content_types: Sequence[str], *, html: bool
) -> tuple[ChosenEncoding | None, int]:
    """The encoding the BOM, the HTTP charset, an XML declaration or a meta names, and the
    BOM's length.

    None when the page declares none and its encoding must be guessed. As in Chromium's
    TextResourceDecoder, a `<meta>` overrides a leading `<?xml encoding?>` in HTML, and an
    XML declaration in UTF-16 without a BOM means UTF-16.
    """
    name, bom = find_bom(body)
    if name is not None:
        return ChosenEncoding(name, "bom"), bom
    charset = content_type_parts(content_types)[1]
    name = encoding_for_label(charset) if charset else None  # unknown, utf-7, empty: ignored
    if name is not None:
        return ChosenEncoding(name, "header"), 0
    if body.startswith((b"<\0?\0x\0", b"\0<\0?\0x")):
        return ChosenEncoding("utf-16le" if body[0] else "utf-16be", "xml"), 0
    meta = find_meta_encoding(body) if html else None
    if meta is not None:
        return ChosenEncoding(meta, "meta"), 0
    name = _xml_declared_encoding(body)
    return (None if name is None else ChosenEncoding(name, "xml")), 0


def _xml_declared_encoding(body: bytes) -> str | None:
    match = _XML_DECLARATION.match(body)
    name = encoding_for_label(match.group(1).decode("latin-1")) if match else None
    return None if name is None else in_document(name)


_PRESCAN_BYTES = 1024  # a meta starting in these bytes counts wherever it is
_META_SCAN_BYTES = 256 * 1024  # past 1024 bytes, a meta must still be in <head>: stop somewhere
# Tags that keep Chromium's meta scanner "in <head>" (start tags; end tags without html/head).
_HEAD_END_TAGS = frozenset(
    {"script", "noscript", "style", "link", "meta", "object", "title", "base"}
)
_HEAD_TAGS = _HEAD_END_TAGS | {"html", "head"}
# In a meta content value: the first "charset" followed by "=", then its value, quoted or bare
# (to whitespace, a quote or ";"). Chromium's ExtractCharset takes every byte <= 0x20 as space.
_META_CHARSET_KEY = re.compile(r"charset[\x00-\x20]*=[\x00-\x20]*", re.I | re.A)
_META_CHARSET_VALUE = re.compile(r""""([^"]*)"|'([^']*)'|([^\x00-\x20"';]+)""")


def find_meta_encoding(body: bytes) -> str | None:
    """The encoding a `<meta>` declares, found as Chromium's meta charset scanner finds it.

    Tags are tokenized (a meta in a comment, script, style or title does not count). Every tag
    that starts in the first 1024 bytes is looked at, and later ones too while only tags that
    belong in <head> have been seen (Chromium's HTMLMetaCharsetParser; the WHATWG prescan
    stops at 1024 bytes, but Chromium is the reference for titles).
    """
    text = body[:_META_SCAN_BYTES].decode("latin-1")
    in_head, tag = True, next_tag(text, 0)
    while tag is not None and (in_head or tag.start < _PRESCAN_BYTES):
        pos = tag.end
        in_head = in_head and tag.name in (_HEAD_END_TAGS if tag.is_end_tag else _HEAD_TAGS)
        if tag.is_end_tag:
            pass
        elif tag.name == "meta" and (name := _meta_encoding(tag.attributes())) is not None:
            return in_document(name)
        elif tag.name in TEXT_ELEMENTS:
            pos = skip_text_element(text, tag)
        elif tag.name == "plaintext":
            return None
        tag = next_tag(text, pos) if pos >= 0 else None
    return None


def _meta_encoding(attributes: dict[str, str]) -> str | None:
    """What one `<meta>` declares, as Chromium's EncodingFromMetaAttributes reads it.

    A charset attribute wins (even an unusable one); otherwise the charset in content counts
    when http-equiv is "content-type".
    """
    if "charset" in attributes:
        return encoding_for_label(attributes["charset"])
    if attributes.get("http-equiv", "").lower() != "content-type":
        return None
    content = attributes.get("content", "")
    key = _META_CHARSET_KEY.search(content)
    value = _META_CHARSET_VALUE.match(content, key.end()) if key else None
    label = next((group for group in value.groups() if group), None) if value else None
    return None if label is None else encoding_for_label(label)


# An undeclared page: Chromium hands it to its detector (compact_enc_det), which leans on the
# locale's default, windows-1252 for en-US, and needs clear evidence to move away from it. We
# use Firefox's detector, chardetng, built for the same job (legacy pages of the web without a
# declaration) and measured closest to Chromium on hand-made pages in 31 encoding and language
# pairs (docs/titles.md). One deliberate difference: valid UTF-8 is UTF-8 (Chromium shows
# mojibake there).

# The detector reads this much from the first non-ASCII byte on: bounded cost, and a long
# ASCII head (CSS, scripts) does not hide the text, as it does not in Chromium.
_GUESS_BYTES = 64 * 1024
_NON_ASCII = re.compile(rb"[\x80-\xff]")
_DEFAULT = ChosenEncoding("windows-1252", "default")  # the en-US browser's fallback
# chardetng's names that are Python codec names rather than WHATWG labels: its GBK detection
# is named for Python's gb18030 codec, which decodes GBK too.
_DETECTOR_NAMES = {"cp874": "windows-874", "gb18030": "gbk"}


def guess_encoding(body: bytes) -> ChosenEncoding:
    """The encoding of an undeclared page: UTF-8 if valid, else what the detector finds."""
    if body.isascii() and b"\x1b" not in body:  # ESC: maybe ISO-2022-JP, which is 7-bit
        return _DEFAULT
    if not body.isascii() and _is_utf8(body):
        return ChosenEncoding("utf-8", "guess")
    # chardetng (Rust) loads on first use: few runs meet an undeclared legacy page.
    import chardetng_py

    first = _NON_ASCII.search(body)
    start = max(0, first.start() - 1024) if first else 0
    name = chardetng_py.detect(body[start : start + _GUESS_BYTES], allow_utf8=False, tld=None)
    found = _DETECTOR_NAMES.get(name) or encoding_for_label(name)
    return ChosenEncoding(found, "guess") if found else _DEFAULT


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as error:
        # A body cut at --max-bytes may end inside a character; the rest must show UTF-8.
        return error.reason == "unexpected end of data" and not body[: error.start].isascii()
    return True


# Content-Type headers: the media type and charset they name, and which types have a title.

_HTML = "text/html"
_XML_TYPES = ("text/xml", "application/xml")  # and every */*+xml, as in Chromium
_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_MIME = re.compile(rf"[\t\n\r ]*({_TOKEN})/({_TOKEN})[\t\n\r ]*(;.*)?", re.S)
_PARAMETER = re.compile(r';[\t\n\r ]*([^;=]*)(?:=("(?:[^"\\]|\\.)*"?|[^;]*))?', re.S)
_HEADER_VALUES = re.compile(r'(?:[^,"]|"(?:[^"\\]|\\.)*"?)+', re.S)


def content_type_parts(content_types: Sequence[str]) -> tuple[str, str | None]:
    """(essence, charset) of the Content-Type headers, as Fetch's "extract a MIME type" does.

    The last valid value wins; a charset carries over from an earlier value of the same type.
    """
    # Asked several times per page (each body check, then the title) with the same few
    # headers across a run, so the answer is remembered (benchmarks/README.md has its cost).
    return _content_type_parts(tuple(content_types))


@functools.lru_cache(maxsize=1024)
def _content_type_parts(content_types: tuple[str, ...]) -> tuple[str, str | None]:
    essence, charset = "", None
    for header in content_types:
        for value in _HEADER_VALUES.findall(header):
            parsed = _parse_mime_type(value)
            if parsed is None:
                continue
            if parsed[0] != essence:
                essence, charset = parsed
            elif parsed[1] is not None:
                charset = parsed[1]
    return essence, charset


def _parse_mime_type(value: str) -> tuple[str, str | None] | None:
    match = _MIME.fullmatch(value)
    if match is None or match.group(1) == "*" and match.group(2) == "*":
        return None
    charset = None
    for name, raw in _PARAMETER.findall(match.group(3) or ""):
        if name.lower() == "charset" and charset is None:
            if raw.startswith('"'):
                charset = re.sub(r"\\(.)", r"\1", raw[1:].removesuffix('"'))
            else:
                charset = raw.rstrip("\t\n\r ")
    return f"{match.group(1)}/{match.group(2)}".lower(), charset


def media_type(content_types: Sequence[str]) -> str:
    """The media type the Content-Type headers name, lower-cased ("" when none)."""
    return content_type_parts(content_types)[0]


def is_html_type(essence: str) -> bool:
    """Whether a response of this media type is parsed as HTML (no type: sniffed as HTML)."""
    return essence in ("", _HTML)


def is_xml_type(essence: str) -> bool:
    """Whether a response of this media type is an XML document (XHTML, SVG, a feed, ...)."""
    return essence in _XML_TYPES or essence.endswith("+xml")


def can_have_title(content_types: Sequence[str]) -> bool:
    """Whether a response of this content type has a title at all (no type: sniffed as HTML)."""
    essence = media_type(content_types)
    return is_html_type(essence) or is_xml_type(essence)
