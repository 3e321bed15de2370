"""What the command does once click has parsed its options: open the sources and the output,
run, and exit with the run's code.

Apart from _command.py so that `--help` and `--version` load none of this (nor the HTTP and
HTML stack it brings).
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from collections.abc import Iterator, Sequence
from typing import IO, Any

import click

from titlefetch._errors import ClusterError, SourceError
from titlefetch.cli._console import EXIT_USAGE, progress_for, run_and_write
from titlefetch.cli._settings import RunFailure, UsageFailure, given, settings_from
from titlefetch.cli._sources import answered_urls, read_sources, trim_partial_line
from titlefetch.run import UrlLine


def launch(params: dict[str, Any]) -> None:
    """Run the command with click's option values `params`; exits with the run's code."""
    settings = settings_from(params)
    with contextlib.ExitStack() as stack:
        sources = _sources_from(params["sources"], params["demo"], stack)
        lines = _open_sources(sources)
        answered, output, mode = _resume_plan(params)
        out = stack.enter_context(_open_output(output, mode))
        progress = progress_for(sources, settings.progress, out)
        # Each fetch allocates thousands of short-lived objects, few of them in cycles: the
        # cyclic collector need not run every 700 allocations; memory stays flat at 10,000
        # (benchmarks/README.md, "Small costs in code").
        gc.set_threshold(10_000, 20, 20)
        # What exists now (modules, their functions and constants) lives until exit: frozen,
        # no collection walks it again, the last one at exit included.
        gc.freeze()
        try:
            code = run_and_write(lines, settings, out, answered=answered, progress=progress)
        except SourceError as exc:  # an input or --resume file that fails while being read
            raise UsageFailure(str(exc)) from exc
        except ClusterError as exc:  # at the start, or when a lost scheduler cannot be renewed
            raise RunFailure(str(exc)) from exc
    sys.exit(code)


def _resume_plan(params: dict[str, Any]) -> tuple[Iterator[str], str, str]:
    """The URLs to skip, the output path and its open mode, from --resume and --output."""
    resume: str | None = params["resume"]
    if resume is None:
        return iter(()), params["output"], "w"
    ctx = click.get_current_context()
    if params["output_format"] != "jsonl" and given(ctx, "output_format"):
        raise UsageFailure("--resume reads and appends jsonl; drop --format or use jsonl")
    if params["output"] not in ("-", resume):
        raise UsageFailure("--resume appends to its own file; drop --output")
    if not os.path.exists(resume):
        return iter(()), resume, "a"
    try:
        trim_partial_line(resume)
        urls = answered_urls(resume)
    except (OSError, SourceError) as exc:
        raise UsageFailure(str(exc)) from exc
    return urls, resume, "a"


def _sources_from(sources: Sequence[str], demo: bool, stack: contextlib.ExitStack) -> list[str]:
    if demo:
        from titlefetch.cli._demo import serve_demo_site

        return [*sources, *stack.enter_context(serve_demo_site())]
    if sources:
        return list(sources)
    if sys.stdin is None or sys.stdin.isatty():
        ctx = click.get_current_context()
        click.echo(ctx.get_usage(), err=True)
        click.echo("Try 'titlefetch -h' for help; give a SOURCE or pipe URLs in.", err=True)
        ctx.exit(EXIT_USAGE)
    return ["-"]


def _open_sources(sources: Sequence[str]) -> Iterator[UrlLine]:
    try:
        return read_sources(sources)
    except SourceError as exc:
        raise UsageFailure(str(exc)) from exc


@contextlib.contextmanager
def _open_output(path: str, mode: str) -> Iterator[IO[str]]:
    if path == "-":
        yield sys.stdout
        return
    try:
        handle = open(path, mode, encoding="utf-8", newline="")  # noqa: SIM115
    except OSError as exc:
        raise UsageFailure(f"cannot write {path}: {exc.strerror or exc}") from exc
    with handle:
        yield handle
