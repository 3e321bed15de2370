"""The encoding of an undeclared page, guessed from its bytes.

Chromium hands such a page to its detector (compact_enc_det), which leans on the locale's
default, windows-1252 for en-US, and needs clear evidence to move away from it. We use
Firefox's detector, chardetng, built for the same job (legacy pages of the web without a
declaration) and measured closest to Chromium on hand-made pages in 31 encoding and language
pairs (docs/titles.md). One deliberate difference: valid UTF-8 is UTF-8 (Chromium shows
mojibake there).
"""

from __future__ import annotations

import re

from titlefetch.html.labels import ChosenEncoding, encoding_for_label

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
