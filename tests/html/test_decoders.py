"""Each encoding's decoder matches the Encoding Standard, where Python's codecs do not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.html.decoder_cases import CASES
from titlefetch.html._decoders import decode, is_ascii_compatible

CHROMIUM = json.loads(Path(__file__).with_name("decoders_chromium.json").read_text())
# Where Chromium's decoder is not the standard's: titlefetch follows the standard.
CHROMIUM_DIFFERS = {
    ("big5", "two-code-points"): "Chromium 156 gives U+0093 and a lone surrogate for the Big5 "
    "pointers 1133, 1135, 1164 and 1166; the standard gives two code points (Ê̄, Ê̌, ê̄, ê̌)",
}


@pytest.mark.parametrize(
    ("data", "encoding", "expected"),
    [
        (b"\x80\x81\x9f", "windows-1252", "\u20ac\x81\u0178"),  # undefined 0x81: a C1 control
        (b"\x98", "windows-1251", "\x98"),
        (b"\xca", "windows-1255", "\u05ba"),
        (b"\xae\xbe", "koi8-u", "\u040e\u045e"),  # the standard's KOI8-U is KOI8-RU
        (b"\xa5", "iso-8859-3", "\ufffd"),
        (b"\xa1\xdd\xa1\xc1", "euc-jp", "\uff0d\uff5e"),  # Windows mapping, not JIS X 0208's
        (b"\x8e\xb1", "euc-jp", "\uff71"),  # half-width katakana
        (b"\x8f\xb0\xa1", "euc-jp", "\u4e02"),  # JIS X 0212
        (b"\x81\x5f\x81\x60\x87\x40", "shift_jis", "\uff3c\uff5e\u2460"),  # cp932 + NEC row 13
        (b"\x82<", "shift_jis", "\ufffd<"),  # a bad trail byte that is ASCII is kept
        (b"\x81\x41", "euc-kr", "\uac02"),  # windows-949 extension
        (b"\x80\xa1\xa1", "gbk", "\u20ac\u3000"),  # 0x80 is the euro sign
        (b"\x81\x30\x81\x30", "gb18030", "\x80"),
        (b"\x88\x62\xa4\x40", "big5", "\u00ca\u0304\u4e00"),  # HKSCS pair + common ideograph
        (b"\x80\xff", "x-user-defined", "\uf780\uf7ff"),
        (b"anything", "replacement", "\ufffd"),
        (b"", "replacement", ""),
        (b"a\xffb\xe2\x82", "utf-8", "a\ufffdb\ufffd"),
        ("\u00e9".encode("utf-16-be") + b"\x00", "utf-16be", "\u00e9\ufffd"),
    ],
)
def test_decoders_match_the_encoding_standard(data: bytes, encoding: str, expected: str) -> None:
    assert decode(data, encoding) == expected


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("utf-8", True),
        ("shift_jis", True),
        ("windows-1252", True),
        ("utf-16le", False),
        ("utf-16be", False),
        ("iso-2022-jp", False),
        ("replacement", False),
    ],
)
def test_markup_is_found_bytewise_only_in_ascii_compatible_encodings(
    encoding: str, expected: bool
) -> None:
    assert is_ascii_compatible(encoding) is expected


@pytest.mark.parametrize(
    ("data", "encoding", "expected"),
    [
        # EUC-KR, Big5: a lead byte (0x81-0xFE) and a byte with no pointer are one error; the
        # byte is read again only if it is ASCII.
        (b"\xb0\x30", "euc-kr", "\ufffd0"),
        (b"\xb0\xffA", "euc-kr", "\ufffdA"),
        (b"\xb0", "euc-kr", "\ufffd"),  # end of queue after a lead
        (b"\xa4\x80A", "big5", "\ufffdA"),
        (b"\xa4\x7fA", "big5", "\ufffd\x7fA"),
        # Shift_JIS: 0xA0 and 0xFD-0xFF lead nothing and are errors; a lead and a bad trail
        # that is not ASCII are one.
        (b"\xa0\xfd\xfe\xff", "shift_jis", "\ufffd" * 4),
        (b"\x81\xfdA", "shift_jis", "\ufffdA"),
        (b"\x81 ", "shift_jis", "\ufffd "),
        # EUC-JP: a lead and a byte outside 0xA1-0xFE are one error; 0x8F, a byte and an
        # ASCII byte: one error, the ASCII byte read again.
        (b"\xa4\xa0A", "euc-jp", "\ufffdA"),
        (b"\x8e\xe0A", "euc-jp", "\ufffdA"),
        (b"\x8f\xa1A", "euc-jp", "\ufffdA"),
        (b"\x8f\xa1\xa1A", "euc-jp", "\ufffdA"),  # JIS X 0212 pointer 0: no character
        # ISO-2022-JP: two escape sequences in a row are an error; SO and SI are errors; a
        # byte that cannot trail ends the pair with one error.
        (b"\x1b$B\x1b(BA", "iso-2022-jp", "\ufffdA"),
        (b"\x0eA\x0f", "iso-2022-jp", "\ufffdA\ufffd"),
        (b"\x1b$B0\x7fA", "iso-2022-jp", "\ufffd\ufffd"),
        (b"\x1b(ZA", "iso-2022-jp", "\ufffd(ZA"),  # an unknown escape: ( and Z read again
        # gb18030: a four-byte sequence whose third or fourth byte is wrong is one error for
        # its first byte, and the rest is read again; four bytes with no character, one error.
        (b"\x810 A", "gb18030", "\ufffd0 A"),
        (b"\x810\x81 A", "gb18030", "\ufffd0\ufffd A"),
        (b"\xe3\x32\x9a\x36A", "gb18030", "\ufffdA"),
        (b"A\x810", "gb18030", "A\ufffd"),  # cut by the end: one error
        (b"\x81\xffA", "gbk", "\ufffdA"),
    ],
)
def test_invalid_sequences_decode_as_the_standards_algorithms_say(data, encoding, expected):
    """Issue 22: expected strings worked out from the Encoding Standard's decoder steps."""
    assert decode(data, encoding) == expected


@pytest.mark.parametrize(
    ("encoding", "name", "hex_bytes"),
    [(encoding, name, hex_bytes) for encoding, cases in CASES.items() for name, hex_bytes in cases],
)
def test_decoders_give_what_chromium_gives(encoding, name, hex_bytes):
    """Issue 22: as recorded from Chromium's TextDecoder (decoders_chromium.json), a UTF-8
    page mislabelled as each encoding included, except where Chromium is not the standard."""
    chromium = "".join(map(chr, CHROMIUM["decoded"][encoding][name]))
    ours = decode(bytes.fromhex(hex_bytes), encoding)
    assert (ours == chromium) is ((encoding, name) not in CHROMIUM_DIFFERS)
