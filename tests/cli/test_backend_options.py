"""--backend, --processes and --scheduler: which combinations make sense."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from titlefetch.cli import main


@pytest.mark.parametrize(
    "args",
    [
        ["--processes", "2"],
        ["--backend", "thread", "--processes", "2"],
        ["--backend", "dask", "--scheduler", "tcp://127.0.0.1:9", "--processes", "2"],
    ],
)
def test_processes_without_processes_to_make_is_a_usage_error(args):
    result = CliRunner().invoke(main, [*args, "http://127.0.0.1:9/"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "titlefetch: error: --processes needs --backend process, or dask without --scheduler\n"
    )


def test_a_processes_default_from_the_environment_is_ignored_where_it_means_nothing(server):
    from tests.page_server import html_page

    url = server.add("/", html_page("Home"))
    result = CliRunner(env={"TITLEFETCH_PROCESSES": "3"}).invoke(main, ["-q", "-f", "tsv", url])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{url}\tHome\t200\t\n"


def test_the_process_backend_spreads_workers_over_the_processes_given(server):
    from tests.page_server import html_page

    urls = [server.add(f"/{n}", html_page(f"P{n}")) for n in range(6)]
    args = ["--backend", "process", "--processes", "2", "-w", "6", "--trace", "-f", "tsv"]
    result = CliRunner().invoke(main, [*args, *urls])
    assert result.exit_code == 0, result.stderr
    assert [line.split("\t")[1] for line in result.stdout.splitlines()] == [
        f"P{n}" for n in range(6)
    ]
    ends = [line for line in result.stderr.splitlines() if line.startswith("trace: end")]
    pids = {line.split(" pid=")[1].split()[0] for line in ends}
    assert len(ends) == 6
    assert 1 <= len(pids) <= 2
