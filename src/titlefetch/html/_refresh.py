"""A document's meta refresh, found and parsed as Chromium does: `<meta http-equiv="refresh"
content="0; url=...">` gives a delay and a URL that a browser then loads.

Where it counts: any `<meta>` the tree builder puts in the document, in <head> or <body>
(in <noscript> too, scripting being off; in SVG/MathML `<meta>` breaks out into HTML), not in
a comment, raw text or template contents. Of several, the one that fires first wins, and of
equal delays the last (Chromium's HttpRefreshScheduler keeps a later one unless it is slower).
Only http-equiv "refresh" in any letter case counts, without spaces around it.

With --follow-refresh, which of them titlefetch follows (followed_refresh), and how far a body
is read to see one (is_read_for_refresh); http/_fetch.py follows it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from titlefetch.html._decoders import decode, is_ascii_compatible
from titlefetch.html._encodings import declared_encoding, guess_encoding, is_html_type, media_type
from titlefetch.html._titles import decode_rcdata
from titlefetch.html._tokenizer import (
    TEXT_ELEMENTS,
    SearchAbandoned,
    Tag,
    WorkBudget,
    next_tag,
    skip_text_element,
)

_WHITESPACE = "\t\n\f\r "
# A refresh's http-equiv value starts with "r" or a character reference: a cheap test that
# spares the walk on pages whose only http-equiv is a Content-Type. Starting at "-", which has
# no case, lets sre search for it as fast as for a plain string (figures: benchmarks/README.md).
_MAY_REFRESH = re.compile(rb"-equiv[\t\n\f\r ]*=[\t\n\f\r ]*[\"']?[r&]", re.I)
_TIME = re.compile(r"[\t\n\f\r ]*([0-9]*)([0-9.]*)")
_URL_KEY = re.compile(r"url[\t\n\f\r ]*=[\t\n\f\r ]*", re.I)


# A refresh of a few seconds is a redirect with a message ("you will be taken there in 3
# seconds"); a longer one is a page that reloads itself or moves on once read, whose own title
# is the one a visitor reads. In ../shared/corpus, 6 of 376 real pages carry one: 5 news front
# pages reloading every 240 to 1800 s, and a redirector's (Google's, in a <noscript>) of 0 s.
# (Browsers follow any delay; Scrapy up to 100 s.)
FOLLOWED_DELAY = 5
# How far an HTML body is read, past its title, for a refresh that comes after it: the corpus's
# news pages have theirs in <head> just after the title, and a redirector's may sit in a
# <noscript> in <body>. Redirecting pages are far shorter than this; a page whose title lies
# beyond it is read to its title, as always. On longer pages this costs a round trip or two of
# TCP slow start, and only with refreshes followed.
REFRESH_READ_BYTES = 32 * 1024


def is_read_for_refresh(body: bytes, content_types: Sequence[str]) -> bool:
    """Whether `body` (a prefix) is as much of the document as a refresh is looked for in: all
    of it for HTML up to REFRESH_READ_BYTES, nothing for other types (they have none)."""
    return not is_html_type(media_type(content_types)) or len(body) >= REFRESH_READ_BYTES


def followed_refresh(body: bytes, content_types: Sequence[str]) -> str | None:
    """The URL (as written) of the document's meta refresh when titlefetch follows it: one of
    at most FOLLOWED_DELAY seconds. It is not waited for."""
    refresh = find_meta_refresh(body, content_types)
    if refresh is None or refresh.delay > FOLLOWED_DELAY:
        return None
    return refresh.url


@dataclass(frozen=True, slots=True)
class MetaRefresh:
    """A refresh: after `delay` seconds, load `url` (as written, character references decoded;
    relative to the document's URL, "" meaning the document itself)."""

    delay: int
    url: str


def find_meta_refresh(body: bytes, content_types: Sequence[str]) -> MetaRefresh | None:
    """The meta refresh a browser would act on in this HTML document (a prefix is fine)."""
    if not is_html_type(media_type(content_types)) or _MAY_REFRESH.search(body) is None:
        return None
    declared, bom = declared_encoding(body, content_types, html=True)
    encoding = (declared or guess_encoding(body)).name
    if is_ascii_compatible(encoding):  # markup is ASCII: walk a byte view, decode the values
        text = body[bom:].decode("latin-1")
        contents = [decode(raw.encode("latin-1"), encoding) for raw in _refresh_contents(text)]
    else:
        contents = _refresh_contents(decode(body[bom:], encoding))
    chosen = None
    for content in contents:
        refresh = parse_refresh(decode_rcdata(content))
        if refresh is not None and (chosen is None or refresh.delay <= chosen.delay):
            chosen = refresh
    return chosen


def _refresh_contents(text: str) -> list[str]:
    """The raw content values of the refresh metas in the document, in order."""
    found: list[str] = []
    budget, templates, pos = WorkBudget(len(text)), 0, 0
    try:
        while (tag := next_tag(text, pos)) is not None:
            budget.spend()
            pos = tag.end
            if tag.name == "template":
                templates = max(0, templates + (-1 if tag.is_end_tag else 1))
            elif tag.is_end_tag:
                continue
            elif tag.name == "meta" and not templates and (content := _refresh_of(tag)):
                found.append(content)
            elif tag.name in TEXT_ELEMENTS:
                pos = skip_text_element(text, tag)
            elif tag.name == "plaintext":
                break
            if pos < 0:
                break
    except SearchAbandoned:
        pass  # what was found so far stands
    return found


def _refresh_of(tag: Tag) -> str | None:
    attributes = tag.attributes()
    if decode_rcdata(attributes.get("http-equiv", "")).lower() != "refresh":
        return None
    return attributes.get("content")


def parse_refresh(content: str) -> MetaRefresh | None:
    """A refresh's content value as Chromium reads it, or None when it is not valid.

    The delay is whole seconds (digits, then digits and dots that do not count: "1.5" is 1,
    ".5" is 0); then, after whitespace, a ";" or ",", the URL, optionally after "url=". A
    quoted URL ends at the last matching quote (the standard says the first; Chromium, tried
    on `url='/a'b'`, loads `/a'b`), or at the end when there is none.
    """
    match = _TIME.match(content)
    assert match is not None  # every part of the pattern may be empty
    if not match.group(1) and not match.group(2).startswith("."):
        return None
    delay = int(match.group(1) or "0")
    rest = content[match.end() :]
    if rest and rest[0] not in ";," + _WHITESPACE:
        return None
    rest = rest.lstrip(_WHITESPACE)
    rest = rest[1:] if rest[:1] in (";", ",") else rest
    return MetaRefresh(delay, _refresh_url(rest.lstrip(_WHITESPACE)))


def _refresh_url(rest: str) -> str:
    key = _URL_KEY.match(rest)
    url = rest[key.end() :] if key else rest
    if url[:1] in ("'", '"'):
        end = url.rfind(url[0])
        url = url[1:end] if end > 0 else url[1:]
    return url.strip(_WHITESPACE)
