"""TitleResults -> one JUnit XML report (`--format junit`), the format CI systems display.

A report is a whole document, so it is built once at the end of a run. It is pure ASCII
(everything else as character references), whatever the output stream's encoding, and every
character XML 1.0 forbids (C0 controls, lone surrogates, U+FFFE/U+FFFF) is written as a
visible escape instead, so the report parses even for a page whose title holds ESC.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence

from titlefetch._results import TitleResult
from titlefetch.cli.output import visible

SUITE_NAME = "titlefetch"
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """`text` with controls escaped as output.visible() does, and nothing XML 1.0 forbids.

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
