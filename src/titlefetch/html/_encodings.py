"""Which encoding a page declares, in the browser's order: BOM, HTTP charset, XML, `<meta>`.

An undeclared page is left to guessing.py. Labels map as the WHATWG Encoding Standard says.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from titlefetch.html._mime import content_type_parts
from titlefetch.html.labels import ChosenEncoding, encoding_for_label, in_document
from titlefetch.html.meta_prescan import find_meta_encoding

_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xfe\xff", "utf-16be"), (b"\xff\xfe", "utf-16le"))
_XML_DECLARATION = re.compile(
    rb"""<\?xml[^>]*?encoding[\t\n\f\r ]*=[\t\n\f\r ]*["']([^"'>]*)["']"""
)


def find_bom(body: bytes) -> tuple[str | None, int]:
    """The encoding a byte order mark names, and the mark's length."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name, len(bom)
    return None, 0


def declared_encoding(
    body: bytes, content_types: Sequence[str], *, html: bool
) -> tuple[ChosenEncoding | None, int]:
    """The encoding the BOM, the HTTP charset, an XML declaration or a meta names, and the
    BOM's length.

    None when the page declares none and its encoding must be guessed. As in Chromium's
    TextResourceDecoder, a `<meta>` overrides a leading `<?xml encoding?>` in HTML, and an
    XML declaration in UTF-16 without a BOM means UTF-16.
    """
    name, bom = find_bom(body)
    if name is not None:
        return ChosenEncoding(name, "bom"), bom
    charset = content_type_parts(content_types)[1]
    name = encoding_for_label(charset) if charset else None  # unknown, utf-7, empty: ignored
    if name is not None:
        return ChosenEncoding(name, "header"), 0
    if body.startswith((b"<\0?\0x\0", b"\0<\0?\0x")):
        return ChosenEncoding("utf-16le" if body[0] else "utf-16be", "xml"), 0
    meta = find_meta_encoding(body) if html else None
    if meta is not None:
        return ChosenEncoding(meta, "meta"), 0
    name = _xml_declared_encoding(body)
    return (None if name is None else ChosenEncoding(name, "xml")), 0


def _xml_declared_encoding(body: bytes) -> str | None:
    match = _XML_DECLARATION.match(body)
    name = encoding_for_label(match.group(1).decode("latin-1")) if match else None
    return None if name is None else in_document(name)
