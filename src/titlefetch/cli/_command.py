"""The titlefetch command: its options, their help, and the call to _launch.py that runs it.

It imports only click and the options' names and defaults, so `titlefetch --help` and
`--version` start without loading the run, the HTTP or the HTML stack (_launch.py does).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
from click.core import ParameterSource
from click.decorators import FC

from titlefetch._options import (
    BACKEND_NAMES,
    COLOR_MODES,
    HOST_SCHEMES,
    ORDERS,
    OUTPUT_FORMATS,
    RENDER_MODES,
    TRUST_STORES,
    FetchOptions,
    RunPlan,
    default_of,
    help_of,
    shown_default_of,
)
from titlefetch._version import __version__

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
  titlefetch spa-urls.txt --render missing --format jsonl
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


def _option_of(
    shape: type[FetchOptions | RunPlan], field: str, *names: str, **attrs: Any
) -> Callable[[FC], FC]:
    """A click option whose default and help are those of `field` in titlefetch._options."""
    attrs.setdefault("help", help_of(shape, field))
    attrs.setdefault("default", default_of(shape, field))
    if not attrs.get("is_flag"):  # a flag's default is its absence
        shown = shown_default_of(shape, field)
        if isinstance(shown, str):  # words for a None default; click would bracket them
            attrs["help"] += f"  [default: {shown}]"
        attrs.setdefault("show_default", shown is True)
    return _option(*names, **attrs)


@click.command(
    help=HELP,
    context_settings={"help_option_names": ["-h", "--help"], "auto_envvar_prefix": ENV_PREFIX},
)
# A Path type (never checked here) lets shell completion offer file names for SOURCE.
@click.argument("sources", nargs=-1, metavar="[SOURCE]...", type=click.Path(allow_dash=True))
@_option_of(RunPlan, "backend", "--backend", type=click.Choice(BACKEND_NAMES))
@_option_of(RunPlan, "scheduler_address", "--scheduler", metavar="ADDRESS")
@_option_of(RunPlan, "workers", "--workers", "-w", type=click.IntRange(min=1))
@_option_of(RunPlan, "processes", "--processes", type=click.IntRange(min=1))
@_option_of(RunPlan, "order", "--order", type=click.Choice(ORDERS))
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
@_option_of(FetchOptions, "timeout", "--timeout", type=click.FloatRange(min=0, min_open=True))
@_option_of(
    FetchOptions,
    "connect_timeout",
    "--connect-timeout",
    type=click.FloatRange(min=0, min_open=True),
)
@_option_of(FetchOptions, "retries", "--retries", type=click.IntRange(min=0))
@_option_of(FetchOptions, "max_redirects", "--max-redirects", type=click.IntRange(min=0))
@_option_of(FetchOptions, "follow_refresh", "--follow-refresh", is_flag=True)
@_option_of(FetchOptions, "render", "--render", type=click.Choice(RENDER_MODES))
@_option_of(FetchOptions, "render_wait", "--render-wait", type=click.FloatRange(min=0))
@_option_of(FetchOptions, "render_workers", "--render-workers", type=click.IntRange(min=1))
@_option_of(FetchOptions, "browser", "--browser", metavar="PATH")
@_option_of(FetchOptions, "max_bytes", "--max-bytes", type=click.IntRange(min=1024))
@_option_of(FetchOptions, "per_host", "--per-host", type=click.IntRange(min=1))
@_option_of(RunPlan, "rate", "--rate", type=click.FloatRange(min=0, min_open=True))
# The default names titlefetch's version: shown in the docs, not in every --help.
@_option_of(FetchOptions, "user_agent", "--user-agent", show_default=False)
@_option_of(
    FetchOptions,
    "headers",
    "--header",
    "headers",
    multiple=True,
    metavar="'NAME: VALUE'",
    show_default=False,
    allow_from_autoenv=False,  # an environment variable would split 'Name: value' at the space
)
@_option("--insecure", is_flag=True, help="Do not verify TLS certificates")
@_option_of(FetchOptions, "ca_bundle", "--ca-bundle", type=click.Path(exists=True, dir_okay=False))
@_option_of(FetchOptions, "trust", "--trust", type=click.Choice(TRUST_STORES))
@_option_of(FetchOptions, "scheme", "--scheme", type=click.Choice(HOST_SCHEMES))
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
@_option_of(
    RunPlan,
    "expect_status",
    "--expect-status",
    metavar="CODES",
    callback=lambda ctx, param, value: _statuses(value),
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
    from titlefetch.cli._launch import launch

    launch(params)


def _statuses(text: str | None) -> frozenset[int] | None:
    from titlefetch.cli._launch import statuses_from

    return statuses_from(text)
