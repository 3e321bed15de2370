"""Whether the body read so far settles the title, so that reading can stop (streaming).

Called after each chunk of a body that may run to megabytes, so it must stay cheap: the markup
is walked only when a "</title" candidate has just arrived and cheap checks say it may close
the title element.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence

from titlefetch.html._encodings import encoding_for_label, find_bom
from titlefetch.html._mime import content_type_parts, is_html_type, is_xml_type
from titlefetch.html._tokenizer import SearchAbandoned
from titlefetch.html._xml import xml_title
from titlefetch.html.html_titles import HtmlTitle, locate_html_title

# "</title" and "<title" in any letter case: literal searches that sre runs fast.
_CLOSE_CANDIDATE = re.compile(rb"</title", re.I)
_OPEN_CANDIDATE = re.compile(rb"<title", re.I)
# The same in UTF-16, either byte order: NULs between the letters (slower, so only for UTF-16).
_WIDE_CLOSE_CANDIDATE = re.compile(rb"<\0?/\0?[Tt]\0?[Ii]\0?[Tt]\0?[Ll]\0?[Ee]")
_TITLE_NAMESPACE = re.compile(rb"http://www\.w3\.org/(?:1999/xhtml|2000/svg)")
_ALWAYS_WALK = 128 * 1024  # bodies this short are walked whenever a "</title" arrives
_FOREIGN_EDGE = re.compile(rb"<(/?)(?:svg|math)", re.I)
_LOOK_BACK = 64 * 1024  # how far before the tail a long body's title start is looked for
# is_title_settled looks for a new "</title" only in this many final bytes: the body grows by a
# chunk per call, so each candidate is still seen, and a long page costs O(chunk) per call.
_TAIL = 64 * 1024


def is_title_settled(
    body: bytes,
    content_types: Sequence[str],
    on_found: Callable[[HtmlTitle], None] | None = None,
) -> bool:
    """Whether `body` (a prefix of the document) settles the title: no more bytes needed.

    True at once for types without a title; otherwise only once a `</title` that really closes
    the title element has arrived (not one inside a comment or script). Cheap on a long body:
    the markup is walked only when a "</title" candidate is in its last _TAIL bytes.
    """
    kind, charset = content_type_parts(content_types)
    if not (is_html_type(kind) or is_xml_type(kind)) or _means_no_text(charset):
        return True
    wide = _is_utf16(body, charset)
    candidate = _WIDE_CLOSE_CANDIDATE if wide else _CLOSE_CANDIDATE
    closes = [match.start() for match in candidate.finditer(body, len(body) - _TAIL)]
    if not closes:
        return False
    if is_xml_type(kind):
        # Only an XHTML or SVG title counts: without their namespace there is none yet, and a
        # feed with a <title> per item is not parsed again for each chunk.
        if not wide and _TITLE_NAMESPACE.search(body) is None:
            return False
        try:
            return xml_title(_cut_after_last_close(body), content_types) is not None
        except SearchAbandoned:
            return True  # more bytes cannot help: the title is given up on
    if not wide and not _may_close_html_title(body, closes):
        return False
    found = locate_html_title(body, content_types)
    if on_found is not None:
        on_found(found)
    return found.gave_up or (found.span is not None and found.span.closed)


def _may_close_html_title(body: bytes, closes: list[int]) -> bool:
    """Cheap checks before walking the markup; a wrong False only means reading on."""
    if len(body) <= _ALWAYS_WALK:  # a "</title" with no "<title" before it closes nothing
        return _OPEN_CANDIDATE.search(body, 0, closes[-1]) is not None
    # On a long body, walk only for a "</title" whose nearest "<title" is not inside an unclosed
    # <svg> or <math> (inline icons): walking megabytes for every chunk would cost seconds. All
    # searches stay within the last _TAIL + _LOOK_BACK bytes.
    window = len(body) - _TAIL - _LOOK_BACK
    starts = [match.start() for match in _OPEN_CANDIDATE.finditer(body, window, closes[-1])]
    edges = list(_FOREIGN_EDGE.finditer(body, window, closes[-1]))
    positions = [edge.start() for edge in edges]
    for close in closes:
        nearest = bisect.bisect_left(starts, close) - 1
        if nearest >= 0:
            edge = bisect.bisect_left(positions, starts[nearest]) - 1
            if edge < 0 or edges[edge].group(1):  # "</svg" or "</math": not inside
                return True
    return False


def _is_utf16(body: bytes, charset: str | None) -> bool:
    wide = ("utf-16le", "utf-16be")
    if charset is not None and encoding_for_label(charset) in wide:
        return True
    return find_bom(body)[0] in wide or body.startswith((b"<\0?\0x\0", b"\0<\0?\0x"))


def _means_no_text(charset: str | None) -> bool:
    # The replacement decoder (iso-2022-kr, hz-gb-2312, ...) turns any page into one U+FFFD.
    return charset is not None and encoding_for_label(charset) == "replacement"


def _cut_after_last_close(body: bytes) -> bytes:
    """`body` up to the `>` of its last `</title...>`, so a half-read title is not taken."""
    matches = list(_WIDE_CLOSE_CANDIDATE.finditer(body))
    end = body.find(b">", matches[-1].end()) if matches else -1
    return body[: end + 1] if end >= 0 else b""
