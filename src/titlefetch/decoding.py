"""Bytes -> str the way a browser decodes a page: which encoding, and each encoding's decoder.

The order is the browser's: byte order mark, the HTTP charset, then (HTML only) `<meta>` in the
first 1024 bytes and a leading `<?xml encoding?>`, then a guess. Labels map as the WHATWG
Encoding Standard says (the `webencodings` table); where a Python codec differs from the
standard's decoder, the difference is patched here.
"""

from __future__ import annotations

import codecs
import functools
import re
from collections.abc import Sequence

import charset_normalizer
import webencodings

from titlefetch.markup import TEXT_ELEMENTS, next_tag, skip_text_element

_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xfe\xff", "utf-16be"), (b"\xff\xfe", "utf-16le"))
_PRESCAN_BYTES = 1024
_GUESS_BYTES = 16 * 1024  # enough text for a confident guess, bounded cost
# Python codecs for the WHATWG encodings whose webencodings codec differs from the standard.
_PYTHON_CODECS = {
    "shift_jis": "cp932",  # the standard's Shift_JIS is Windows-31J
    "euc-kr": "cp949",  # the standard's EUC-KR is windows-949 (Unified Hangul Code)
    "gbk": "gb18030",  # the standard decodes GBK with the gb18030 decoder
    "gb18030": "gb18030",
    "big5": "big5hkscs",  # the standard's Big5 includes the HKSCS extensions
    "iso-2022-jp": "iso2022_jp_ext",  # also decodes half-width katakana (ESC ( I)
    "utf-16le": "utf-16-le",
    "utf-16be": "utf-16-be",
}
# Single bytes the standard decodes differently from Python's codec.
_BYTE_FIXES = {
    "koi8-u": {0xAE: "\u040e", 0xBE: "\u045e"},  # the standard's KOI8-U is KOI8-RU
    "windows-1255": {0xCA: "\u05ba"},
}
_ASCII_INCOMPATIBLE = frozenset({"utf-16le", "utf-16be", "iso-2022-jp", "replacement"})
# Encodings a guess may choose: the legacy ones pages really use, as Python codec names.
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
_CHARSET_PARAM = re.compile(r";[\t\n\r ]*charset[\t\n\r ]*=", re.I | re.A)
_META_CHARSET = re.compile(
    r"""charset[\t\n\f\r ]*=[\t\n\f\r ]*("[^"]*"|'[^']*'|[^\t\n\f\r ;"'][^\t\n\f\r ;]*)""",
    re.I | re.A,
)
_XML_DECLARATION = re.compile(rb"""<\?xml[^>]*?encoding[\t\n\r ]*=[\t\n\r ]*["']([^"'>]*)["']""")
_EUC_JP = re.compile(
    rb"[\xa1-\xfe][\xa1-\xfe]|\x8e[\xa1-\xdf]|\x8f[\xa1-\xfe][\xa1-\xfe]|[\x00-\x7f]+|.", re.S
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

    The encoding is None when the page declares none and must be guessed.
    """
    name, bom = find_bom(body)
    if name is not None:
        return name, bom
    charset = content_type_parts(content_types)[1]
    name = encoding_for_label(charset) if charset else None  # unknown, utf-7, empty: ignored
    if name is not None:
        return name, 0
    name = _xml_declared_encoding(body)
    if name is None and html:
        name = find_meta_encoding(body)
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
    """The encoding a `<meta>` in the first 1024 bytes declares (not one in a comment or script)."""
    text = body[: _PRESCAN_BYTES * 4].decode("latin-1")
    tag = next_tag(text, 0)
    while tag is not None and tag.start < _PRESCAN_BYTES:
        pos = tag.end
        if tag.is_end_tag:
            pass
        elif tag.name == "meta":
            name = _meta_encoding(tag.attributes())
            if name is not None:
                return _in_document(name)
        elif tag.name in TEXT_ELEMENTS:
            pos = skip_text_element(text, tag)
            if pos < 0:
                return None
        tag = next_tag(text, pos)
    return None


def _meta_encoding(attributes: dict[str, str]) -> str | None:
    """What one `<meta>` declares, per the prescan's charset / http-equiv + content rules."""
    got_pragma = attributes.get("http-equiv", "").lower() == "content-type"
    charset: str | None = None
    need_pragma: bool | None = None
    for name, value in attributes.items():  # in document order
        if name == "content" and charset is None:
            match = _META_CHARSET.search(value)
            label = match.group(1).strip("\"'") if match else None
            if label is not None and encoding_for_label(label) is not None:
                charset, need_pragma = encoding_for_label(label), True
        elif name == "charset":
            charset, need_pragma = encoding_for_label(value), False
    if need_pragma is None or (need_pragma and not got_pragma):
        return None
    return charset


def guess_encoding(body: bytes) -> str:
    """The encoding of an undeclared page: UTF-8 if valid, else the likeliest legacy one."""
    if body.isascii() or _is_utf8(body):
        return "utf-8"
    # Only lines with non-ASCII bytes tell encodings apart; CSS and scripts would drown them.
    text = b"\n".join(line for line in body.split(b"\n") if not line.isascii())[:_GUESS_BYTES]
    best = charset_normalizer.from_bytes(text, cp_isolation=list(_GUESSES)).best()
    return "windows-1252" if best is None else _GUESSES.get(best.encoding, "windows-1252")


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as error:
        # A body cut at --max-bytes may end inside a character; the rest must show UTF-8.
        return error.reason == "unexpected end of data" and not body[: error.start].isascii()
    return True


def is_ascii_compatible(encoding: str) -> bool:
    """Whether ASCII bytes always mean ASCII characters, so markup can be found bytewise."""
    return encoding not in _ASCII_INCOMPATIBLE


def decode(data: bytes, encoding: str) -> str:
    """`data` decoded by the WHATWG decoder for `encoding`, errors becoming U+FFFD."""
    if encoding == "replacement":
        return "\ufffd" if data else ""
    if encoding == "euc-jp":
        return _decode_euc_jp(data)
    python_name = _PYTHON_CODECS.get(encoding)
    codec = codecs.lookup(python_name) if python_name else _webencodings_codec(encoding)
    if _is_single_byte(encoding):
        return codecs.charmap_decode(data, "strict", _single_byte_table(codec.name, encoding))[0]
    return str(codec.decode(data, _ERRORS)[0])


def _webencodings_codec(encoding: str) -> codecs.CodecInfo:
    found = webencodings.lookup(encoding)
    if found is None:
        raise LookupError(f"not a WHATWG encoding: {encoding}")
    return found.codec_info


def _is_single_byte(encoding: str) -> bool:
    return encoding.startswith(("windows-", "iso-8859-")) or encoding in (
        "ibm866",
        "koi8-r",
        "koi8-u",
        "macintosh",
        "x-mac-cyrillic",
    )


@functools.cache
def _single_byte_table(codec: str, encoding: str) -> str:
    # Where Python's codec has no character, the standard's index has the C1 control of the
    # same number (windows-125x), or there is none (U+FFFD).
    fixes = _BYTE_FIXES.get(encoding, {})
    chars = []
    for byte in range(256):
        try:
            char = bytes([byte]).decode(codec)
        except UnicodeDecodeError:
            char = chr(byte) if 0x80 <= byte <= 0x9F else "\ufffd"
        chars.append(fixes.get(byte, char))
    return "".join(chars)


def _replace_like_browser(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    data, start = error.object, error.start
    if error.encoding == "gb18030" and data[start] == 0x80:
        return "\u20ac", start + 1  # the standard's gb18030 decodes a lone 0x80 as the euro sign
    # A byte that cannot continue a multi-byte character is never swallowed if it is ASCII.
    end = start + 1 if error.end - start > 1 and data[start + 1] < 0x80 else error.end
    return "\ufffd", end


_ERRORS = "titlefetch-browser"
codecs.register_error(_ERRORS, _replace_like_browser)


def _decode_euc_jp(data: bytes) -> str:
    # Python's euc_jp uses the JIS X 0208 mapping; the standard uses the Windows one (its
    # index-jis0208 is Shift_JIS's, e.g. 0xA1DD is U+FF0D), so JIS X 0208 pairs go via cp932.
    parts = []
    for match in _EUC_JP.finditer(data):
        chunk = match.group()
        if chunk[0] < 0x80:
            parts.append(chunk.decode("ascii"))
        elif chunk[0] == 0x8E and len(chunk) == 2:
            parts.append(chr(0xFF61 + chunk[1] - 0xA1))
        elif len(chunk) == 2:
            parts.append(_jis0208_pair(chunk[0], chunk[1]))
        elif len(chunk) == 3:
            parts.append(chunk.decode("euc_jp", "replace"))  # JIS X 0212
        else:
            parts.append("\ufffd")
    return "".join(parts)


def _jis0208_pair(lead: int, trail: int) -> str:
    pointer = (lead - 0xA1) * 94 + trail - 0xA1
    row, cell = divmod(pointer, 188)
    sjis = bytes((row + (0x81 if row < 0x1F else 0xC1), cell + (0x40 if cell < 0x3F else 0x41)))
    return sjis.decode("cp932", "replace")
