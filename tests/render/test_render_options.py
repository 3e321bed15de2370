"""--render's options on the command line and in the environment: a browser that cannot be
found is a usage error in one line, before anything is fetched."""

from __future__ import annotations

import importlib.util
import os

import pytest
from click.testing import CliRunner

from tests.page_server import Page, html_page
from titlefetch import fetch_titles
from titlefetch._errors import BrowserUnavailable
from titlefetch.cli._command import main
from titlefetch.render import _renderer


def test_the_environment_chooses_render_and_browser(server, tmp_path):
    url = server.add("/a", html_page("A"))
    missing = str(tmp_path / "no-chromium")
    environment = {"TITLEFETCH_RENDER": "missing", "TITLEFETCH_BROWSER": missing}
    result = CliRunner().invoke(main, [url], env=environment)
    assert result.exit_code == 2
    assert result.stderr == f"titlefetch: error: --browser {missing}: no executable file there\n"
    assert server.hits["/a"] == 0


def test_no_browser_on_path_names_the_package_to_install(server, monkeypatch):
    url = server.add("/a", html_page("A"))
    monkeypatch.setattr(_renderer.shutil, "which", lambda name: None)
    result = CliRunner().invoke(main, ["--render", "always", url])
    assert result.exit_code == 2
    assert "apt-get install chromium" in result.stderr
    assert "--browser PATH" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert server.hits["/a"] == 0


def test_without_playwright_the_extra_is_named(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        _renderer.importlib.util,
        "find_spec",
        lambda name, *args: None if name == "playwright" else real(name, *args),
    )
    with pytest.raises(BrowserUnavailable, match=r"pip install 'titlefetch\[render\]'"):
        fetch_titles(["http://127.0.0.1:9/"], render="missing")


def test_never_needs_no_browser(server, monkeypatch):
    url = server.add("/a", html_page("A"))
    monkeypatch.setattr(_renderer.shutil, "which", lambda name: None)
    result = CliRunner().invoke(main, ["--render", "never", url])
    assert result.exit_code == 0
    assert result.stdout == f"{url}  A\n"


@pytest.mark.parametrize("value", ["sometimes", ""])
def test_an_unknown_mode_is_a_usage_error(value):
    result = CliRunner().invoke(main, ["--render", value, "http://127.0.0.1:9/"])
    assert result.exit_code == 2
    assert "--render" in result.stderr


@pytest.mark.skipif(not os.access("/bin/false", os.X_OK), reason="needs /bin/false")
def test_a_browser_that_does_not_start_fails_the_page_with_render_failed(server):
    url = server.add("/a", Page(b"<title></title><script>document.title = 'x'</script>"))
    result = CliRunner().invoke(main, ["--render", "missing", "--browser", "/bin/false", url])
    assert result.exit_code == 1
    line = result.stdout.rstrip("\n")
    assert line.startswith(f"{url}  ! render_failed: /bin/false did not start: ")
    assert line.endswith("(see --browser)")
