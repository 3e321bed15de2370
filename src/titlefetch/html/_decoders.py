"""Each WHATWG encoding's decoder in Python: codecs patched where they differ from browsers.

webencodings names a Python codec per encoding; several decode differently from the Encoding
Standard (and from Chromium): the multi-byte ones need the Windows variants, EUC-JP needs the
Windows JIS X 0208 mapping, single-byte codecs lack the C1 controls of the standard's indexes,
and errors must become U+FFFD without swallowing an ASCII byte.
"""

from __future__ import annotations

import codecs
import functools
import re

import webencodings

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
# EUC-JP byte sequences: a two-byte JIS X 0208 pair, a half-width katakana, a JIS X 0212
# triple, a run of ASCII, or any other byte (an error).
_EUC_JP = re.compile(
    rb"[\xa1-\xfe][\xa1-\xfe]|\x8e[\xa1-\xdf]|\x8f[\xa1-\xfe][\xa1-\xfe]|[\x00-\x7f]+|.", re.S
)


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
