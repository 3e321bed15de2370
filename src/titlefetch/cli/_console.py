"""A run on the console: results to the output, trace, progress and summary to stderr,
Ctrl-C and closed pipes. With _command.py it makes the command-line layer, the only click users.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import IO

import click

from titlefetch._api import TitleRun, start_run
from titlefetch._options import FetchOptions, RunPlan
from titlefetch._results import TitleResult
from titlefetch.cli._output import (
    FORMATTERS,
    LINE_ENDINGS,
    csv_header,
    format_text_in_color,
    junit_report,
    summary_line,
    trace_lines,
    wants_color,
)
from titlefetch.cli._sources import count_lines
from titlefetch.run import UrlLine

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


@dataclass(frozen=True, slots=True)
class RunSettings:
    """Everything a run needs besides its input, gathered from the options."""

    plan: RunPlan
    options: FetchOptions
    output_format: str
    trace: bool
    quiet: bool
    fail_fast: bool
    progress: bool | None
    color: str


@dataclass(slots=True)
class Progress:
    """What the progress display shows: lines done and failed of a total, and the pace."""

    shown: bool
    total: int | None = None
    done: int = 0
    failed: int = 0
    started: float = field(default_factory=time.monotonic)

    def describe(self, result: TitleResult | None) -> str:
        elapsed = time.monotonic() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        return f"{rate:.1f} URLs/s, {self.failed} failed, {elapsed:.0f}s elapsed"


def progress_for(sources: Sequence[str], wanted: bool | None, out: IO[str]) -> Progress:
    """Whether to show progress (by default: stderr is a terminal and the results are not),
    and the number of input lines when it is known."""
    shown = wanted
    if shown is None:
        shown = sys.stderr.isatty() and not out.isatty()
    if not shown:
        return Progress(shown=False)
    return Progress(shown=True, total=count_lines(sources))


def run_and_write(
    lines: Iterator[UrlLine],
    settings: RunSettings,
    out: IO[str],
    *,
    answered: Iterator[str],
    progress: Progress,
) -> int:
    """Fetch every line's title, write the results to `out`; returns the exit code."""
    started = time.time()
    run = start_run(
        lines,
        settings.options,
        settings.plan,
        on_fetched=_tracer(started) if settings.trace else None,
        # Results are flushed whenever the run has to wait, not after every line: each one
        # still shows as soon as it is ready, without a write() per result under load.
        before_waiting=_flusher(out),
        answered=answered,
    )
    with run, _interrupts_stop(run) as interrupts:
        results = _tally(run, settings, progress)
        if settings.output_format == "junit":
            _write_report(results, out)
        else:
            _write_lines(results, settings, out)
    if not settings.quiet:
        elapsed = time.time() - started
        failed = progress.failed
        line = summary_line(progress.done - failed, failed, elapsed, interrupted=interrupts.seen)
        click.echo(line, err=True)
    if interrupts.seen:
        return EXIT_INTERRUPTED
    return EXIT_OK if progress.failed == 0 else EXIT_FAILED


def _tally(run: TitleRun, settings: RunSettings, progress: Progress) -> Iterator[TitleResult]:
    """The run's results, counted (and shown) as they pass; stops the run on --fail-fast."""
    with _progress_bar(run, progress) as results:
        for result in results:
            progress.done += 1
            progress.failed += not result.ok
            if settings.fail_fast and not result.ok:
                run.stop()
            yield result


def _write_lines(results: Iterable[TitleResult], settings: RunSettings, out: IO[str]) -> None:
    formatter = _formatter(settings, out)
    ending = LINE_ENDINGS.get(settings.output_format, "\n")
    try:
        if settings.output_format == "csv":
            out.write(csv_header() + ending)
        for result in results:
            out.write(formatter(result) + ending)
        out.flush()
    except BrokenPipeError:
        _exit_on_broken_pipe()


def _flusher(out: IO[str]) -> Callable[[], None]:
    def flush() -> None:
        try:
            out.flush()
        except BrokenPipeError:
            _exit_on_broken_pipe()

    return flush


def _write_report(results: Iterable[TitleResult], out: IO[str]) -> None:
    """Collect every result, then write the whole JUnit document (also after Ctrl-C)."""
    started = datetime.datetime.now().astimezone()
    collected = list(results)
    elapsed = (datetime.datetime.now().astimezone() - started).total_seconds()
    timestamp = started.isoformat("T", "seconds")

    try:
        out.write(junit_report(collected, elapsed=elapsed, timestamp=timestamp))
        out.flush()
    except BrokenPipeError:
        _exit_on_broken_pipe()


@contextlib.contextmanager
def _progress_bar(run: TitleRun, progress: Progress) -> Iterator[Iterable[TitleResult]]:
    if not progress.shown:
        yield run
        return
    with click.progressbar(
        run,
        length=progress.total,
        label="titlefetch",
        file=sys.stderr,
        show_pos=True,
        item_show_func=progress.describe,
    ) as bar:
        yield bar


def _formatter(settings: RunSettings, out: IO[str]) -> Callable[[TitleResult], str]:
    # Only the text format, for people, is ever coloured; machine formats never are.
    if settings.output_format == "text":
        is_terminal = out.isatty()
        if wants_color(settings.color, is_terminal=is_terminal, environ=os.environ):
            return format_text_in_color
    return FORMATTERS[settings.output_format]


def _exit_on_broken_pipe() -> None:
    # The reader (head, a closed pager) is gone: leave at once, without a traceback and
    # without waiting for running fetches, whose results nobody would read.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os._exit(EXIT_FAILED)


def _tracer(run_started: float) -> Callable[[TitleResult], None]:
    def trace(result: TitleResult) -> None:
        for line in trace_lines(result, run_started):
            click.echo(line, err=True)

    return trace


@dataclass(slots=True)
class _Interrupts:
    seen: bool = False


@contextlib.contextmanager
def _interrupts_stop(run: TitleRun) -> Iterator[_Interrupts]:
    """First Ctrl-C: stop gracefully (finish running fetches). Second: leave at once."""
    interrupts = _Interrupts()

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        if interrupts.seen:
            with contextlib.suppress(OSError, ValueError):
                sys.stdout.flush()
            os._exit(EXIT_INTERRUPTED)
        interrupts.seen = True
        click.echo(
            "titlefetch: interrupted, finishing running fetches (Ctrl-C again quits)", err=True
        )
        run.stop()

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield interrupts
    finally:
        signal.signal(signal.SIGINT, previous)
