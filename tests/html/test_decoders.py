"""Each encoding's decoder matches the Encoding Standard, where Python's codecs do not."""

from __future__ import annotations

import pytest

from titlefetch.html._decoders import decode, is_ascii_compatible


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
