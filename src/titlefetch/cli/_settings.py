"""From the command's option values to the run's settings: FetchOptions for each fetch, a
RunPlan for the run, RunSettings for the console; and the checks click's types cannot make,
which fail in one line (UsageFailure)."""

from __future__ import annotations

import dataclasses
from typing import IO, Any

import click

from titlefetch._errors import BackendUnavailable, BrowserUnavailable
from titlefetch._options import FetchOptions, RunPlan
from titlefetch.cli._console import EXIT_FAILED, EXIT_USAGE, RunSettings
from titlefetch.render import find_browser
from titlefetch.run import parse_statuses
from titlefetch.run.executors import require_backend


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
