"""settings_from(): the command's option values become FetchOptions, a RunPlan and RunSettings."""

from __future__ import annotations

from typing import Any

import click
import pytest

from titlefetch.cli import main
from titlefetch.cli._launch import UsageFailure, settings_from, statuses_from


def settings(*args: str) -> Any:
    """What settings_from makes of the values click gives main() for `args`."""
    with main.make_context("titlefetch", list(args)) as ctx:
        return settings_from(dict(ctx.params))


def test_fetch_options_and_the_plan_come_from_their_options():
    made = settings(
        "--timeout", "3", "--retries", "0", "--header", "Cookie: a=b", "--insecure",
        "--per-host", "2", "--scheme", "http", "--trust", "certifi", "--follow-refresh",
        "--backend", "process", "--processes", "3", "--workers", "12", "--order", "completed",
        "--expect-status", "200,404", "--format", "tsv", "-",
    )  # fmt: skip
    options, plan = made.options, made.plan
    assert (options.timeout, options.retries, options.headers) == (3.0, 0, (("Cookie", "a=b"),))
    assert (options.verify, options.per_host, options.scheme) == (False, 2, "http")
    assert (options.trust, options.follow_refresh) == ("certifi", True)
    assert (plan.backend, plan.processes, plan.workers, plan.order) == (
        "process",
        3,
        12,
        "completed",
    )
    assert plan.expect_status == frozenset({200, 404})
    assert made.output_format == "tsv"


def test_resume_makes_the_output_jsonl():
    assert settings("--resume", "done.jsonl", "-").output_format == "jsonl"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--processes", "2"], "--processes needs --backend process, or dask without --scheduler"),
        (["--scheduler", "tcp://127.0.0.1:1"], "--scheduler needs --backend dask"),
    ],
)
def test_options_that_need_another_are_usage_failures(args, message):
    with pytest.raises(UsageFailure, match=message):
        settings(*args, "-")


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ("no colon", "is not 'Name: value'"),
        (": empty name", "is not 'Name: value'"),
        ("X-Note: one\r\nX-Evil: two", "is not one line"),
        ("X-Name: café ☕", "is not Latin-1 text"),
    ],
)
def test_a_header_that_http_cannot_carry_is_refused(header, problem):
    with pytest.raises(click.BadParameter, match=problem):
        settings("--header", header, "-")


def test_expect_status_parses_or_is_a_bad_parameter():
    assert statuses_from(None) is None
    assert statuses_from("200") == frozenset({200})
    with pytest.raises(click.BadParameter):
        statuses_from("ok")
