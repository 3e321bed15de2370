"""The titlefetch command: its options, their help, and the call to launch.py that runs it.

It imports only click and the options' names and defaults, so `titlefetch --help` and
`--version` start without loading the run, the HTTP or the HTML stack (launch.py does).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
from click.core import ParameterSource
from click.decorators import FC

from titlefetch._version import __version__
from titlefetch.options import (
    BACKEND_NAMES,
    COLOR_MODES,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_REDIRECTS,
    DEFAULT_USER_AGENT,
    HOST_SCHEMES,
    OUTPUT_FORMATS,
    TRUST_STORES,
)

HELP = """Print the <title> of every URL in SOURCE files, fetched concurrently.

A SOURCE is a file with one URL per line, `-` for stdin, or a URL or host name itself. With
no SOURCE, URLs are read from stdin when it is not a terminal. A line without a scheme
(example.com, host:8443/path) is fetched over https, and over http when https cannot connect
(--scheme).

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


def environment_variable(param: click.Option) -> str | None:
    """The variable `param`'s default may come from, or None when it reads none."""
    if not param.allow_from_autoenv or not param.expose_value:
        return None
    if isinstance(param.envvar, str):
        return param.envvar
    return f"{ENV_PREFIX}_{(param.name or '').upper()}"


class _Option(click.Option):
    """An option whose bad value, when it came from the environment, names the variable."""

    def get_error_hint(self, ctx: click.Context | None) -> str:
        hint = super().get_error_hint(ctx)
        if ctx and ctx.get_parameter_source(self.name or "") is ParameterSource.ENVIRONMENT:
            return f"{hint} (from {environment_variable(self)})"
        return hint


def _option(*names: str, **attrs: Any) -> Callable[[FC], FC]:
    return click.option(*names, cls=_Option, **attrs)


@click.command(
    help=HELP,
    context_settings={"help_option_names": ["-h", "--help"], "auto_envvar_prefix": ENV_PREFIX},
)
# A Path type (never checked here) lets shell completion offer file names for SOURCE.
@click.argument("sources", nargs=-1, metavar="[SOURCE]...", type=click.Path(allow_dash=True))
@_option(
    "--backend",
    type=click.Choice(BACKEND_NAMES),
    default="thread",
    show_default=True,
    help="Run fetches in a pool of threads or of processes, or on a Dask cluster",
)
@_option(
    "--scheduler",
    metavar="ADDRESS",
    help="Dask scheduler for --backend dask, e.g. tcp://10.0.0.5:8786  [default: a local cluster]",
)
@_option(
    "--workers",
    "-w",
    type=click.IntRange(min=1),
    help="Concurrent fetches, whatever the backend  [default: 32]",
)
@_option(
    "--processes",
    type=click.IntRange(min=1),
    help="Worker processes of --backend process or a local Dask cluster, sharing the "
    "--workers  [default: one per core]",
)
@_option(
    "--order",
    type=click.Choice(["input", "completed"]),
    default="input",
    show_default=True,
    help="Print results in input order, or as each fetch completes",
)
@_option(
    "--format",
    "-f",
    "output_format",
    envvar=f"{ENV_PREFIX}_FORMAT",
    type=click.Choice(OUTPUT_FORMATS),
    default="text",
    show_default=True,
    help="Output format; junit writes one JUnit XML report at the end",
)
@_option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, allow_dash=True),
    default="-",
    help="Write results to this file instead of stdout",
)
@_option("--trace", is_flag=True, help="Log which process and thread fetched each URL")
@_option("--quiet", "-q", is_flag=True, help="No summary line on stderr")
@_option("--fail-fast", is_flag=True, help="Stop at the first failed URL")
@_option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=10.0,
    show_default=True,
    help="Seconds allowed for each URL attempt, redirects included",
)
@_option(
    "--connect-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=5.0,
    show_default=True,
    help="Seconds allowed to open a connection",
)
@_option(
    "--retries",
    type=click.IntRange(min=0),
    default=2,
    show_default=True,
    help="Retries after connection errors, timeouts, 408, 429, 502, 503 and 504",
)
@_option(
    "--max-redirects",
    type=click.IntRange(min=0),
    default=DEFAULT_MAX_REDIRECTS,
    show_default=True,
    help="Redirects (and followed meta refreshes) to follow at most",
)
@_option(
    "--follow-refresh",
    is_flag=True,
    help="Follow a meta refresh of up to 5 s, as a browser does, to report the target's title",
)
@_option(
    "--max-bytes",
    type=click.IntRange(min=1024),
    default=DEFAULT_MAX_BYTES,
    show_default=True,
    help="Body bytes to read at most while looking for the title",
)
@_option(
    "--per-host",
    type=click.IntRange(min=1),
    default=8,
    show_default=True,
    help="Concurrent requests to one host at most",
)
@_option(
    "--rate",
    type=click.FloatRange(min=0, min_open=True),
    help="Requests per second at most, overall  [default: no limit]",
)
@_option("--user-agent", default=DEFAULT_USER_AGENT, help="User-Agent header to send")
@_option(
    "--header",
    "headers",
    multiple=True,
    metavar="'NAME: VALUE'",
    allow_from_autoenv=False,  # an environment variable would split 'Name: value' at the space
    help="Extra request header (repeatable)",
)
@_option("--insecure", is_flag=True, help="Do not verify TLS certificates")
@_option(
    "--ca-bundle",
    type=click.Path(exists=True, dir_okay=False),
    help="Verify TLS certificates against this CA bundle",
)
@_option(
    "--trust",
    type=click.Choice(TRUST_STORES),
    default="system",
    show_default=True,
    help="Certificates to verify against: the system's (as browsers), or certifi's bundle",
)
@_option(
    "--scheme",
    type=click.Choice(HOST_SCHEMES),
    default="auto",
    show_default=True,
    help="Lines without a scheme: https, then http when https cannot connect (auto), or one",
)
@_option(
    "--resume",
    type=click.Path(dir_okay=False),
    allow_from_autoenv=False,  # a mode for one run, not a default for every run
    help="Continue an interrupted run: skip URLs answered in this jsonl output, append the rest",
)
@_option(
    "--progress/--no-progress",
    default=None,
    help="Show progress on stderr  [default: when stderr is a terminal and results are not]",
)
@_option(
    "--expect-status",
    metavar="CODES",
    callback=lambda ctx, param, value: _statuses(value),
    help="Final statuses (after redirects) that count as success, e.g. 200,404  [default: any 2xx]",
)
@_option(
    "--color",
    type=click.Choice(COLOR_MODES),
    default="auto",
    show_default=True,
    help="Colour errors in text output: auto means on a terminal, unless NO_COLOR is set",
)
@_option(
    "--demo",
    is_flag=True,
    allow_from_autoenv=False,
    help="Fetch the pages of a built-in local demo site",
)
@click.version_option(__version__, "--version", prog_name="titlefetch", allow_from_autoenv=False)
def main(**params: Any) -> None:  # noqa: D103 - the help text is HELP
    from titlefetch.cli.launch import launch

    launch(params)


def _statuses(text: str | None) -> frozenset[int] | None:
    from titlefetch.cli.settings import statuses_from

    return statuses_from(text)
