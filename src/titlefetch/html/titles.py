"""Page bytes -> title, as a browser shows it: the HTML or XML path, and reading as it arrives.

HTML is not parsed into a tree: markup.find_title follows the parser's rules to the first real
`<title>`, and only that element's bytes are decoded (html_titles.py). XHTML and SVG are parsed
as XML (xml_titles.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from titlefetch.html.budget import SearchAbandoned
from titlefetch.html.html_titles import (
    HtmlTitle,
    html_encoding,
    html_title_text,
    locate_html_title,
)
from titlefetch.html.mime import is_html_type, is_xml_type, media_type
from titlefetch.html.settling import is_title_settled
from titlefetch.html.title_text import as_shown
from titlefetch.html.whatwg_decoders import decode
from titlefetch.html.xml_titles import can_hold_a_title, xml_encoding, xml_title


@dataclass(frozen=True, slots=True)
class PageTitle:
    """A document's title as shown (None: none, or blank) and the encoding it was read in
    (None for types without a title)."""

    title: str | None
    encoding: str | None = None
    encoding_source: str | None = None
    gave_up: bool = False  # the markup cost more than the search's work budget (budget.py)
    is_blank: bool = False  # a title element is there, but empty or only whitespace
    # False for an XML document that is neither XHTML nor SVG (RSS, Atom, ...): a kind of
    # document without titles, as an image is, rather than a page that lacks one.
    titled_kind: bool = True


class TitleReader:
    """Finds one document's title while its body arrives: `is_settled` is fetch_page's
    `is_enough`, and `read` then reuses the markup walk that settled it (a second walk was a
    tenth of the CPU spent on a page)."""

    __slots__ = ("_found",)

    def __init__(self) -> None:
        self._found: HtmlTitle | None = None

    def is_settled(self, body: bytes, content_types: Sequence[str]) -> bool:
        self._found = None
        return is_title_settled(body, content_types, self._remember)

    def read(self, body: bytes, content_types: Sequence[str]) -> PageTitle:
        """find_page_title(body, content_types), without walking again what is_settled walked."""
        found = self._found
        if found is None or found.body is not body:
            return find_page_title(body, content_types)
        return _html_page_title(found)

    def _remember(self, found: HtmlTitle) -> None:
        self._found = found


def find_page_title(body: bytes, content_types: Sequence[str]) -> PageTitle:
    """The document's title as a browser shows it, with the encoding it was decoded in."""
    kind = media_type(content_types)
    if is_xml_type(kind):
        encoding, bom = xml_encoding(body, content_types)
        if not can_hold_a_title(decode(body[bom:], encoding.name)):
            return PageTitle(None, encoding.name, encoding.source, titled_kind=False)
        try:
            text = xml_title(body, content_types)
        except SearchAbandoned:
            return PageTitle(None, encoding.name, encoding.source, gave_up=True)
        title = as_shown(text)
        return PageTitle(title, encoding.name, encoding.source, is_blank=_is_blank(text, title))
    if is_html_type(kind):
        return _html_page_title(locate_html_title(body, content_types))
    return PageTitle(None)


def extract_title(body: bytes, content_types: Sequence[str]) -> str | None:
    """The document's title as a browser shows it, or None when it has none (or it is empty)."""
    return find_page_title(body, content_types).title


def _html_page_title(found: HtmlTitle) -> PageTitle:
    encoding = html_encoding(found)
    text = html_title_text(found, encoding)
    title = as_shown(text)
    return PageTitle(
        title,
        encoding.name,
        encoding.source,
        gave_up=found.gave_up,
        is_blank=_is_blank(text, title),
    )


def _is_blank(text: str | None, shown: str | None) -> bool:
    return text is not None and shown is None
