"""Encoding labels map as the WHATWG Encoding Standard says."""

from __future__ import annotations

import pytest

from titlefetch.html.labels import encoding_for_label


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("iso-8859-1", "windows-1252"),
        ("latin1", "windows-1252"),
        ("ascii", "windows-1252"),
        ("us-ascii", "windows-1252"),
        (" UTF8 ", "utf-8"),
        ("gb2312", "gbk"),
        ("euc-kr", "euc-kr"),
        ("ks_c_5601-1987", "euc-kr"),
        ("sjis", "shift_jis"),
        ("windows-31j", "shift_jis"),
        ("big5-hkscs", "big5"),
        ("tis-620", "windows-874"),
        ("iso-2022-kr", "replacement"),
        ("hz-gb-2312", "replacement"),
        ("utf-16", "utf-16le"),
        ("utf-7", None),
        ("", None),
    ],
)
def test_labels_map_as_the_encoding_standard_says(label: str, expected: str | None) -> None:
    assert encoding_for_label(label) == expected
