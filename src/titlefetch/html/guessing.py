"""The encoding of an undeclared page, guessed from its bytes."""

from __future__ import annotations

from titlefetch.html.labels import ChosenEncoding

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
_DEFAULT = ChosenEncoding("windows-1252", "default")  # the en-US browser's fallback


def guess_encoding(body: bytes) -> ChosenEncoding:
    """The encoding of an undeclared page: UTF-8 if valid, else the likeliest legacy one."""
    if body.isascii():
        return _DEFAULT
    if _is_utf8(body):
        return ChosenEncoding("utf-8", "guess")
    # Only lines with non-ASCII bytes tell encodings apart; CSS and scripts would drown them.
    text = b"\n".join(line for line in body.split(b"\n") if not line.isascii())[:_GUESS_BYTES]
    import charset_normalizer  # here: few runs meet an undeclared legacy page (~8 ms)

    best = charset_normalizer.from_bytes(text, cp_isolation=list(_GUESSES)).best()
    found = None if best is None else _GUESSES.get(best.encoding)
    return ChosenEncoding(found, "guess") if found else ChosenEncoding("windows-1252", "guess")


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as error:
        # A body cut at --max-bytes may end inside a character; the rest must show UTF-8.
        return error.reason == "unexpected end of data" and not body[: error.start].isascii()
    return True
