"""What the command does once click has parsed its options: turn them into the run's settings
(FetchOptions, a RunPlan, RunSettings for the console, with the checks click's types cannot
make, failing in one line), open the sources and the output, run, and exit with the run's code.

Apart from _command.py so that `--help` and `--version` load none of this (nor the HTTP and
HTML stack it brings).
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import os
import sys
from collections.abc import Iterator, Sequence
from typing import IO, Any

import click

from titlefetch._errors import BackendUnavailable, BrowserUnavailable, ClusterError, SourceError
from titlefetch._options import FetchOptions, RunPlan
from titlefetch.cli._console import (
    EXIT_FAILED,
    EXIT_USAGE,
    RunSettings,
    progress_for,
    run_and_write,
)
from titlefetch.cli._sources import answered_urls, read_sources, trim_partial_line
from titlefetch.run import UrlLine, parse_statuses
from titlefetch.run.executors import require_backend

# From the command's option values to the run's settings.


class UsageFailure(click.ClickException):
    """A usage error told in one line (exit 2), such as an input file that cannot be read."""

    exit_code = EXIT_USAGE

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"titlefetch: error: {self.format_message()}", err=True)


class RunFailure(UsageFailure):
    """A run that cannot start, told in one line (exit 1), such as an unreachable cluster."""

    exit_code = EXIT_FAILED


def settings_from(params: dict[str, Any]) -> RunSettings:
    """The settings of a run from the command's option values (click's `params`).

    Each option named as its field in titlefetch._options goes there as it is; the others are
    read here: --header, --insecure, --user-agent (checked), --browser (found), --scheduler and
    --backend.
    """
    options = FetchOptions(
        **_same_names(FetchOptions, params),
        user_agent=_header_value(params["user_agent"], "'--user-agent'"),
        headers=tuple(_parse_header(text) for text in params["headers"]),
        verify=not params["insecure"],
        browser=_browser_from(params),
    )
    plan = RunPlan(
        **_same_names(RunPlan, params),
        backend=_backend_from(params),
        scheduler_address=params["scheduler"],
    )
    return RunSettings(
        plan=plan,
        options=options,
        output_format="jsonl" if params["resume"] else params["output_format"],
        trace=params["trace"],
        quiet=params["quiet"],
        fail_fast=params["fail_fast"],
        progress=params["progress"],
        color=params["color"],
    )


_READ_HERE = frozenset(
    {"user_agent", "headers", "verify", "backend", "scheduler_address", "browser"}
)


def _same_names(shape: type[FetchOptions | RunPlan], params: dict[str, Any]) -> dict[str, Any]:
    names = {field.name for field in dataclasses.fields(shape)} - _READ_HERE
    return {name: params[name] for name in names if name in params}


def statuses_from(text: str | None) -> frozenset[int] | None:
    """--expect-status's value as a set of statuses (click's callback)."""
    if text is None:
        return None
    try:
        return parse_statuses(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


def _backend_from(params: dict[str, Any]) -> str:
    backend: str = params["backend"]
    if params["scheduler"] is not None and backend != "dask":
        raise UsageFailure("--scheduler needs --backend dask")
    spread = backend == "process" or (backend == "dask" and params["scheduler"] is None)
    if not spread and given(click.get_current_context(), "processes"):
        raise UsageFailure("--processes needs --backend process, or dask without --scheduler")
    try:
        require_backend(backend)
    except BackendUnavailable as exc:
        raise UsageFailure(str(exc)) from exc
    return backend


def _browser_from(params: dict[str, Any]) -> str | None:
    """The browser --render drives, checked before anything is fetched."""
    if params["render"] == "never":
        return None
    from titlefetch.render import find_browser  # only --render loads the renderer

    try:
        return find_browser(params["browser"])
    except BrowserUnavailable as exc:
        raise UsageFailure(str(exc)) from exc


def _parse_header(text: str) -> tuple[str, str]:
    name, colon, value = text.partition(":")
    if not colon or not name.strip():
        raise click.BadParameter(f"{text!r} is not 'Name: value'", param_hint="'--header'")
    return name.strip(), _header_value(value.strip(), "'--header'")


def _header_value(value: str, option: str) -> str:
    # Requests are written as they are given: a line break would start another header.
    if any(character in value for character in "\r\n\0"):
        raise click.BadParameter(f"{value!r} is not one line", param_hint=option)
    try:
        value.encode("latin-1")  # what HTTP/1.1 headers carry
    except UnicodeEncodeError:
        raise click.BadParameter(f"{value!r} is not Latin-1 text", param_hint=option) from None
    return value


def given(ctx: click.Context, name: str) -> bool:
    """Whether option `name` was given on the command line: a default from the environment
    (TITLEFETCH_FORMAT) must not count, or it would block --resume."""
    return ctx.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE


# The launch itself.


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
