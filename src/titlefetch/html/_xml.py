"""An XML document's title (XHTML, SVG), parsed with BeautifulSoup's lxml XML builder.

The only module that uses BeautifulSoup.
"""

from __future__ import annotations

import functools
import html.entities
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from titlefetch.html._decoders import decode
from titlefetch.html._encodings import ChosenEncoding, declared_encoding, media_type
from titlefetch.html._tokenizer import WorkBudget

if TYPE_CHECKING:
    from bs4 import BeautifulSoup
    from bs4.builder._lxml import LXMLTreeBuilderForXML

_XHTML_NS = "http://www.w3.org/1999/xhtml"
_SVG_NS = "http://www.w3.org/2000/svg"
_XHTML_DOCTYPE = re.compile(r"<!DOCTYPE[^>]*//DTD XHTML", re.I)
_NAMED_REFERENCE = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")
_XML_DEFAULT = ChosenEncoding("utf-8", "default")
_TITLE_CLOSE = re.compile(r"</(?:[A-Za-z_][\w.-]*:)?title\s*>")
_UNITS_PER_ELEMENT = 2  # bs4 costs about twice the HTML walk per element


def can_hold_a_title(text: str) -> bool:
    """Whether an XML document's text names the XHTML or the SVG namespace: without either, no
    element of it can be a title (a feed, say), and it is not parsed at all."""
    return _XHTML_NS in text or _SVG_NS in text


def xml_title(body: bytes, content_types: Sequence[str]) -> str | None:
    """document.title of an XML document: parsing stops at the first well-formedness error.

    The first title element in the XHTML namespace, wherever it is; in an SVG document
    (image/svg+xml) whose root is `<svg>`, that root's SVG `<title>` child instead. Chromium
    makes the SVG rule for SVG documents only: served as text/xml, an SVG root's title does
    not count, and other XML (a feed, say) has a title only if it holds an XHTML one.

    Raises:
        SearchAbandoned: the document has more elements than the work budget allows to parse.
    """
    encoding, bom = xml_encoding(body, content_types)
    text = decode(body[bom:], encoding.name)
    if not can_hold_a_title(text):
        return None  # spare the parse
    if _XHTML_DOCTYPE.search(text, 0, 4096):
        text = _NAMED_REFERENCE.sub(_xhtml_entity, text)
    is_svg_document = media_type(content_types) == "image/svg+xml"
    # The title is nearly always the first one: parse up to its end first, and the whole
    # document (within the budget: bs4 builds a Python object per element) only if need be.
    first_close = _TITLE_CLOSE.search(text)
    if first_close is not None:
        title = _title_in(text[: first_close.end()], is_svg_document)
        if title is not None:
            return title
    WorkBudget(len(text)).spend(_UNITS_PER_ELEMENT * text.count("<"))
    return _title_in(text, is_svg_document)


def _title_in(text: str, is_svg_document: bool) -> str | None:
    # bs4 and lxml are imported on first use: a start-up cost that HTML pages never need.
    from bs4.element import CData, NavigableString, Tag

    soup = _parse_xml(text)
    if soup is None:
        return None
    root = next((child for child in soup.children if isinstance(child, Tag)), None)
    if is_svg_document and root is not None and root.name == "svg" and root.namespace == _SVG_NS:
        title = root.find("title", recursive=False)
        title = title if isinstance(title, Tag) and title.namespace == _SVG_NS else None
    else:
        title = soup.find(lambda tag: tag.name == "title" and tag.namespace == _XHTML_NS)
    if not isinstance(title, Tag):
        return None
    return "".join(
        str(child) for child in title.children if type(child) in (NavigableString, CData)
    )


def xml_encoding(body: bytes, content_types: Sequence[str]) -> tuple[ChosenEncoding, int]:
    """The encoding of an XML document (UTF-8, XML's default, when none is declared), and the
    length of its BOM."""
    encoding, bom = declared_encoding(body, content_types, html=False)
    return encoding or _XML_DEFAULT, bom


def _parse_xml(text: str) -> BeautifulSoup | None:
    from bs4 import BeautifulSoup
    from lxml import etree

    builder = _strict_xml_builder()()
    try:
        return BeautifulSoup(text, builder=builder)
    except etree.XMLSyntaxError:
        return builder.soup  # what was parsed before the error stays, as in a browser


def _xhtml_entity(match: re.Match[str]) -> str:
    # Browsers know HTML's named entities in a document with an XHTML DOCTYPE (its DTD is never
    # loaded); as character references they parse anywhere. XML's own five stay as they are.
    name = match.group(1)
    value = html.entities.html5.get(f"{name};")
    if value is None or name in ("amp", "lt", "gt", "quot", "apos"):
        return match.group()
    return "".join(f"&#{ord(char)};" for char in value)


@functools.cache
def _strict_xml_builder() -> type[LXMLTreeBuilderForXML]:
    from bs4.builder._lxml import LXMLTreeBuilderForXML
    from lxml import etree

    class StrictXmlBuilder(LXMLTreeBuilderForXML):
        """bs4's lxml-xml builder, stopping at the first well-formedness error as browsers do."""

        def default_parser(self, encoding: str | None) -> etree.XMLParser:
            # No network, no external entities: a page must not pull local files into its title.
            parser: etree.XMLParser = etree.XMLParser(  # type: ignore[call-overload]
                target=self,  # bs4's builder is an lxml parser target; the stubs cannot see it
                recover=False,
                encoding=encoding,
                resolve_entities="internal",
                no_network=True,
                load_dtd=False,
            )
            return parser

    return StrictXmlBuilder
