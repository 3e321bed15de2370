"""XML documents' titles: an SVG root's <title> child, XHTML's title element."""

from __future__ import annotations

import pytest

from titlefetch.html._titles import extract_title

XHTML = ("application/xhtml+xml",)


SVG = ("image/svg+xml",)


XHTML_NS = 'xmlns="http://www.w3.org/1999/xhtml"'


SVG_NS = 'xmlns="http://www.w3.org/2000/svg"'


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        (f"<svg {SVG_NS}><title>Root title</title></svg>", "Root title"),
        (f"<svg {SVG_NS}><g><title>Nested</title></g><title>Root</title></svg>", "Root"),
        (f"<svg {SVG_NS}><g><title>Nested only</title></g></svg>", None),
        ("<svg><title>No SVG namespace</title></svg>", None),
        (f"<svg {SVG_NS}><title> a <tspan>b</tspan> c </title></svg>", "a c"),
    ],
)
def test_svg_document_title_is_the_root_svg_title_child(markup: str, expected: str | None) -> None:
    assert extract_title(markup.encode(), SVG) == expected


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        (f"<html {XHTML_NS}><head><title>XHTML</title></head></html>", "XHTML"),
        # parsed as XML: child elements are not text, CDATA is
        (f"<html {XHTML_NS}><title>A <b>b</b> C</title></html>", "A C"),
        (f"<html {XHTML_NS}><title><![CDATA[<x> & y]]></title></html>", "<x> & y"),
        (f"<html {XHTML_NS}><title>a<!-- c -->b</title></html>", "ab"),
        # a well-formedness error after the title keeps it; one before loses it
        (f"<html {XHTML_NS}><title>Kept</title><p>a & b</p></html>", "Kept"),
        (f"<html {XHTML_NS}><p>a & b</p><title>Lost</title></html>", None),
        ("<html><title>No XHTML namespace</title></html>", None),
        # with an XHTML DOCTYPE, HTML's named entities are known
        (
            '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "x.dtd">'
            f"<html {XHTML_NS}><title>A&nbsp;B &copy; &amp;&lt;</title></html>",
            "A\u00a0B \u00a9 &<",
        ),
        (
            '<?xml version="1.0" encoding="windows-1251"?>'
            f"<html {XHTML_NS}><title>\u0414\u0430</title></html>",
            "\u0414\u0430",
        ),
    ],
)
def test_xhtml_is_parsed_as_xml(markup: str, expected: str | None) -> None:
    encoding = "windows-1251" if "windows-1251" in markup else "utf-8"
    assert extract_title(markup.encode(encoding), XHTML) == expected


def test_xml_external_entities_are_not_loaded() -> None:
    body = (
        '<!DOCTYPE html [<!ENTITY secret SYSTEM "file:///etc/hostname">]>'
        f"<html {XHTML_NS}><title>x&secret;y</title></html>"
    )
    title = extract_title(body.encode(), XHTML)
    assert title is None or title == "xy"


XML_DOCUMENTS = {
    "xhtml": f'<?xml version="1.0"?><html {XHTML_NS}><head><title>XHTML</title></head></html>',
    "svg": f"<svg {SVG_NS}><title>SVG</title><g><title>inner</title></g></svg>",
    "feed": '<?xml version="1.0"?><rss version="2.0"><channel><title>Feed</title></channel></rss>',
    "deep": '<root><x:title xmlns:x="http://www.w3.org/1999/xhtml">Deep</x:title></root>',
    "no-namespace": "<html><head><title>No namespace</title></head></html>",
}
# What Chromium 156 shows (document.title, JavaScript off) for each document served as each
# type: the SVG root's title counts in SVG documents only; elsewhere the first XHTML title.
CHROMIUM_XML_TITLES = {
    "xhtml": "XHTML",
    "svg": None,
    "feed": None,
    "deep": "Deep",
    "no-namespace": None,
}


@pytest.mark.parametrize(
    "content_type",
    [
        "text/xml",
        "application/xml",
        "application/xhtml+xml",
        "image/svg+xml",
        "application/rss+xml",
    ],
)
@pytest.mark.parametrize("document", sorted(XML_DOCUMENTS))
def test_every_xml_type_has_the_title_chromium_shows(content_type: str, document: str) -> None:
    expected = CHROMIUM_XML_TITLES[document]
    if content_type == "image/svg+xml" and document == "svg":
        expected = "SVG"
    assert extract_title(XML_DOCUMENTS[document].encode(), (content_type,)) == expected
