"""Each WHATWG encoding's decoder in Python: codecs patched where they differ from browsers.

webencodings names a Python codec per encoding; several decode differently from the Encoding
Standard (and from Chromium): the multi-byte ones need the Windows variants, EUC-JP needs the
Windows JIS X 0208 mapping, single-byte codecs lack the C1 controls of the standard's indexes,
and errors must be what the standard's decoders make of them: a lead byte and a byte that
cannot follow it are one U+FFFD, and the byte is read again only if it is ASCII. EUC-JP and
ISO-2022-JP are decoded here by the standard's algorithms, on Shift_JIS's JIS X 0208 table.
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
# EUC-JP byte sequences, as the standard's decoder reads them: 0x8F, a byte of A1-FE and any
# non-ASCII byte (a JIS X 0212 triple, or an error); a lead byte and a non-ASCII byte (a JIS X
# 0208 pair, a half-width katakana, or an error); a run of ASCII; or any other byte (an error:
# a lead byte before an ASCII byte, which is read again, or one that leads nothing).
_EUC_JP = re.compile(
    rb"\x8f[\xa1-\xfe][\x80-\xff]|[\x8e\x8f\xa1-\xfe][\x80-\xff]|[\x00-\x7f]+|.", re.S
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
    if encoding == "iso-2022-jp":
        return _decode_iso_2022_jp(data)
    python_name = _PYTHON_CODECS.get(encoding)
    codec = codecs.lookup(python_name) if python_name else _webencodings_codec(encoding)
    if _is_single_byte(encoding):
        return codecs.charmap_decode(data, "strict", _single_byte_table(codec.name, encoding))[0]
    text = str(codec.decode(data, _ERRORS)[0])
    if encoding == "shift_jis":  # cp932 reads 0xA0 and 0xFD-0xFF as private use; errors here
        text = text.translate(_CP932_SINGLES)
    return text


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
    if error.encoding == "gb18030":
        return _gb18030_error(data, start)
    lead = data[start]
    if start + 1 < len(data) and lead in _LEADS.get(error.encoding, ()):
        # A lead byte and a byte that cannot follow it: one error; the byte is read again
        # only if it is ASCII (the standard's EUC-KR, Shift_JIS and Big5 decoders).
        return "\ufffd", start + (1 if data[start + 1] < 0x80 else 2)
    if error.encoding in _LEADS:
        return "\ufffd", start + 1
    # UTF-8, UTF-16: Python's codecs replace as the standard does, but an ASCII byte that
    # cannot continue a character is never swallowed.
    end = start + 1 if error.end - start > 1 and data[start + 1] < 0x80 else error.end
    return "\ufffd", end


_LEADS = {
    "cp949": range(0x81, 0xFF),
    "big5hkscs": range(0x81, 0xFF),
    "cp932": frozenset([*range(0x81, 0xA0), *range(0xE0, 0xFD)]),
}
_CP932_SINGLES = str.maketrans("\uf8f0\uf8f1\uf8f2\uf8f3", "\ufffd" * 4)


def _gb18030_error(data: bytes, start: int) -> tuple[str, int]:
    """The standard's gb18030 decoder on an error that Python's codec found at `start`."""
    if data[start] == 0x80:
        return "\u20ac", start + 1  # the standard's gb18030 decodes a lone 0x80 as the euro sign
    rest = data[start + 1 : start + 4]
    if not 0x81 <= data[start] <= 0xFE or not rest:
        return "\ufffd", start + 1
    if not 0x30 <= rest[0] <= 0x39:  # two bytes: the second is read again if it is ASCII
        return "\ufffd", start + (1 if rest[0] < 0x80 else 2)
    if len(rest) < 3 and all(
        0x81 <= b <= 0xFE if i == 1 else 0x30 <= b <= 0x39 for i, b in enumerate(rest)
    ):
        return "\ufffd", len(data)  # a four-byte sequence cut by the end
    if len(rest) < 3 or not 0x81 <= rest[1] <= 0xFE or not 0x30 <= rest[2] <= 0x39:
        return "\ufffd", start + 1  # the bytes after the first are read again
    return "\ufffd", start + 4  # four bytes with no character


_ERRORS = "titlefetch-browser"
codecs.register_error(_ERRORS, _replace_like_browser)


def _decode_euc_jp(data: bytes) -> str:
    # Python's euc_jp uses the JIS X 0208 mapping; the standard uses the Windows one (its
    # index-jis0208 is Shift_JIS's, e.g. 0xA1DD is U+FF0D), so JIS X 0208 pairs go via cp932.
    parts = []
    for match in _EUC_JP.finditer(data):
        chunk = match.group()
        lead = chunk[0]
        if lead < 0x80:
            parts.append(chunk.decode("ascii"))
        elif len(chunk) == 3:  # JIS X 0212
            parts.append(chunk.decode("euc_jp", "replace") if _is_jis0212(chunk) else "\ufffd")
        elif len(chunk) == 1:
            parts.append("\ufffd")
        elif lead == 0x8E and 0xA1 <= chunk[1] <= 0xDF:
            parts.append(chr(0xFF61 + chunk[1] - 0xA1))
        elif lead >= 0xA1 and 0xA1 <= chunk[1] <= 0xFE:
            parts.append(_jis0208_pair(lead, chunk[1]))
        else:
            parts.append("\ufffd")
    return "".join(parts)


def _is_jis0212(chunk: bytes) -> bool:
    try:
        return 0xA1 <= chunk[2] <= 0xFE and len(chunk.decode("euc_jp")) == 1
    except UnicodeDecodeError:
        return False


def _jis0208_pair(lead: int, trail: int) -> str:
    pointer = (lead - 0xA1) * 94 + trail - 0xA1
    row, cell = divmod(pointer, 188)
    sjis = bytes((row + (0x81 if row < 0x1F else 0xC1), cell + (0x40 if cell < 0x3F else 0x41)))
    try:
        return sjis.decode("cp932")
    except UnicodeDecodeError:  # no character at that pointer: one error for the pair
        return "\ufffd"


# ISO-2022-JP: the standard's decoder states, and the escape sequences that switch them.
_ASCII, _ROMAN, _KATAKANA, _LEAD = "ascii", "roman", "katakana", "lead"
_ESCAPES = {b"(B": _ASCII, b"(J": _ROMAN, b"(I": _KATAKANA, b"$@": _LEAD, b"$B": _LEAD}
_ISO_2022_JP = re.compile(rb"\x1b(?:[($].?)?|[^\x1b]+", re.S)


def _decode_iso_2022_jp(data: bytes) -> str:
    """The standard's ISO-2022-JP decoder: an escape sequence sets the state, two in a row
    are an error, and bytes a state cannot read are errors (never passed through)."""
    parts: list[str] = []
    state, escaped = _ASCII, False  # escaped: the standard's "output flag"
    for match in _ISO_2022_JP.finditer(data):
        chunk = match.group()
        if chunk[0] != 0x1B:
            parts.append(_iso_2022_jp_run(chunk, state))
            escaped = False
        elif chunk[1:] in _ESCAPES:
            state = _ESCAPES[chunk[1:]]
            if escaped:
                parts.append("\ufffd")
            escaped = True
        else:  # an unknown escape: an error, and what followed ESC is read again
            parts.append("\ufffd" + _iso_2022_jp_run(chunk[1:], state))
            escaped = False
    return "".join(parts)


def _iso_2022_jp_run(chunk: bytes, state: str) -> str:
    if state == _LEAD:
        return "".join(_iso_2022_jp_pair(chunk[i : i + 2]) for i in range(0, len(chunk), 2))
    parts = []
    for byte in chunk:
        if state == _KATAKANA:
            parts.append(chr(0xFF61 - 0x21 + byte) if 0x21 <= byte <= 0x5F else "\ufffd")
        elif byte > 0x7F or byte in (0x0E, 0x0F):
            parts.append("\ufffd")
        elif state == _ROMAN and byte in (0x5C, 0x7E):
            parts.append("\u00a5" if byte == 0x5C else "\u203e")
        else:
            parts.append(chr(byte))
    return "".join(parts)


def _iso_2022_jp_pair(pair: bytes) -> str:
    # A lead byte of 0x21-0x7E and any byte after it are one pair; anything else is an error.
    if not 0x21 <= pair[0] <= 0x7E or len(pair) < 2 or not 0x21 <= pair[1] <= 0x7E:
        return "\ufffd"
    return _jis0208_pair(pair[0] + 0x80, pair[1] + 0x80)
