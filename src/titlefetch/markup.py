"""Where the title is in HTML text: a scan of the tokenizer and tree-builder states that matter.

Instead of building a whole DOM, this follows the WHATWG HTML tokenizer only as far as it decides
where the first HTML `<title>` element is: comments, bogus comments and doctypes, tags (quoted
attribute values may hold `>`), raw text (script with its escape states, style, xmp, iframe,
noembed, noframes), RCDATA (title, textarea), plaintext, template contents, and SVG/MathML
foreign content with its integration points and breakout tags. Scripting counts as disabled, as
in a browser with JavaScript off, so `<noscript>` content is ordinary markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WS = "\t\n\f\r "
_TAG_NAME = re.compile(r"[^\t\n\f\r />]*")
# Everything from after a tag name to its closing ">": attribute names and values, stray
# slashes. Atomic groups keep a long unterminated tag from backtracking.
_TAG_REST_PATTERN = (
    r"""(?>[\t\n\f\r /]+|[^\t\n\f\r />][^\t\n\f\r /=>]*+"""
    r"""(?>[\t\n\f\r ]*+=[\t\n\f\r ]*+(?>"[^"]*+(?:"|\Z)|'[^']*+(?:'|\Z)|[^\t\n\f\r >]*+))?+)*+>"""
)
_TAG_REST = re.compile(_TAG_REST_PATTERN)
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
_END_TAGS: dict[str, re.Pattern[str]] = {
    name: re.compile(rf"</{name}[\t\n\f\r />]", re.I | re.A) for name in TEXT_ELEMENTS
}
# Start tags that end SVG/MathML content (HTML "breakout" tags); <font> only with these attributes.
_BREAKOUT_NAMES = """b big blockquote body br center code dd div dl dt em embed h1 h2 h3 h4 h5 h6
    head hr i img li listing menu meta nobr ol p pre ruby s small span strong strike sub sup table
    tt u ul var"""
_BREAKOUT = frozenset(_BREAKOUT_NAMES.split())
# In plain HTML content (no SVG/MathML or template open) only these start tags matter; a run
# of text, other tags, end tags, comments and doctypes is skipped by one regex match, in C.
_D = r"(?=[\t\n\f\r />]|\Z)"  # the end of a tag name
_ANY_NAME = r"[A-Za-z][^\t\n\f\r />]*+"
_TAGS_THAT_MATTER = "title|script|style|textarea|xmp|iframe|noembed|noframes|plaintext|template"
_BOGUS = r"<!--(?>>|->|.*?--!?>)|<\?[^>]*+>|</[^A-Za-z>][^>]*+>|</>|<(?![A-Za-z!/?])"
# An <svg> or <math> element that cannot hold an HTML title: no integration point other than an
# SVG <title> holding only text, no breakout tag, no nested <svg>/<math> (inline icons).
_NOT_SIMPLE_FOREIGN = "svg|math|foreignobject|desc|title|annotation-xml|mi|mo|mn|ms|mtext|font|" + (
    "|".join(sorted(_BREAKOUT))
)


def _simple_foreign(root: str) -> str:
    return (
        rf"<{root}{_D}{_TAG_REST_PATTERN}(?:(?<=/>)|(?:[^<]++"
        rf"|<(?!(?:{_NOT_SIMPLE_FOREIGN}){_D}){_ANY_NAME}{_TAG_REST_PATTERN}"
        rf"|</(?!(?:{_NOT_SIMPLE_FOREIGN}){_D}){_ANY_NAME}{_TAG_REST_PATTERN}"
        rf"|<title{_D}{_TAG_REST_PATTERN}(?:(?<=/>)|[^<]*+</title{_D}{_TAG_REST_PATTERN})"
        rf"|<!\[CDATA\[.*?\]\]>|<!(?!--|\[CDATA\[)[^>]*+>|{_BOGUS})*+"
        rf"</{root}{_D}{_TAG_REST_PATTERN})"
    )


_UNIMPORTANT_RUN = re.compile(
    rf"""(?:[^<]++|{_simple_foreign("svg")}|{_simple_foreign("math")}"""
    rf"""|<(?!(?:{_TAGS_THAT_MATTER}|svg|math){_D}){_ANY_NAME}{_TAG_REST_PATTERN}"""
    rf"""|</{_ANY_NAME}{_TAG_REST_PATTERN}|<!(?!--)[^>]*+>|{_BOGUS})*+""",
    re.I | re.A | re.S,
)
_FONT_BREAKOUT = frozenset({"color", "face", "size"})
_INTEGRATION_POINTS = frozenset(
    {("svg", "foreignobject"), ("svg", "desc"), ("svg", "title")}
    | {("math", name) for name in ("mi", "mo", "mn", "ms", "mtext")}
)
_VOID_NAMES = """area base basefont bgsound br col embed frame hr image img input keygen link
    meta param source track wbr"""
_VOID = frozenset(_VOID_NAMES.split())


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


@dataclass(frozen=True, slots=True)
class TitleSpan:
    """Where the title's RCDATA content is; `closed` is False when it runs to the end."""

    start: int
    end: int
    closed: bool


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
        match = _END_TAGS[tag.name].search(text, tag.end)
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


@dataclass(frozen=True, slots=True)
class _Open:
    """An open element that matters: foreign ones, and HTML ones inside integration points."""

    namespace: str  # "svg", "math" or "html"
    name: str
    is_integration_point: bool = False


def find_title(text: str) -> TitleSpan | None:
    """Where the first HTML title element's content is, as a browser's parser decides."""
    stack: list[_Open] = []  # empty while in plain HTML content
    templates = 0  # a title in template contents is not in the document
    tag = next_tag(text, _UNIMPORTANT_RUN.match(text).end())  # type: ignore[union-attr]
    while tag is not None:
        if not _is_html_context(stack, tag):
            _foreign_tag(stack, tag)
            pos = tag.end
        elif tag.is_end_tag:
            templates -= tag.name == "template" and templates > 0
            _html_end_tag(stack, tag.name)
            pos = tag.end
        elif tag.name == "title" and not templates:
            return _title_span(text, tag.end)
        elif tag.name in TEXT_ELEMENTS:
            pos = skip_text_element(text, tag)
        elif tag.name == "plaintext":
            return None
        else:
            templates += tag.name == "template"
            _html_start_tag(stack, tag)
            pos = tag.end
        if pos < 0:
            return None
        if not stack and not templates:
            pos = _UNIMPORTANT_RUN.match(text, pos).end()  # type: ignore[union-attr]
        tag = next_tag(text, pos, foreign=bool(stack) and stack[-1].namespace != "html")
    return None


def _title_span(text: str, start: int) -> TitleSpan:
    match = _END_TAGS["title"].search(text, start)
    if match is None:
        return TitleSpan(start, len(text), closed=False)
    return TitleSpan(start, match.start(), closed=True)


def _is_html_context(stack: list[_Open], tag: Tag) -> bool:
    """Whether the tree builder treats `tag` as HTML rather than SVG/MathML content."""
    if not stack or stack[-1].namespace == "html":
        return True
    top = stack[-1]
    if tag.is_end_tag:
        return False
    if top.is_integration_point:
        return top.namespace == "svg" or tag.name not in ("mglyph", "malignmark")
    return top.name == "annotation-xml" and tag.name == "svg"


def _html_start_tag(stack: list[_Open], tag: Tag) -> None:
    if tag.name in ("svg", "math"):
        if not tag.is_self_closing:
            stack.append(_Open(tag.name, tag.name))
    elif stack and tag.name not in _VOID and tag.name not in ("html", "head", "body"):
        stack.append(_Open("html", tag.name))


def _html_end_tag(stack: list[_Open], name: str) -> None:
    # Like "any other end tag" in body: close the nearest HTML element of that name, but never
    # past SVG/MathML content (integration points are "special" elements).
    for index in range(len(stack) - 1, -1, -1):
        if stack[index].namespace != "html":
            return
        if stack[index].name == name:
            del stack[index:]
            return


def _foreign_tag(stack: list[_Open], tag: Tag) -> None:
    """Follow the rules for tokens in foreign content (a start tag may break out of it)."""
    if tag.is_end_tag:
        if tag.name in ("br", "p"):
            _break_out(stack)
            return
        for index in range(len(stack) - 1, -1, -1):
            if stack[index].name == tag.name:
                del stack[index:]
                return
            if stack[index].namespace == "html":
                _html_end_tag(stack, tag.name)
                return
        return
    if tag.name in _BREAKOUT or (tag.name == "font" and _FONT_BREAKOUT & tag.attributes().keys()):
        _break_out(stack)
        _html_start_tag(stack, tag)
    elif not tag.is_self_closing:
        stack.append(_foreign_element(stack[-1].namespace, tag))


def _break_out(stack: list[_Open]) -> None:
    while stack and stack[-1].namespace != "html" and not stack[-1].is_integration_point:
        stack.pop()


def _foreign_element(namespace: str, tag: Tag) -> _Open:
    if namespace == "math" and tag.name == "annotation-xml":
        encoding = tag.attributes().get("encoding", "").lower()
        return _Open(namespace, tag.name, encoding in ("text/html", "application/xhtml+xml"))
    return _Open(namespace, tag.name, (namespace, tag.name) in _INTEGRATION_POINTS)
