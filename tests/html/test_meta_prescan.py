"""The encoding a <meta> declares, found as Chromium's meta charset scanner finds it."""

from __future__ import annotations

import pytest

from titlefetch.html.meta_prescan import find_meta_encoding


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ("<meta charset=koi8-r>", "koi8-r"),
        ('<meta charset="KOI8-R">', "koi8-r"),
        ("<meta http-equiv=Content-Type content='text/html; charset=koi8-r'>", "koi8-r"),
        ('<meta content="text/html;charset = \'koi8-r\'" http-equiv="content-type">', "koi8-r"),
        ("<meta content='text/html; charset=koi8-r'>", None),  # content needs the http-equiv
        ("<meta http-equiv=content-type content='charset=\"koi8-r'><meta charset=utf-8>", "utf-8"),
        ("<meta http-equiv=content-type content='charset;charset=koi8-r'>", "koi8-r"),
        ("<meta http-equiv=content-type content='charset=koi8-r;x'>", "koi8-r"),
        # a charset attribute, even an unusable one, wins over content (Chromium)
        ("<meta http-equiv=content-type content='charset=koi8-r' charset=bogus>", None),
        ("<meta charset=no-such-label><meta charset=koi8-r>", "koi8-r"),
        ("<meta charset=koi8-r charset=utf-8>", "koi8-r"),  # first of duplicates
        ("<!-- <meta charset=utf-8> --><meta charset=koi8-r>", "koi8-r"),
        ("<script>x='<meta charset=utf-8>'</script><meta charset=koi8-r>", "koi8-r"),
        ("<title><meta charset=utf-8></title><meta charset=koi8-r>", "koi8-r"),
        ('<link title="<meta charset=utf-8>"><meta charset=koi8-r>', "koi8-r"),
        ("<meta charset=utf-16le>", "utf-8"),  # a meta cannot mean UTF-16
        ("<meta charset=utf-16>", "utf-8"),
        ("<meta charset=x-user-defined>", "windows-1252"),
        # past the first 1024 bytes, a meta counts only while just <head> tags came before
        ("<p>" + " " * 1100 + "<meta charset=koi8-r>", None),
        ("<head></head>" + " " * 1100 + "<meta charset=koi8-r>", None),
        (
            "<html><head><title>t</title><style>" + "p{}" * 400 + "</style><meta charset=koi8-r>",
            "koi8-r",
        ),
        ("<head><script>" + "f();" * 300 + "</script><link rel=x><meta charset=koi8-r>", "koi8-r"),
        ("<head><div></div>" + "<!-- -->" * 150 + "<meta charset=koi8-r>", None),
        ("<head><my-element>" + " " * 1100 + "<meta charset=koi8-r>", None),
        ("<head><p>x</p><meta charset=koi8-r>", "koi8-r"),  # out of <head>, but within 1024
    ],
)
def test_meta_prescan(head: str, expected: str | None) -> None:
    assert find_meta_encoding(head.encode("ascii")) == expected
