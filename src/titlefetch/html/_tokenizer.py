"""Tags in HTML text: the tokenizer states that find them, and the work a walk over them may do.

Follows the WHATWG tokenizer as far as finding tags needs: comments ("<!-->", "--!>"), bogus
comments and doctypes, tags whose quoted attribute values may hold ">", the end of raw text and
RCDATA elements, and the script data escape states ("<!--" and "<script" inside a script).
Works on str; markup is ASCII, so a latin-1 view of the bytes of any ASCII-compatible
encoding has the same markup at the same offsets.

A title search walks markup tag by tag only where the parser's rules need it (SVG/MathML
content, templates, the tags that matter); a page made of such markup (4 MiB of nested
`<svg><g><g>`, say) would otherwise cost seconds of CPU. So every walk has a WorkBudget, linear
in the document's size with a small floor; a search that spends it gives up: the page's title
is then unknown (`too_large`), as when --max-bytes is reached.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from titlefetch._errors import TitlefetchError

_TAG_NAME = re.compile(r"[^\t\n\f\r />]*")
# Everything from after a tag name to its closing ">": attribute names and values, stray
# slashes. Atomic groups keep a long unterminated tag from backtracking.
TAG_REST_PATTERN = (
    r"""(?>[\t\n\f\r /]+|[^\t\n\f\r />][^\t\n\f\r /=>]*+"""
    r"""(?>[\t\n\f\r ]*+=[\t\n\f\r ]*+(?>"[^"]*+(?:"|\Z)|'[^']*+(?:'|\Z)|[^\t\n\f\r >]*+))?+)*+>"""
)
_TAG_REST = re.compile(TAG_REST_PATTERN)
_ATTRIBUTE = re.compile(
    r"""([^\t\n\f\r />][^\t\n\f\r /=>]*)"""
    r"""(?:[\t\n\f\r ]*=[\t\n\f\r ]*("[^"]*"|'[^']*'|[^\t\n\f\r >]*))?"""
)
_COMMENT_END = re.compile(r"--!?>")
_RAW_TEXT = frozenset({"style", "xmp", "iframe", "noembed", "noframes", "textarea", "title"})
TEXT_ELEMENTS = _RAW_TEXT | {"script"}  # elements whose content is text, not markup
_SCRIPT_DATA = re.compile(r"<!--|</script[\t\n\f\r />]", re.I | re.A)
_SCRIPT_ESCAPED = re.compile(r"-->|</script[\t\n\f\r />]|<script[\t\n\f\r />]", re.I | re.A)
_SCRIPT_DOUBLE_ESCAPED = re.compile(r"-->|</script[\t\n\f\r />]", re.I | re.A)
END_TAGS: dict[str, re.Pattern[str]] = {
    name: re.compile(rf"</{name}[\t\n\f\r />]", re.I | re.A) for name in TEXT_ELEMENTS
}


@dataclass(frozen=True, slots=True)
class Tag:
    """A start or end tag found by the scan; `end` is the offset just past its ">"."""

    name: str
    start: int
    end: int
    is_end_tag: bool
    text: str  # the whole tag, for reading attributes

    @property
    def is_self_closing(self) -> bool:
        return self.text.endswith("/>")

    def attributes(self) -> dict[str, str]:
        """Attribute names (lower-cased) and raw values; the first of duplicates wins."""
        found: dict[str, str] = {}
        rest = self.text[1 + self.is_end_tag + len(self.name) : -1]
        for match in _ATTRIBUTE.finditer(rest):
            value = match.group(2) or ""
            if value[:1] in ("'", '"'):
                value = value[1:-1]
            found.setdefault(match.group(1).lower(), value)
        return found


def next_tag(text: str, pos: int, *, foreign: bool = False) -> Tag | None:
    """The first start or end tag at or after pos, skipping comments and other non-tag markup.

    None at end of input or in an unterminated construct (a comment or tag running to the end).
    Raw text and RCDATA content is not skipped here: the caller knows whether it applies and
    resumes after `skip_text_element`. With `foreign`, `<![CDATA[` opens a CDATA section (as in
    SVG/MathML content) instead of a bogus comment.
    """
    pos = text.find("<", pos)
    while pos >= 0:
        if foreign and text.startswith("<![CDATA[", pos):
            after = cdata_end(text, pos + 9)
            tag = None
        else:
            after, tag = _markup_at(text, pos)
        if tag is not None:
            return tag
        if after < 0:
            return None
        pos = text.find("<", after)
    return None


def _markup_at(text: str, pos: int) -> tuple[int, Tag | None]:
    """Classify the markup starting at `<` (pos): (offset after it or -1 for EOF, tag or None)."""
    nxt = text[pos + 1 : pos + 2]
    if nxt.isascii() and nxt.isalpha():
        return _tag_at(text, pos, is_end_tag=False)
    if nxt == "/":
        close = text[pos + 2 : pos + 3]
        if close.isascii() and close.isalpha():
            return _tag_at(text, pos, is_end_tag=True)
        if close == ">":
            return pos + 3, None
        return _bogus_comment_end(text, pos + 2), None
    if nxt == "!":
        if text.startswith("--", pos + 2):
            return _comment_end(text, pos + 4), None
        return _bogus_comment_end(text, pos + 2), None
    if nxt == "?":
        return _bogus_comment_end(text, pos + 1), None
    return pos + 1, None


def _tag_at(text: str, pos: int, *, is_end_tag: bool) -> tuple[int, Tag | None]:
    name_start = pos + 1 + is_end_tag
    name_match = _TAG_NAME.match(text, name_start)
    assert name_match is not None  # the pattern also matches an empty name
    rest = _TAG_REST.match(text, name_match.end())
    if rest is None:
        return -1, None  # EOF inside a tag: the tokenizer drops it, and nothing follows
    name = name_match.group().lower().replace("\0", "\ufffd")
    tag = Tag(name, pos, rest.end(), is_end_tag, text[pos : rest.end()])
    return tag.end, tag


def _comment_end(text: str, pos: int) -> int:
    # "<!-->" and "<!--->" are complete (empty) comments; otherwise "-->" or "--!>" ends it.
    if text.startswith(">", pos):
        return pos + 1
    if text.startswith("->", pos):
        return pos + 2
    match = _COMMENT_END.search(text, pos)
    return -1 if match is None else match.end()


def _bogus_comment_end(text: str, pos: int) -> int:
    end = text.find(">", pos)
    return -1 if end < 0 else end + 1


def cdata_end(text: str, pos: int) -> int:
    """Offset after the `]]>` closing a CDATA section opened before pos (-1: runs to EOF)."""
    end = text.find("]]>", pos)
    return -1 if end < 0 else end + 3


def skip_text_element(text: str, tag: Tag) -> int:
    """Offset after the end tag closing raw text / RCDATA element `tag` (-1: runs to EOF)."""
    if tag.name == "script":
        close = _script_close(text, tag.end)
    else:
        match = END_TAGS[tag.name].search(text, tag.end)
        close = -1 if match is None else match.start()
    if close < 0:
        return -1
    rest = _TAG_REST.match(text, close + 2 + len(tag.name))
    return -1 if rest is None else rest.end()


def _script_close(text: str, pos: int) -> int:
    """Start of the `</script` that ends script data at pos, following the escape states."""
    state = _SCRIPT_DATA
    while True:
        match = state.search(text, pos)
        if match is None:
            return -1
        found = match.group()
        if found[:2] == "</" and state is not _SCRIPT_DOUBLE_ESCAPED:
            return match.start()
        if found == "<!--":
            state, pos = _SCRIPT_ESCAPED, match.start() + 2  # its dashes can end it: "<!-->"
        elif found == "-->":
            state, pos = _SCRIPT_DATA, match.end()
        elif found[:2] == "</":  # "</script" in double-escaped text only returns to escaped
            state, pos = _SCRIPT_ESCAPED, match.end()
        else:  # "<script" inside "<!--": double-escaped
            state, pos = _SCRIPT_DOUBLE_ESCAPED, match.end()


FLOOR = 10_000  # units any document may spend: every ordinary page stays far below
BYTES_PER_UNIT = 128  # and one more unit per this many bytes of the document
SCANNED_BYTES_PER_UNIT = 256  # a regex pass over the text costs one unit per this many bytes


class SearchAbandoned(TitlefetchError):
    """The title search spent its work budget before it found where the title is."""


class WorkBudget:
    """Units of work left: a tag handled one at a time, a step along the stack of open
    elements, or SCANNED_BYTES_PER_UNIT bytes of a regex pass over text already walked."""

    __slots__ = ("_left",)

    def __init__(self, size: int) -> None:
        self._left = FLOOR + size // BYTES_PER_UNIT

    def spend(self, units: int = 1) -> None:
        """Take `units` from the budget.

        Raises:
            SearchAbandoned: when the budget is spent.
        """
        self._left -= units
        if self._left < 0:
            raise SearchAbandoned("the markup costs too much to search for a title")

    def spend_scan(self, size: int) -> None:
        """Take what a regex pass over `size` bytes costs."""
        self.spend(size // SCANNED_BYTES_PER_UNIT)
