"""The encoding a `<meta>` declares, found as Chromium's meta charset scanner finds it."""

from __future__ import annotations

import re

from titlefetch.html._tokenizer import TEXT_ELEMENTS, next_tag, skip_text_element
from titlefetch.html.labels import encoding_for_label, in_document

_PRESCAN_BYTES = 1024  # a meta starting in these bytes counts wherever it is
_META_SCAN_BYTES = 256 * 1024  # past 1024 bytes, a meta must still be in <head>: stop somewhere
# Tags that keep Chromium's meta scanner "in <head>" (start tags; end tags without html/head).
_HEAD_END_TAGS = frozenset(
    {"script", "noscript", "style", "link", "meta", "object", "title", "base"}
)
_HEAD_TAGS = _HEAD_END_TAGS | {"html", "head"}
# In a meta content value: the first "charset" followed by "=", then its value, quoted or bare
# (to whitespace, a quote or ";"). Chromium's ExtractCharset takes every byte <= 0x20 as space.
_META_CHARSET_KEY = re.compile(r"charset[\x00-\x20]*=[\x00-\x20]*", re.I | re.A)
_META_CHARSET_VALUE = re.compile(r""""([^"]*)"|'([^']*)'|([^\x00-\x20"';]+)""")


def find_meta_encoding(body: bytes) -> str | None:
    """The encoding a `<meta>` declares, found as Chromium's meta charset scanner finds it.

    Tags are tokenized (a meta in a comment, script, style or title does not count). Every tag
    that starts in the first 1024 bytes is looked at, and later ones too while only tags that
    belong in <head> have been seen (Chromium's HTMLMetaCharsetParser; the WHATWG prescan
    stops at 1024 bytes, but Chromium is the reference for titles).
    """
    text = body[:_META_SCAN_BYTES].decode("latin-1")
    in_head, tag = True, next_tag(text, 0)
    while tag is not None and (in_head or tag.start < _PRESCAN_BYTES):
        pos = tag.end
        in_head = in_head and tag.name in (_HEAD_END_TAGS if tag.is_end_tag else _HEAD_TAGS)
        if tag.is_end_tag:
            pass
        elif tag.name == "meta" and (name := _meta_encoding(tag.attributes())) is not None:
            return in_document(name)
        elif tag.name in TEXT_ELEMENTS:
            pos = skip_text_element(text, tag)
        elif tag.name == "plaintext":
            return None
        tag = next_tag(text, pos) if pos >= 0 else None
    return None


def _meta_encoding(attributes: dict[str, str]) -> str | None:
    """What one `<meta>` declares, as Chromium's EncodingFromMetaAttributes reads it.

    A charset attribute wins (even an unusable one); otherwise the charset in content counts
    when http-equiv is "content-type".
    """
    if "charset" in attributes:
        return encoding_for_label(attributes["charset"])
    if attributes.get("http-equiv", "").lower() != "content-type":
        return None
    content = attributes.get("content", "")
    key = _META_CHARSET_KEY.search(content)
    value = _META_CHARSET_VALUE.match(content, key.end()) if key else None
    label = next((group for group in value.groups() if group), None) if value else None
    return None if label is None else encoding_for_label(label)
