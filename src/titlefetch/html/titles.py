"""Page bytes -> title, as a browser shows it: the HTML or XML path, and reading as it arrives.

HTML is not parsed into a tree: markup.find_title follows the parser's rules to the first real
`<title>`, and only that element's bytes are decoded (html_titles.py). XHTML and SVG are parsed
as XML (xml_titles.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from titlefetch.html.html_titles import HtmlTitle, html_title_text, locate_html_title
from titlefetch.html.mime import is_html_type, is_xml_type, media_type
from titlefetch.html.settling import is_title_settled
from titlefetch.html.title_text import as_shown
from titlefetch.html.xml_titles import xml_title


class TitleReader:
    """Finds one document's title while its body arrives: `is_settled` is fetch_page's
    `is_enough`, and `title` then reuses the markup walk that settled it (a second walk was a
    tenth of the CPU spent on a page)."""

    __slots__ = ("_found",)

    def __init__(self) -> None:
        self._found: HtmlTitle | None = None

    def is_settled(self, body: bytes, content_types: Sequence[str]) -> bool:
        self._found = None
        return is_title_settled(body, content_types, self._remember)

    def title(self, body: bytes, content_types: Sequence[str]) -> str | None:
        """extract_title(body, content_types), without walking again what is_settled walked."""
        found = self._found
        if found is None or found.body is not body:
            return extract_title(body, content_types)
        return as_shown(html_title_text(found))

    def _remember(self, found: HtmlTitle) -> None:
        self._found = found


def extract_title(body: bytes, content_types: Sequence[str]) -> str | None:
    """The document's title as a browser shows it, or None when it has none (or it is empty)."""
    kind = media_type(content_types)
    if is_xml_type(kind):
        title = xml_title(body, content_types)
    elif is_html_type(kind):
        title = html_title_text(locate_html_title(body, content_types))
    else:
        return None
    return as_shown(title)
