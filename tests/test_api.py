"""The library API: fetch_titles() against a real local server (issue 8)."""

from __future__ import annotations

import dataclasses
import importlib.resources
import pkgutil
import threading
import typing
from concurrent.futures import ThreadPoolExecutor

import pytest

import titlefetch
from tests.smoke_site import serve_site
from titlefetch import Failure, TitleResult, TitleRun, UrlLine, fetch_titles
from titlefetch._options import FetchOptions, RunOptions


@pytest.fixture(scope="module")
def site():
    with serve_site() as base:
        yield base


def titles(results):
    return [(r.url.rsplit("/", 1)[-1], r.title, r.error and r.error.kind) for r in results]


def test_fetch_titles_yields_one_result_per_url_in_input_order(site):
    run = fetch_titles([f"{site}/slow", f"{site}/", "nope", f"{site}/missing"], timeout=2)
    assert isinstance(run, TitleRun)
    results = list(run)
    assert all(isinstance(result, TitleResult) for result in results)
    assert titles(results) == [
        ("slow", "Slow page", None),
        ("", "Home page", None),
        ("nope", None, "invalid_url"),
        ("missing", "Not found", "http_4xx"),  # an error page's own title (#17)
    ]
    assert [(r.source, r.line) for r in results] == [("<urls>", n) for n in range(1, 5)]


def test_completed_order_yields_a_fast_url_before_a_slow_one(site):
    results = list(fetch_titles([f"{site}/slow", f"{site}/"], order="completed", workers=2))
    assert titles(results) == [("", "Home page", None), ("slow", "Slow page", None)]


def test_a_caller_owned_executor_runs_the_fetches_and_stays_usable(site):
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="mine") as pool:
        results = list(fetch_titles([f"{site}/", f"{site}/about"], executor=pool))
        assert [r.title for r in results] == ["Home page", "About us"]
        assert all((r.thread or "").startswith("mine_") for r in results)
        # Exhausting the run did not shut the pool down: it still takes work.
        assert pool.submit(pow, 2, 10).result(timeout=5) == 1024
        with fetch_titles([f"{site}/slow?a", f"{site}/slow?b"], executor=pool) as run:
            next(run)
        assert pool.submit(pow, 3, 2).result(timeout=5) == 9
        again = fetch_titles([f"{site}/"], executor=pool)
        again.close()
        assert pool.submit(threading.current_thread).result(timeout=5).name.startswith("mine_")


def test_a_run_made_executor_is_shut_down_at_the_end(site, monkeypatch):
    made = []
    original = titlefetch._api.make_executor

    def spy(*args, **kwargs):
        made.append(original(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(titlefetch._api, "make_executor", spy)
    assert [r.title for r in fetch_titles([f"{site}/"])] == ["Home page"]
    with pytest.raises(RuntimeError, match="after shutdown"):
        made[0].submit(pow, 2, 2)


def test_process_backend_through_the_api(site):
    results = list(fetch_titles([f"{site}/", f"{site}/about"], backend="process", workers=2))
    assert [r.title for r in results] == ["Home page", "About us"]
    assert all(r.process != "MainProcess" for r in results)


def test_expectations_through_the_api(site):
    lines = [
        UrlLine(f"{site}/", "checks", 1, expect="^Home"),
        UrlLine(f"{site}/about", "checks", 2, expect="^Home"),
        UrlLine(f"{site}/missing", "checks", 3),
    ]
    results = list(fetch_titles(lines, expect_status={200, 404}))
    assert [r.error for r in results] == [
        None,
        Failure("title_mismatch", "expected title matching '^Home', got 'About us'"),
        None,
    ]


def test_stop_finishes_what_is_running_and_starts_nothing_new(site):
    urls = [f"{site}/slow?{n}" for n in range(6)]
    with fetch_titles(urls, workers=1, per_host=1) as run:
        first = next(run)
        run.stop()
        rest = list(run)
    assert run.stopped
    assert first.title == "Slow page"
    assert len(rest) < 5


def test_unknown_options_are_rejected():
    with pytest.raises(TypeError, match="unexpected options: timeuot"):
        fetch_titles(["https://example.test/"], timeuot=5)  # type: ignore[call-arg]


def test_run_options_list_every_fetch_option():
    # A FetchOptions field missing from RunOptions would be accepted at run time but
    # rejected by the caller's type checker.
    fetch_fields = {field.name for field in dataclasses.fields(FetchOptions)}
    assert fetch_fields <= set(typing.get_type_hints(RunOptions))


def test_the_package_is_typed_and_exports_its_api():
    assert importlib.resources.files("titlefetch").joinpath("py.typed").is_file()
    assert {"fetch_titles", "TitleResult", "TitleRun", "Failure", "UrlLine"} <= set(
        titlefetch.__all__
    )


def test_the_package_exports_every_public_name_and_its_modules_are_private():
    # The modules beside __init__ are private; what a user needs is importable from titlefetch.
    public = {"FetchOptions", "RunOptions", "ERROR_KINDS", "TitlefetchError", "FetchError"}
    public |= {"SourceError", "ClusterError", "BackendUnavailable", "WorkerLost"}
    assert public <= set(titlefetch.__all__)
    for name in titlefetch.__all__:
        assert getattr(titlefetch, name) is not None
    assert issubclass(titlefetch.FetchError, titlefetch.TitlefetchError)
    assert "timeout" in titlefetch.ERROR_KINDS
    top_level = {(info.name, info.ispkg) for info in pkgutil.iter_modules(titlefetch.__path__)}
    assert {name for name, is_package in top_level if not is_package} == {
        "__main__",
        "_api",
        "_async_api",
        "_errors",
        "_lazy",
        "_options",
        "_results",
        "_version",
    }


@pytest.mark.parametrize(
    ("depth", "rate", "in_flight", "per_host"),
    [((1, 1), None, 16, 8), ((2, 1), None, 32, 8), ((16, 16), None, 256, 128)],
)
def test_the_run_keeps_as_many_calls_submitted_as_the_executor_wants(
    depth, rate, in_flight, per_host
):
    # A thread starts a submitted fetch at once; a queued one would hold a --per-host slot
    # without running. A batching executor keeps --per-host itself.
    from titlefetch._api import _schedule
    from titlefetch._options import RunPlan

    schedule = _schedule(RunPlan(rate=rate), depth, 16, 8)
    assert (schedule.in_flight, schedule.per_host) == (in_flight, per_host)


def test_a_callers_thread_pool_counts_as_threads_whatever_the_backend_says():
    with ThreadPoolExecutor(max_workers=2) as pool:
        run = fetch_titles([], backend="process", workers=2, executor=pool)
        assert run._scheduler._schedule.in_flight == 2  # no queued future per worker
        run.close()
