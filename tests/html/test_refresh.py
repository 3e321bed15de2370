"""Meta refresh: where a browser finds it and how it reads its content (#18).

The rows marked Chromium were checked in Chromium 156 (JavaScript off): the page it landed on.
"""

from __future__ import annotations

import pytest

from titlefetch.html._refresh import (
    REFRESH_READ_BYTES,
    MetaRefresh,
    find_meta_refresh,
    followed_refresh,
    is_read_for_refresh,
    parse_refresh,
)

HTML = ("text/html",)


def meta(content: str) -> str:
    return f'<meta http-equiv="refresh" content="{content}">'


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("0; url=/a", MetaRefresh(0, "/a")),
        ("0;URL='/a'", MetaRefresh(0, "/a")),
        ("0; url = /a", MetaRefresh(0, "/a")),
        ("0, /a", MetaRefresh(0, "/a")),  # a comma, or only whitespace, before a bare URL
        ("0 /a", MetaRefresh(0, "/a")),
        ("0;'/a'", MetaRefresh(0, "/a")),
        ("0;url='/a", MetaRefresh(0, "/a")),  # no closing quote: to the end
        ("0;url='/a' ", MetaRefresh(0, "/a")),
        ("0; url='/a'b'", MetaRefresh(0, "/a'b")),  # Chromium: to the last quote
        ("0; url=/a b ", MetaRefresh(0, "/a b")),
        ("0; url=/a#frag", MetaRefresh(0, "/a#frag")),
        ("0; urlx=/a", MetaRefresh(0, "urlx=/a")),  # not "url=": all of it is the URL
        ("0 ; ; url=/a", MetaRefresh(0, "; url=/a")),
        (".5; url=/a", MetaRefresh(0, "/a")),  # the fraction does not count
        ("0.9.9; url=/a", MetaRefresh(0, "/a")),
        ("  3  ", MetaRefresh(3, "")),  # no URL: the document itself
        ("5", MetaRefresh(5, "")),
        ("0; url=", MetaRefresh(0, "")),
        ("x; url=/a", None),
        ("-1; url=/a", None),
        ("1e0; url=/a", None),
        ("", None),
    ],
)
def test_parse_refresh_as_chromium(content: str, expected: MetaRefresh | None) -> None:
    assert parse_refresh(content) == expected


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        (meta("0; url=/a"), MetaRefresh(0, "/a")),
        # Chromium: the first to fire wins; of equal delays, the last.
        (meta("0; url=/a") + meta("0; url=/b"), MetaRefresh(0, "/b")),
        (meta("1; url=/a") + meta("0; url=/b"), MetaRefresh(0, "/b")),
        (meta("0; url=/a") + meta("1; url=/b"), MetaRefresh(0, "/a")),
        (meta("bogus") + meta("0; url=/b"), MetaRefresh(0, "/b")),  # invalid ones are skipped
        ('<meta http-equiv="REFRESH" content="0;url=/a">', MetaRefresh(0, "/a")),
        ('<meta content="0;url=/a" http-equiv="refresh">', MetaRefresh(0, "/a")),
        ("<META HTTP-EQUIV = 'Refresh' CONTENT='0;url=/a'>", MetaRefresh(0, "/a")),
        ('<meta http-equiv=refresh content="0;url=/a">', MetaRefresh(0, "/a")),
        ('<meta http-equiv="&#114;efresh" content="0;url=/a">', MetaRefresh(0, "/a")),
        ('<meta http-equiv="content-type" content="text/html">', None),
        ('<meta http-equiv=" refresh" content="0;url=/a">', None),
        ("<body><p>text</p>" + meta("0; url=/a") + "</body>", MetaRefresh(0, "/a")),
        ("<noscript>" + meta("0; url=/a") + "</noscript>", MetaRefresh(0, "/a")),
        ("<svg>" + meta("0; url=/a") + "</svg>", MetaRefresh(0, "/a")),  # <meta> breaks out
        ("<template>" + meta("0; url=/a") + "</template>", None),
        ("<!-- " + meta("0; url=/a") + " -->", None),
        ("<script>'" + meta("0; url=/a") + "'</script>", None),
        ("<title>" + meta("0; url=/a") + "</title>", None),
        ('<meta http-equiv="refresh" content="0; url=&quot;/a&quot;">', MetaRefresh(0, "/a")),
        ("<p>no refresh</p>", None),
    ],
)
def test_find_meta_refresh_where_a_browser_does(markup: str, expected: MetaRefresh | None) -> None:
    assert find_meta_refresh(markup.encode(), HTML) == expected


def test_the_url_is_decoded_in_the_page_encoding() -> None:
    body = (meta("0; url=/новости") + "<meta charset=windows-1251>").encode("cp1251")
    assert find_meta_refresh(body, HTML) == MetaRefresh(0, "/новости")


def test_only_html_documents_refresh() -> None:
    assert find_meta_refresh(meta("0; url=/a").encode(), ("image/svg+xml",)) is None


@pytest.mark.parametrize(
    ("markup", "followed"),
    [
        (meta("0; url=/a"), "/a"),
        (meta("5; url=/a"), "/a"),  # --follow-refresh follows up to 5 s (#18)
        (meta("6; url=/a"), None),
        (meta("900"), None),  # a news page reloading itself every 15 minutes
        (meta("2"), ""),  # the page itself: fetch.py does not reload it
        (meta("900; url=/a") + meta("1; url=/b"), "/b"),  # the one that fires first
        ("<p>none</p>", None),
    ],
)
def test_followed_refresh_is_one_of_at_most_5_seconds(markup: str, followed: str | None) -> None:
    assert followed_refresh(markup.encode(), HTML) == followed


@pytest.mark.parametrize(
    ("size", "content_types", "read"),
    [
        (0, HTML, False),
        (REFRESH_READ_BYTES - 1, HTML, False),
        (REFRESH_READ_BYTES, HTML, True),
        (0, (), False),  # no type: sniffed as HTML
        (0, ("application/pdf",), True),  # no refresh to look for
        (0, ("application/xhtml+xml",), True),
    ],
)
def test_html_is_read_to_32_kb_for_a_refresh(
    size: int, content_types: tuple[str, ...], read: bool
) -> None:
    assert is_read_for_refresh(b"x" * size, content_types) is read
