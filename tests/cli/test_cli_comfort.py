"""Everyday comfort: colour, defaults from the environment, completion, help (issue 8)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.smoke_site import serve_site
from titlefetch import __version__
from titlefetch.cli import main
from titlefetch.cli._output import wants_color

RED = "\x1b[31m"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in list(os.environ):
        if name.startswith("TITLEFETCH_") or name in ("NO_COLOR", "TERM"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="module")
def site():
    with serve_site() as base:
        yield base


def invoke(*args, env=None):
    return CliRunner().invoke(main, list(args), env=env, prog_name="titlefetch")


def installed_command():
    command = shutil.which("titlefetch", path=str(Path(sys.executable).parent))
    assert command is not None
    return command


# -- colour ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "is_terminal", "environ", "expected"),
    [
        ("auto", True, {}, True),
        ("auto", False, {}, False),
        ("auto", True, {"NO_COLOR": "1"}, False),
        ("auto", True, {"NO_COLOR": ""}, True),  # no-color.org: an empty value is unset
        ("auto", True, {"TERM": "dumb"}, False),
        ("always", False, {"NO_COLOR": "1"}, True),
        ("never", True, {}, False),
    ],
)
def test_wants_color(mode, is_terminal, environ, expected):
    assert wants_color(mode, is_terminal=is_terminal, environ=environ) is expected


def test_color_always_colours_only_the_errors_of_text_output(site):
    result = invoke("-q", "--color", "always", f"{site}/", f"{site}/missing")
    assert result.exit_code == 1
    good, bad = result.stdout.splitlines()
    assert good == f"{site}/  Home page"
    # The error page's own title beside its error, not in red: it is no error (#23).
    assert bad == f"{site}/missing  {RED}! http_4xx: HTTP 404\x1b[0m (title: Not found)"


@pytest.mark.parametrize("mode", ["auto", "never"])
def test_a_pipe_gets_no_colour_unless_asked(site, mode):
    result = invoke("-q", "--color", mode, f"{site}/missing")
    assert result.stdout == f"{site}/missing  ! http_4xx: HTTP 404 (title: Not found)\n"


@pytest.mark.parametrize("output_format", ["tsv", "csv", "jsonl", "junit"])
def test_machine_formats_never_carry_colour(site, output_format):
    result = invoke("-q", "--color", "always", "-f", output_format, f"{site}/missing")
    assert result.exit_code == 1
    assert "http_4xx" in result.stdout
    assert "\x1b" not in result.stdout
    assert "\x1b" not in result.stderr


def run_on_a_terminal(args, env):
    """Run the installed command with its stdout on a pseudo-terminal; return what it wrote."""
    pty = pytest.importorskip("pty")
    controller, terminal = pty.openpty()
    with os.fdopen(controller, "rb", buffering=0) as reader:
        completed = subprocess.run(
            [installed_command(), "-q", *args], stdout=terminal, env=env, timeout=60
        )
        os.close(terminal)
        chunks = []
        while True:
            try:
                chunk = reader.read(4096)
            except OSError:  # EIO: the terminal's other end is closed and drained
                break
            if not chunk:
                break
            chunks.append(chunk)
    return completed.returncode, b"".join(chunks).decode()


@pytest.mark.parametrize(("no_color", "coloured"), [(None, True), ("1", False)])
def test_auto_colours_a_terminal_unless_no_color(site, no_color, coloured):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TITLEFETCH_")}
    env.pop("NO_COLOR", None)
    env["TERM"] = "xterm"
    if no_color is not None:
        env["NO_COLOR"] = no_color
    code, output = run_on_a_terminal([f"{site}/missing"], env)
    assert code == 1
    assert "http_4xx: HTTP 404" in output
    assert (RED in output) is coloured


# -- defaults from the environment -------------------------------------------------------


def test_environment_gives_defaults(site):
    env = {"TITLEFETCH_FORMAT": "tsv", "TITLEFETCH_EXPECT_STATUS": "404", "TITLEFETCH_QUIET": "1"}
    result = invoke(f"{site}/missing", env=env)
    assert result.exit_code == 0
    assert result.stdout == f"{site}/missing\tNot found\t404\t\n"  # the 404 page's title
    assert result.stderr == ""


def test_command_line_options_win_over_the_environment(site):
    env = {"TITLEFETCH_FORMAT": "tsv", "TITLEFETCH_EXPECT_STATUS": "404"}
    result = invoke("-q", "-f", "jsonl", "--expect-status", "200", f"{site}/", env=env)
    assert result.exit_code == 0
    assert result.stdout.startswith('{"url":')


@pytest.mark.parametrize(
    ("name", "value", "option"),
    [
        ("TITLEFETCH_WORKERS", "many", "'--workers' / '-w'"),
        ("TITLEFETCH_TIMEOUT", "-1", "'--timeout'"),
        ("TITLEFETCH_BACKEND", "fibers", "'--backend'"),
        ("TITLEFETCH_FORMAT", "xml", "'--format' / '-f'"),
        ("TITLEFETCH_TRACE", "maybe", "'--trace'"),
    ],
)
def test_a_bad_environment_default_is_a_usage_error(name, value, option):
    result = invoke("http://127.0.0.1:9/", env={name: value})
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"Invalid value for {option}" in result.stderr
    # #23: the value came from a variable, which the message names.
    assert f"Invalid value for {option} (from {name}): " in result.stderr


def test_a_bad_value_on_the_command_line_names_no_variable():
    result = invoke("-w", "many", "http://127.0.0.1:9/", env={"TITLEFETCH_WORKERS": "4"})
    assert result.exit_code == 2
    assert "Invalid value for '--workers' / '-w': 'many'" in result.stderr
    assert "TITLEFETCH_WORKERS" not in result.stderr


def test_an_environment_format_does_not_block_resume(site, tmp_path):
    output = tmp_path / "out.jsonl"
    result = invoke("-q", "--resume", str(output), f"{site}/", env={"TITLEFETCH_FORMAT": "tsv"})
    assert result.exit_code == 0, result.stderr
    assert output.read_text().startswith('{"url":')


def test_resume_is_not_taken_from_the_environment(site, tmp_path):
    output = tmp_path / "out.jsonl"
    result = invoke("-q", "-f", "tsv", f"{site}/", env={"TITLEFETCH_RESUME": str(output)})
    assert result.exit_code == 0
    assert result.stdout == f"{site}/\tHome page\t200\t\n"
    assert not output.exists()


@pytest.mark.parametrize("name", ["TITLEFETCH_VERSION", "TITLEFETCH_DEMO", "TITLEFETCH_HEADERS"])
def test_modes_are_not_taken_from_the_environment(site, name):
    result = invoke("-q", "-f", "tsv", f"{site}/", env={name: "X-Test: 1"})
    assert result.exit_code == 0
    assert result.stdout == f"{site}/\tHome page\t200\t\n"


# -- completion, version, help -----------------------------------------------------------


@pytest.mark.parametrize(
    ("shell", "marker"),
    [("bash", "complete -o nosort -F"), ("zsh", "#compdef titlefetch"), ("fish", "complete")],
)
def test_completion_scripts_for_each_shell(shell, marker):
    result = invoke(env={"_TITLEFETCH_COMPLETE": f"{shell}_source"})
    assert result.exit_code == 0
    assert marker in result.stdout
    assert "_TITLEFETCH_COMPLETE" in result.stdout


def test_completion_offers_option_values():
    env = {
        "_TITLEFETCH_COMPLETE": "bash_complete",
        "COMP_WORDS": "titlefetch --color ",
        "COMP_CWORD": "2",
    }
    result = invoke(env=env)
    assert result.stdout.splitlines() == ["plain,auto", "plain,always", "plain,never"]


def test_installed_command_prints_its_completion_script():
    env = dict(os.environ, _TITLEFETCH_COMPLETE="bash_source")
    completed = subprocess.run(
        [installed_command()], capture_output=True, text=True, env=env, timeout=60
    )
    assert completed.returncode == 0
    assert "_titlefetch_completion()" in completed.stdout


def test_version():
    result = invoke("--version")
    assert (result.exit_code, result.stdout) == (0, f"titlefetch, version {__version__}\n")


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_shows_real_examples_and_exit_codes(flag):
    result = invoke(flag)
    assert result.exit_code == 0
    assert "titlefetch checks.txt --expect-status 200 --format junit -o report.xml" in result.stdout
    assert "titlefetch --demo --trace" in result.stdout
    assert "130 interrupted" in result.stdout
    assert result.stderr == ""
