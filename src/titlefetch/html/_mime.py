"""Content-Type headers: the media type and charset they name, and which types have a title."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

_HTML = "text/html"
_XML_TYPES = ("text/xml", "application/xml")  # and every */*+xml, as in Chromium
_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_MIME = re.compile(rf"[\t\n\r ]*({_TOKEN})/({_TOKEN})[\t\n\r ]*(;.*)?", re.S)
_PARAMETER = re.compile(r';[\t\n\r ]*([^;=]*)(?:=("(?:[^"\\]|\\.)*"?|[^;]*))?', re.S)
_HEADER_VALUES = re.compile(r'(?:[^,"]|"(?:[^"\\]|\\.)*"?)+', re.S)


def content_type_parts(content_types: Sequence[str]) -> tuple[str, str | None]:
    """(essence, charset) of the Content-Type headers, as Fetch's "extract a MIME type" does.

    The last valid value wins; a charset carries over from an earlier value of the same type.
    """
    # Asked several times per page (each body check, then the title) with the same few
    # headers across a run: remembering the answer saved a twentieth of the CPU per URL.
    return _content_type_parts(tuple(content_types))


@functools.lru_cache(maxsize=1024)
def _content_type_parts(content_types: tuple[str, ...]) -> tuple[str, str | None]:
    essence, charset = "", None
    for header in content_types:
        for value in _HEADER_VALUES.findall(header):
            parsed = _parse_mime_type(value)
            if parsed is None:
                continue
            if parsed[0] != essence:
                essence, charset = parsed
            elif parsed[1] is not None:
                charset = parsed[1]
    return essence, charset


def _parse_mime_type(value: str) -> tuple[str, str | None] | None:
    match = _MIME.fullmatch(value)
    if match is None or match.group(1) == "*" and match.group(2) == "*":
        return None
    charset = None
    for name, raw in _PARAMETER.findall(match.group(3) or ""):
        if name.lower() == "charset" and charset is None:
            if raw.startswith('"'):
                charset = re.sub(r"\\(.)", r"\1", raw[1:].removesuffix('"'))
            else:
                charset = raw.rstrip("\t\n\r ")
    return f"{match.group(1)}/{match.group(2)}".lower(), charset


def media_type(content_types: Sequence[str]) -> str:
    """The media type the Content-Type headers name, lower-cased ("" when none)."""
    return content_type_parts(content_types)[0]


def is_html_type(essence: str) -> bool:
    """Whether a response of this media type is parsed as HTML (no type: sniffed as HTML)."""
    return essence in ("", _HTML)


def is_xml_type(essence: str) -> bool:
    """Whether a response of this media type is an XML document (XHTML, SVG, a feed, ...)."""
    return essence in _XML_TYPES or essence.endswith("+xml")


def can_have_title(content_types: Sequence[str]) -> bool:
    """Whether a response of this content type has a title at all (no type: sniffed as HTML)."""
    essence = media_type(content_types)
    return is_html_type(essence) or is_xml_type(essence)
