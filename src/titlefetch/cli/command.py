"""The titlefetch command: its options, and the wiring of sources, output and the run.

settings.py turns the options into the run's settings, console.py runs it on the console;
with them this is the command-line layer, the only click user.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from collections.abc import Iterator, Sequence
from typing import IO, Any

import click

from titlefetch._version import __version__
from titlefetch.cli.console import EXIT_USAGE, progress_for, run_and_write
from titlefetch.cli.output import (
    COLOR_MODES,
    FORMATTERS,
)
from titlefetch.cli.resume import answered_urls, trim_partial_line
from titlefetch.cli.settings import RunFailure, UsageFailure, given, settings_from, statuses_from
from titlefetch.cli.sources import read_sources
from titlefetch.errors import ClusterError, SourceError
from titlefetch.http.fetch import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_REDIRECTS,
    DEFAULT_USER_AGENT,
    HOST_SCHEMES,
    RENDER_MODES,
)
from titlefetch.http.trust import TRUST_STORES
from titlefetch.run.executors import BACKEND_NAMES
from titlefetch.run.lines import UrlLine

HELP = """Print the <title> of every URL in SOURCE files, fetched concurrently.

A SOURCE is a file with one URL per line, `-` for stdin, or a URL itself. With no SOURCE,
URLs are read from stdin when it is not a terminal. A line without a scheme (example.com,
host:8443/path) is fetched over https, and over http when https cannot connect (--scheme).

A line `URL<TAB>REGEX` is a smoke check: the title must match REGEX.

\b
Examples:
  titlefetch urls.txt --backend process --workers 4 --format jsonl | jq -r .title
  titlefetch checks.txt --expect-status 200 --format junit -o report.xml
  titlefetch --demo --trace
  titlefetch urls.txt --backend dask --scheduler tcp://10.0.0.5:8786 --workers 256

