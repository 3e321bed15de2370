"""TitleResult -> output lines for each --format, and the trace and summary lines for stderr.

Pure functions: _console.py decides where the lines go. No format lets a control character from a
page or an input file reach a terminal raw, and text, the format for people, shows bidirectional
controls escaped too: a title cannot reorder what a terminal shows.

`--format junit` is one JUnit XML report, the format CI systems display, built once at the end
of a run. It is pure ASCII (everything else as character references), whatever the output
stream's encoding, and every character XML 1.0 forbids (C0 controls, lone surrogates,
U+FFFE/U+FFFF) is written as a visible escape instead, so the report parses even for a page
whose title holds ESC.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from titlefetch._results import TitleResult

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

FORMATS = ("text", "tsv", "csv", "jsonl")
COLUMNS = ("url", "title", "status", "error")

# C0 controls, DEL and C1 controls: a terminal may act on any of them (ESC starts a sequence,
# U+009B is a one-character CSI).
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROLS_BUT_TAB_NEWLINE = re.compile(r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f]")
# What text output (for people, on a terminal) escapes besides controls: the characters Unicode
# gives the Bidi_Control property, and the two line breaks outside ASCII. Embeddings and
# overrides (U+202A-U+202E) and isolates (U+2066-U+2069) reorder all that follows them on the
# line, the URL column included: "abc\u202egnp.exe" shows as "abcexe.png". The marks (U+200E,
# U+200F, U+061C) are invisible strong letters that reorder the digits and punctuation around
# them ("\u200f1 2\u200f" shows as "2 1"). U+2028 and U+2029 end a line for some renderers
# (and U+2029 a bidi paragraph). Joiners and variation selectors stay: emoji and scripts need them.
_TERMINAL_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
# json.dumps already escapes C0. U+2028 and U+2029 are written \u2028 and \u2029, which JSON
# reads back as the same characters: raw, they split a record for str.splitlines() and the
# line readers of many languages.
_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u2028\u2029]")
_TSV_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(character: re.Match[str]) -> str:
    char = character.group()
    code = ord(char)
    return _TSV_ESCAPES.get(char) or (f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}")


def visible(text: str) -> str:
    """`text` with every control character written as an escape (`\\t`, `\\n`, `\\x1b`)."""
    return _CONTROLS.sub(_escape, text)


def shown(text: str) -> str:
    """`text` safe to show on a terminal: visible(), and bidirectional controls and Unicode
    line breaks escaped as well (`\\u202e`).

    >>> shown("abc\\u202egnp.exe")
    'abc\\\\u202egnp.exe'
    """
    return _TERMINAL_UNSAFE.sub(_escape, text)


def error_text(result: TitleResult) -> str:
    """`kind: message` for a failed result, "" for a successful one."""
    if result.error is None:
        return ""
    return f"{result.error.kind}: {result.error.message}"


def _columns(result: TitleResult) -> list[str]:
    status = "" if result.status is None else str(result.status)
    return [result.url, result.title or "", status, error_text(result)]


def format_text(result: TitleResult) -> str:
    """For people: the URL, then its title or what went wrong (and an error page's title).

    >>> from titlefetch._results import Failure
    >>> gone = Failure("http_4xx", "HTTP 404")
    >>> format_text(TitleResult("https://a.test/x", title="Oops", error=gone))
    'https://a.test/x  ! http_4xx: HTTP 404 (title: Oops)'
    """
    if result.error is None:
        return f"{shown(result.url)}  {shown(result.title or '')}"
    return f"{shown(result.url)}  ! {shown(error_text(result))}{_error_page_title(result)}"


def format_tsv(result: TitleResult) -> str:
    r"""`url<TAB>title<TAB>status<TAB>error`; backslash, tab, CR and LF escaped as \\ \t \r \n."""
    return "\t".join(visible(value.replace("\\", "\\\\")) for value in _columns(result))


def format_csv(result: TitleResult) -> str:
    """The TSV columns as one RFC 4180 record (quoted where needed, CRLF-terminated)."""
    values = [_CONTROLS_BUT_TAB_NEWLINE.sub(_escape, value) for value in _columns(result)]
    return _csv_record(values).rstrip("\r\n")


def csv_header() -> str:
    """The CSV header row."""
    return _csv_record(list(COLUMNS)).rstrip("\r\n")


def _csv_record(values: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(values)
    return buffer.getvalue()


_RECORD_FIELDS = tuple(field.name for field in dataclasses.fields(TitleResult))


def format_jsonl(result: TitleResult) -> str:
    """One JSON object with every field of the record; `error` is {kind, message} or null."""
    # Built by hand: dataclasses.asdict() deep-copies and was a visible share of the parent's
    # CPU on large runs.
    record: dict[str, object] = {name: getattr(result, name) for name in _RECORD_FIELDS}
    if result.error is not None:
        record["error"] = {"kind": result.error.kind, "message": result.error.message}
    text = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


_RED, _RESET = "\x1b[31m", "\x1b[0m"


def format_text_in_color(result: TitleResult) -> str:
    """format_text() with the error part in red, for a terminal.

    >>> from titlefetch._results import Failure
    >>> format_text_in_color(TitleResult("https://a.test/", error=Failure("dns", "no host")))
    'https://a.test/  \\x1b[31m! dns: no host\\x1b[0m'
    """
    if result.error is None:
        return format_text(result)
    error = shown(error_text(result))
    return f"{shown(result.url)}  {_RED}! {error}{_RESET}{_error_page_title(result)}"


def _error_page_title(result: TitleResult) -> str:
    # A 404 page's own title says which page answered (#23); a mismatch already quotes it.
    if result.title is None or result.error is None or result.error.kind == "title_mismatch":
        return ""
    return f" (title: {shown(result.title)})"


def wants_color(mode: str, *, is_terminal: bool, environ: Mapping[str, str]) -> bool:
    """Whether `--color MODE` colours text output.

    `auto` colours a terminal only, and not when NO_COLOR is set (https://no-color.org) or
    TERM is `dumb`; `always` and `never` are the user's explicit choice.

    >>> wants_color("auto", is_terminal=True, environ={"NO_COLOR": "1"})
    False
    """
    if mode != "auto":
        return mode == "always"
    return is_terminal and not environ.get("NO_COLOR") and environ.get("TERM") != "dumb"


FORMATTERS: dict[str, Callable[[TitleResult], str]] = {
    "text": format_text,
    "tsv": format_tsv,
    "csv": format_csv,
    "jsonl": format_jsonl,
}
LINE_ENDINGS = {"csv": "\r\n"}


def _where(result: TitleResult) -> str:
    place = f"pid={result.pid} process={result.process} thread={result.thread}"
    if result.worker:
        place += f" worker={result.worker}"
    return place


def trace_lines(result: TitleResult, run_started: float) -> tuple[str, str]:
    """The `--trace` lines for one fetch: when and where it started, and how it ended.

    Both are written by the parent when the fetch's result arrives, from what the worker
    recorded; the start line gives the start time relative to the run.
    """
    url = shown(result.url)  # stderr is for people too
    offset = result.started - run_started
    outcome = "ok" if result.error is None else result.error.kind
    if result.render_ms is not None:  # --render sent it to the browser
        outcome += f" rendered in {result.render_ms / 1000:.3f}s"
    start = f"trace: start {url} {_where(result)} at +{offset:.3f}s"
    end = f"trace: end   {url} {_where(result)} {result.elapsed_ms / 1000:.3f}s {outcome}"
    return start, end


def summary_line(ok: int, failed: int, elapsed: float, *, interrupted: bool = False) -> str:
    """The one-line summary written to stderr at the end of a run."""
    total = ok + failed
    noun = "URL" if total == 1 else "URLs"
    text = f"titlefetch: {total} {noun}: {ok} ok, {failed} failed in {elapsed:.2f}s"
    return text + (" (interrupted)" if interrupted else "")


SUITE_NAME = "titlefetch"
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """`text` with controls escaped as visible() does, and nothing XML 1.0 forbids.

    >>> xml_safe("a\\x1bb\\ufffe")
    'a\\\\x1bb\\\\ufffe'
    """
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", visible(text))


def junit_report(results: Sequence[TitleResult], *, elapsed: float, timestamp: str) -> str:
    """The JUnit XML document for a run: one testcase per input line, failures with messages.

    `timestamp` is the run's start (ISO 8601); `elapsed` its duration in seconds.

    >>> report = junit_report([TitleResult("https://a.test/", title="A")], elapsed=0.5,
    ...                       timestamp="2026-01-01T00:00:00")
    >>> 'tests="1" failures="0"' in report
    True
    """
    import xml.etree.ElementTree as ET  # xml.etree is loaded only for --format junit

    failures = sum(1 for result in results if result.error is not None)
    totals = {"tests": str(len(results)), "failures": str(failures), "errors": "0"}
    totals["time"] = f"{elapsed:.3f}"
    root = ET.Element("testsuites", {"name": SUITE_NAME, **totals})
    suite_totals = {"name": SUITE_NAME, "timestamp": timestamp, **totals, "skipped": "0"}
    suite = ET.SubElement(root, "testsuite", suite_totals)
    suite.extend(_testcases(results))
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="us-ascii", xml_declaration=True)
    return document.decode("ascii") + "\n"


def _testcases(results: Iterable[TitleResult]) -> Iterable[ET.Element]:
    import xml.etree.ElementTree as ET

    for result in results:
        case = ET.Element(
            "testcase",
            classname=xml_safe(result.source or SUITE_NAME),
            name=xml_safe(result.url),
            time=f"{result.elapsed_ms / 1000:.3f}",
        )
        if result.line is not None:
            case.set("line", str(result.line))
        if result.error is not None:
            failure = ET.SubElement(
                case, "failure", type=result.error.kind, message=xml_safe(result.error.message)
            )
            failure.text = xml_safe(_details(result))
        else:
            ET.SubElement(case, "system-out").text = xml_safe(f"title: {result.title or ''}")
        yield case


def _details(result: TitleResult) -> str:
    assert result.error is not None
    where = f"{result.source}:{result.line}: " if result.source and result.line else ""
    status = "" if result.status is None else f" (status {result.status})"
    return f"{where}{result.url}: {result.error.kind}: {result.error.message}{status}"
