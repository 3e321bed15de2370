"""Encoding labels -> the WHATWG Encoding Standard's encoding names (the `webencodings` table)."""

from __future__ import annotations

from dataclasses import dataclass

import webencodings


def encoding_for_label(label: str) -> str | None:
    """The WHATWG encoding name a label means (None for an unknown label)."""
    found = webencodings.lookup(label)
    return None if found is None else found.name


def in_document(name: str) -> str:
    """What an encoding named inside the document's own bytes (meta, XML declaration) means."""
    # A declaration inside the bytes cannot mean UTF-16 (it was read as ASCII), and
    # x-user-defined only counts from HTTP.
    return {"utf-16le": "utf-8", "utf-16be": "utf-8", "x-user-defined": "windows-1252"}.get(
        name, name
    )


@dataclass(frozen=True, slots=True)
class ChosenEncoding:
    """The encoding a page is decoded with, and where it came from: "bom", "header", "meta",
    "xml" (an XML declaration), "guess" (from the bytes) or "default" (nothing to go by)."""

    name: str
    source: str
