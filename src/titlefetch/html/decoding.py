"""Which encoding a page is in, decided the way a browser decides it.

The order is the browser's: byte order mark, the HTTP charset, then (HTML only) a leading
`<?xml encoding?>` and `<meta>` (in the first 1024 bytes, or later while still in <head>), then
a guess (valid UTF-8, else charset-normalizer among legacy encodings). Labels map as the
WHATWG Encoding Standard says, through the `webencodings` table. decoders.py turns the bytes
into text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import webencodings

from titlefetch.html.tokenizer import TEXT_ELEMENTS, next_tag, skip_text_element

_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xfe\xff", "utf-16be"), (b"\xff\xfe", "utf-16le"))
_PRESCAN_BYTES = 1024  # a meta starting in these bytes counts wherever it is
_META_SCAN_BYTES = 256 * 1024  # past 1024 bytes, a meta must still be in <head>: stop somewhere
# Tags that keep Chromium's meta scanner "in <head>" (start tags; end tags without html/head).
_HEAD_END_TAGS = frozenset(
    {"script", "noscript", "style", "link", "meta", "object", "title", "base"}
)
_HEAD_TAGS = _HEAD_END_TAGS | {"html", "head"}
_GUESS_BYTES = 16 * 1024  # enough text for a confident guess, bounded cost
# Python codecs for the WHATWG encodings whose webencodings codec differs from the standard.
_GUESSES = {
    "cp1252": "windows-1252",
    "cp1250": "windows-1250",
    "cp1251": "windows-1251",
    "cp1253": "windows-1253",
    "cp1254": "windows-1254",
    "cp1255": "windows-1255",
    "cp1256": "windows-1256",
    "cp1257": "windows-1257",
    "cp1258": "windows-1258",
    "iso8859_2": "iso-8859-2",
    "iso8859_5": "iso-8859-5",
    "iso8859_6": "iso-8859-6",
    "iso8859_7": "iso-8859-7",
    "iso8859_8": "iso-8859-8",
    "koi8_r": "koi8-r",
    "koi8_u": "koi8-u",
    "cp866": "ibm866",
    "mac_cyrillic": "x-mac-cyrillic",
    "cp874": "windows-874",
    "tis_620": "windows-874",
    "cp932": "shift_jis",
    "shift_jis": "shift_jis",
    "euc_jp": "euc-jp",
    "cp949": "euc-kr",
    "euc_kr": "euc-kr",
    "gb18030": "gb18030",
    "gb2312": "gbk",
    "gbk": "gbk",
    "big5": "big5",
    "big5hkscs": "big5",
    "cp950": "big5",
}
# In a meta content value: the first "charset" followed by "=", then its value, quoted or bare
# (to whitespace, a quote or ";"). Chromium's ExtractCharset takes every byte <= 0x20 as space.
_META_CHARSET_KEY = re.compile(r"charset[\x00-\x20]*=[\x00-\x20]*", re.I | re.A)
_META_CHARSET_VALUE = re.compile(r""""([^"]*)"|'([^']*)'|([^\x00-\x20"';]+)""")
_XML_DECLARATION = re.compile(
    rb"""<\?xml[^>]*?encoding[\t\n\f\r ]*=[\t\n\f\r ]*["']([^"'>]*)["']"""
)


def encoding_for_label(label: str) -> str | None:
    """The WHATWG encoding name a label means (None for an unknown label)."""
    found = webencodings.lookup(label)
    return None if found is None else found.name


def find_bom(body: bytes) -> tuple[str | None, int]:
    """The encoding a byte order mark names, and the mark's length."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name, len(bom)
    return None, 0


_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_MIME = re.compile(rf"[\t\n\r ]*({_TOKEN})/({_TOKEN})[\t\n\r ]*(;.*)?", re.S)
_PARAMETER = re.compile(r';[\t\n\r ]*([^;=]*)(?:=("(?:[^"\\]|\\.)*"?|[^;]*))?', re.S)
_HEADER_VALUES = re.compile(r'(?:[^,"]|"(?:[^"\\]|\\.)*"?)+', re.S)


def content_type_parts(content_types: Sequence[str]) -> tuple[str, str | None]:
    """(essence, charset) of the Content-Type headers, as Fetch's "extract a MIME type" does.

    The last valid value wins; a charset carries over from an earlier value of the same type.
    """
    # Asked several times per page (each body check, then the title) with the same few
    # headers across a run: remembering the answer saved a twentieth of the CPU per URL.
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


def declared_encoding(
    body: bytes, content_types: Sequence[str], *, html: bool
) -> tuple[str | None, int]:
    """(encoding, BOM length) from the BOM, the HTTP charset, then XML declaration and meta.

    The encoding is None when the page declares none and must be guessed. As in Chromium's
    TextResourceDecoder, a `<meta>` overrides a leading `<?xml encoding?>` in HTML, and an
    XML declaration in UTF-16 without a BOM means UTF-16.
    """
    name, bom = find_bom(body)
    if name is not None:
        return name, bom
    charset = content_type_parts(content_types)[1]
    name = encoding_for_label(charset) if charset else None  # unknown, utf-7, empty: ignored
    if name is not None:
        return name, 0
    if body.startswith(b"<\0?\0x\0"):
        return "utf-16le", 0
    if body.startswith(b"\0<\0?\0x"):
        return "utf-16be", 0
    name = _xml_declared_encoding(body)
    if html:
        name = find_meta_encoding(body) or name
    return name, 0


def _xml_declared_encoding(body: bytes) -> str | None:
    match = _XML_DECLARATION.match(body)
    name = encoding_for_label(match.group(1).decode("latin-1")) if match else None
    return None if name is None else _in_document(name)


def _in_document(name: str) -> str:
    # A declaration inside the bytes cannot mean UTF-16 (it was read as ASCII), and
    # x-user-defined only counts from HTTP.
    return {"utf-16le": "utf-8", "utf-16be": "utf-8", "x-user-defined": "windows-1252"}.get(
        name, name
    )


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
            return _in_document(name)
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


def guess_encoding(body: bytes) -> str:
    """The encoding of an undeclared page: UTF-8 if valid, else the likeliest legacy one."""
    if body.isascii() or _is_utf8(body):
        return "utf-8"
    # Only lines with non-ASCII bytes tell encodings apart; CSS and scripts would drown them.
    text = b"\n".join(line for line in body.split(b"\n") if not line.isascii())[:_GUESS_BYTES]
    import charset_normalizer  # here: few runs meet an undeclared legacy page (~8 ms)

    best = charset_normalizer.from_bytes(text, cp_isolation=list(_GUESSES)).best()
    return "windows-1252" if best is None else _GUESSES.get(best.encoding, "windows-1252")


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as error:
        # A body cut at --max-bytes may end inside a character; the rest must show UTF-8.
        return error.reason == "unexpected end of data" and not body[: error.start].isascii()
    return True
