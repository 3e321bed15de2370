"""titlefetch._options: every option's default declared once, and everything that offers an
option (click, fetch_titles, afetch_titles, prepare_run) reading it from there (#23)."""

from __future__ import annotations

import dataclasses
import inspect
import typing

import click
import pytest

from titlefetch._api import fetch_titles, prepare_run
from titlefetch._async_api import afetch_titles
from titlefetch._options import (
    FETCH,
    PLAN,
    FetchOptions,
    RunOptions,
    RunPlan,
    default_of,
    help_of,
    shown_default_of,
)
from titlefetch.cli import main

# fetch_titles() takes these four plan fields as keywords of their own; the rest via RunOptions.
_OWN_KEYWORDS = ("backend", "scheduler_address", "workers", "order")
_CALLBACKS = {"on_fetched", "before_waiting", "answered"}
# Option names that differ from their field's, and fields with no option of their own.
_OPTION_OF_FIELD = {"scheduler_address": "scheduler"}
_NOT_OPTIONS = {"verify", "window"}  # --insecure sets verify=False; window is the API's only


def _fields(shape: type[object]) -> list[dataclasses.Field[object]]:
    return list(dataclasses.fields(shape))  # type: ignore[arg-type]


def test_run_options_are_the_fetch_options_and_the_plan_besides_its_own_keywords():
    expected = (
        {field.name for field in _fields(FetchOptions)}
        | {field.name for field in _fields(RunPlan)} - set(_OWN_KEYWORDS)
        | _CALLBACKS
    )
    assert set(typing.get_type_hints(RunOptions)) == expected


@pytest.mark.parametrize("entry", [prepare_run, afetch_titles])
def test_the_entry_points_share_fetch_titles_keywords_and_defaults(entry):
    assert inspect.signature(entry).parameters == inspect.signature(fetch_titles).parameters


def test_the_entry_points_take_their_defaults_from_the_plan():
    parameters = inspect.signature(fetch_titles).parameters
    for name in _OWN_KEYWORDS:
        assert parameters[name].default == getattr(PLAN, name)


def _click_options() -> dict[str, click.Option]:
    return {param.name: param for param in main.params if isinstance(param, click.Option)}  # type: ignore[misc]


@pytest.mark.parametrize(
    "field",
    [(FetchOptions, f.name) for f in _fields(FetchOptions) if f.name not in _NOT_OPTIONS]
    + [(RunPlan, f.name) for f in _fields(RunPlan) if f.name not in _NOT_OPTIONS],
    ids=lambda field: field[1],
)
def test_each_click_option_takes_default_and_help_from_its_field(field):
    shape, name = field
    option = _click_options()[_OPTION_OF_FIELD.get(name, name)]
    assert option.help is not None and option.help.startswith(help_of(shape, name))
    if option.is_flag:
        assert option.default is default_of(shape, name) is False
    elif name == "headers":  # --header is repeated: click gives a tuple of 'Name: value'
        assert not option.default and default_of(shape, name) == ()
    else:
        assert option.default == default_of(shape, name)
    shown = shown_default_of(shape, name)
    if isinstance(shown, str):
        assert option.help.endswith(f"[default: {shown}]")


def test_the_defaults_are_the_ones_documented():
    # The values themselves, each declared once in titlefetch._options.
    assert (FETCH.timeout, FETCH.connect_timeout, FETCH.retries) == (10.0, 5.0, 2)
    assert (FETCH.max_redirects, FETCH.max_bytes, FETCH.per_host) == (20, 4 * 1024 * 1024, 8)
    assert (FETCH.scheme, FETCH.trust, FETCH.verify) == ("auto", "system", True)
    assert (PLAN.backend, PLAN.order, PLAN.workers) == ("thread", "input", None)


def test_an_unknown_option_name_is_a_key_error():
    with pytest.raises(KeyError, match="no option 'timeuot'"):
        default_of(FetchOptions, "timeuot")
