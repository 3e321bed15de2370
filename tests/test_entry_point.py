"""The installed `titlefetch` command and `python -m titlefetch`, run as real processes."""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys

import pytest

from tests.page_server import PageServer, html_page

TITLEFETCH = shutil.which("titlefetch", path=os.path.dirname(sys.executable)) or "titlefetch"


@pytest.mark.parametrize("command", [[TITLEFETCH], [sys.executable, "-m", "titlefetch"]])
def test_command_fetches_titles_from_stdin(server: PageServer, command):
    url = server.add("/p", html_page("Über & more"))
    done = subprocess.run(
        [*command, "--format", "jsonl"],
        input=url + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["title"] == "Über & more"
    assert done.stderr.startswith("titlefetch: 1 URL: 1 ok, 0 failed")


def test_command_fetches_a_bare_host_over_http_when_https_cannot_connect(server: PageServer):
    # http.server answers the TLS hello with a 400: https fails at once, http answers (#18).
    server.add("/", html_page("Plain"))
    host = server.base.removeprefix("http://")
    done = subprocess.run(
        [TITLEFETCH, "--format", "jsonl", "--retries", "0"],
        input=host + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert (record["url"], record["final_url"], record["title"]) == (host, server.base, "Plain")


def test_version_and_short_help():
    assert subprocess.run(
        [TITLEFETCH, "--version"], capture_output=True, text=True
    ).stdout.startswith("titlefetch, version ")
    assert (
        "Usage: titlefetch"
        in subprocess.run([TITLEFETCH, "-h"], capture_output=True, text=True).stdout
    )


def test_no_source_on_a_terminal_prints_usage_and_exits_2():
    controller, terminal = pty.openpty()
    try:
        done = subprocess.run(
            [TITLEFETCH], stdin=terminal, capture_output=True, text=True, timeout=30
        )
    finally:
        os.close(controller)
        os.close(terminal)
    assert done.returncode == 2
    assert done.stderr.startswith("Usage: titlefetch")
    assert done.stdout == ""


def test_start_up_imports_neither_requests_nor_the_junit_writer():
    # Each costs start-up time on every run (requests ~20 ms) and is needed only for proxies,
    # redirects and --format junit, which import them when they happen.
    code = (
        "import sys, titlefetch.cli; "
        "print(sorted({'requests', 'xml.etree.ElementTree'} & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "[]", done.stderr


def test_importing_the_package_or_its_records_loads_no_http_machinery():
    # The records cross into every layer (a Dask client unpickles them); the package's own
    # names load on first use. Neither may drag in urllib3 or the HTTP/HTML layers (issue 15).
    code = (
        "import sys, titlefetch, titlefetch._results; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('urllib3', 'requests')"
        " or m.startswith(('titlefetch.http', 'titlefetch.html', 'titlefetch.run'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "[]", done.stderr


# What `--help` and `--version` may load: the command's own modules, never the run or the
# HTTP and HTML stack, nor the libraries under them (#23: they started in 0.16-0.18 s).
_MODULES_AFTER = """
import sys
from titlefetch.cli import main
try:
    main([sys.argv[1]])
except SystemExit as exc:
    print("exit", exc.code, file=sys.stderr)
print("\\n".join(sorted(sys.modules)))
"""
_NOT_FOR_HELP = ("titlefetch.http", "titlefetch.html", "titlefetch.run", "titlefetch._api")
_LIBRARIES = ("urllib3", "ssl", "certifi", "requests", "httptools", "bs4", "lxml")


@pytest.mark.parametrize("option", ["--version", "--help", "-h"])
def test_version_and_help_load_no_http_or_html_module(option):
    done = subprocess.run(
        [sys.executable, "-c", _MODULES_AFTER, option],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "exit 0" in done.stderr
    modules = done.stdout.split("\n")
    assert "titlefetch.cli._command" in modules  # the command did run
    assert [name for name in modules if name.startswith(_NOT_FOR_HELP)] == []
    assert [name for name in modules if name.split(".")[0] in _LIBRARIES] == []


def test_a_fetch_loads_what_help_leaves_out(server: PageServer):
    # The other side of the test above: the same check sees the stack when a run needs it.
    url = server.add("/p", html_page("Loaded"))
    done = subprocess.run(
        [sys.executable, "-c", _MODULES_AFTER, url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "exit 0" in done.stderr
    modules = done.stdout.split("\n")
    assert "titlefetch.http._fetch" in modules
    assert "titlefetch.html._titles" in modules
    assert "titlefetch.cli._output" in modules
    assert "xml.etree.ElementTree" not in modules  # the JUnit writer's, for --format junit only


@pytest.mark.parametrize("package", ["titlefetch", "titlefetch.run"])
def test_a_packages_public_names_load_on_first_use_and_stay(package):
    # Both packages export through titlefetch._lazy: a name is imported when first asked
    # for and kept in the package; an unknown one is the usual AttributeError.
    code = f"""
import importlib, sys
package = importlib.import_module({package!r})
name = "get_title" if package.__name__ == "titlefetch.run" else "fetch_titles"
print(name in vars(package), name in dir(package))
value = getattr(package, name)
print(vars(package)[name] is value, value.__name__ == name)
try:
    package.no_such_name
except AttributeError as exc:
    print(exc)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.splitlines() == [
        "False True",
        "True True",
        f"module {package!r} has no attribute 'no_such_name'",
    ], done.stderr
