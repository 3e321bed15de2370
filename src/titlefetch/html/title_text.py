"""A title element's text as a browser shows it: RCDATA decoding, then whitespace collapsed."""

from __future__ import annotations

import html
import re

# Chromium turns C0 controls and DEL into spaces, then strips and collapses ASCII whitespace.
_SPACES = re.compile(r"[\x00-\x20\x7f]+")
_CHARACTER_REFERENCE = re.compile(r"&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)")


def as_shown(title: str | None) -> str | None:
    """The title a browser shows for `title`'s text: None when there is none or it is blank."""
    return normalize_title(title) or None if title is not None else None


def normalize_title(text: str) -> str:
    """Controls and runs of ASCII whitespace become one space; ends stripped; NBSP kept."""
    return _SPACES.sub(" ", text).strip(" ")


def decode_rcdata(text: str) -> str:
    """The text an RCDATA element holds: NUL is U+FFFD, character references decoded."""
    return _CHARACTER_REFERENCE.sub(_character_reference, text.replace("\0", "\ufffd"))


def _character_reference(match: re.Match[str]) -> str:
    ref = match.group(1)
    if ref[0] != "#":
        return html.unescape(match.group())  # named, including legacy ones without ";"
    hexadecimal = ref[1] in "xX"
    digits = ref[1 + hexadecimal :].rstrip(";").lstrip("0") or "0"
    number = int(digits, 16 if hexadecimal else 10) if len(digits) <= 8 else 0x110000
    if number == 0 or number > 0x10FFFF or 0xD800 <= number <= 0xDFFF:
        return "\ufffd"
    if 0x80 <= number <= 0x9F:  # the windows-1252 meaning, where it has one
        return bytes([number]).decode("cp1252", "ignore") or chr(number)
    return chr(number)  # other controls and noncharacters stay (normalize_title spaces C0)