Exit status: 0 every URL ok, 1 any failed, 2 usage error, 130 interrupted. Any option's
default can come from the environment: TITLEFETCH_WORKERS=8, TITLEFETCH_FORMAT=jsonl.
"""


ENV_PREFIX = "TITLEFETCH"  # TITLEFETCH_WORKERS=8 is a default for --workers; options win


@click.command(
    help=HELP,
    context_settings={"help_option_names": ["-h", "--help"], "auto_envvar_prefix": ENV_PREFIX},
)
# A Path type (never checked here) lets shell completion offer file names for SOURCE.
@click.argument("sources", nargs=-1, metavar="[SOURCE]...", type=click.Path(allow_dash=True))
@click.option(
    "--backend",
    type=click.Choice(BACKEND_NAMES),
    default="thread",
    show_default=True,
    help="Run fetches in a pool of threads or of processes, or on a Dask cluster",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Dask scheduler for --backend dask, e.g. tcp://10.0.0.5:8786  [default: a local cluster]",
)
@click.option(
    "--workers",
    "-w",
    type=click.IntRange(min=1),
    help="Concurrent fetches, whatever the backend  [default: 32]",
)
@click.option(
    "--processes",
    type=click.IntRange(min=1),
    help="Worker processes of --backend process or a local Dask cluster, sharing the "
    "--workers  [default: one per core]",
)
@click.option(
    "--order",
    type=click.Choice(["input", "completed"]),
    default="input",
    show_default=True,
    help="Print results in input order, or as each fetch completes",
)
@click.option(
    "--format",
    "-f",
    "output_format",
    envvar=f"{ENV_PREFIX}_FORMAT",
    type=click.Choice([*FORMATTERS, "junit"]),
    default="text",
    show_default=True,
    help="Output format; junit writes one JUnit XML report at the end",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, allow_dash=True),
    default="-",
    help="Write results to this file instead of stdout",
)
@click.option("--trace", is_flag=True, help="Log which process and thread fetched each URL")
@click.option("--quiet", "-q", is_flag=True, help="No summary line on stderr")
@click.option("--fail-fast", is_flag=True, help="Stop at the first failed URL")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=10.0,
    show_default=True,
    help="Seconds allowed for each URL attempt, redirects included",
)
@click.option(
    "--connect-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=5.0,
    show_default=True,
    help="Seconds allowed to open a connection",
)
@click.option(
    "--retries",
    type=click.IntRange(min=0),
    default=2,
    show_default=True,
    help="Retries after connection errors, timeouts, 408, 429, 502, 503 and 504",
)
@click.option(
    "--max-redirects",
    type=click.IntRange(min=0),
    default=DEFAULT_MAX_REDIRECTS,
    show_default=True,
    help="Redirects (and followed meta refreshes) to follow at most",
)
@click.option(
    "--follow-refresh",
    is_flag=True,
    help="Follow a meta refresh of up to 5 s, as a browser does, to report the target's title",
)
@click.option(
    "--render",
    type=click.Choice(RENDER_MODES),
    default="never",
    show_default=True,
    help="Open HTML pages in headless Chromium for the title JavaScript sets: pages without "
    "a static title (missing), or every one (always)",
)
@click.option(
    "--render-wait",
    type=click.FloatRange(min=0),
    default=2.0,
    show_default=True,
    help="Seconds a rendered page may take to set its title once parsed (within --timeout)",
)
@click.option(
    "--render-workers",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    help="Pages rendered at once, per process",
)
@click.option(
    "--browser",
    metavar="PATH",
    help="Chromium or Chrome to render with  [default: chromium on PATH]",
)
@click.option(
    "--max-bytes",
    type=click.IntRange(min=1024),
    default=DEFAULT_MAX_BYTES,
    show_default=True,
    help="Body bytes to read at most while looking for the title",
)
@click.option(
    "--per-host",
    type=click.IntRange(min=1),
    default=8,
    show_default=True,
    help="Concurrent requests to one host at most",
)
@click.option(
    "--rate",
    type=click.FloatRange(min=0, min_open=True),
    help="Requests per second at most, overall  [default: no limit]",
)
@click.option("--user-agent", default=DEFAULT_USER_AGENT, help="User-Agent header to send")
@click.option(
    "--header",
    "headers",
    multiple=True,
    metavar="'NAME: VALUE'",
    allow_from_autoenv=False,  # an environment variable would split 'Name: value' at the space
    help="Extra request header (repeatable)",
)
@click.option("--insecure", is_flag=True, help="Do not verify TLS certificates")
@click.option(
    "--ca-bundle",
    type=click.Path(exists=True, dir_okay=False),
    help="Verify TLS certificates against this CA bundle",
)
@click.option(
    "--trust",
    type=click.Choice(TRUST_STORES),
    default="system",
    show_default=True,
    help="Certificates to verify against: the system's (as browsers), or certifi's bundle",
)
@click.option(
    "--scheme",
    type=click.Choice(HOST_SCHEMES),
    default="auto",
    show_default=True,
    help="Lines without a scheme: https, then http when https cannot connect (auto), or one",
)
@click.option(
    "--resume",
    type=click.Path(dir_okay=False),
    allow_from_autoenv=False,  # a mode for one run, not a default for every run
    help="Continue an interrupted run: skip URLs answered in this jsonl output, append the rest",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Show progress on stderr  [default: when stderr is a terminal and results are not]",
)
@click.option(
    "--expect-status",
    metavar="CODES",
    callback=lambda ctx, param, value: statuses_from(value),
    help="Final statuses (after redirects) that count as success, e.g. 200,404  [default: any 2xx]",
)
@click.option(
    "--color",
    type=click.Choice(COLOR_MODES),
    default="auto",
    show_default=True,
    help="Colour errors in text output: auto means on a terminal, unless NO_COLOR is set",
)
@click.option(
    "--demo",
    is_flag=True,
    allow_from_autoenv=False,
    help="Fetch the pages of a built-in local demo site",
)
@click.version_option(__version__, "--version", prog_name="titlefetch", allow_from_autoenv=False)
def main(**params: Any) -> None:  # noqa: D103 - the help text is HELP
    settings = settings_from(params)
    with contextlib.ExitStack() as stack:
        sources = _sources_from(params["sources"], params["demo"], stack)
        lines = _open_sources(sources)
        answered, output, mode = _resume_plan(params)
        out = stack.enter_context(_open_output(output, mode))
        progress = progress_for(sources, settings.progress, out)
        # Each fetch allocates thousands of short-lived objects; at the default threshold (700)
        # the cyclic collector ran ~250 times on the rig's medium list, 0.15-0.22 s of CPU.
        # At 10,000 it runs ~16 times, 0.09-0.11 s; memory stays flat (benchmarks/memory.py).
        gc.set_threshold(10_000, 20, 20)
        # What exists now (modules, their functions and constants) lives until exit: frozen,
        # no collection walks it again, the last one at exit included (~40 ms of 60).
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
        from titlefetch.cli.demo import serve_demo_site

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
