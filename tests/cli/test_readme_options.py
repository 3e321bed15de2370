"""README.md or a page of docs/ mentions every option `titlefetch --help` lists, and its
environment variable."""

from __future__ import annotations

import re
from pathlib import Path

import click
from click.testing import CliRunner

from titlefetch.cli.command import ENV_PREFIX, main

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def documentation() -> str:
    """The README and the pages of docs/ (the manual), as one text."""
    pages = [README, *sorted((ROOT / "docs").glob("**/*.md"))]
    return "\n".join(page.read_text(encoding="utf-8") for page in pages)


def long_options_in_help() -> list[str]:
    result = CliRunner().invoke(main, ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    _, _, options = result.stdout.partition("\nOptions:\n")
    assert options, "no Options section in --help"
    found = re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", options)
    return list(dict.fromkeys(found))


def environment_variables() -> list[str]:
    names = []
    for param in main.params:
        if isinstance(param, click.Option) and param.allow_from_autoenv and param.expose_value:
            explicit = param.envvar if isinstance(param.envvar, str) else None
            names.append(explicit or f"{ENV_PREFIX}_{param.name.upper()}")
    return names


def mentioned(name: str, text: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text) is not None


def test_help_lists_the_options_this_test_relies_on():
    options = long_options_in_help()
    assert {"--backend", "--workers", "--format", "--expect-status", "--color"} <= set(options)
    assert "--help" in options


def test_every_option_in_help_is_mentioned_in_the_readme():
    readme = documentation()
    missing = [option for option in long_options_in_help() if not mentioned(option, readme)]
    assert not missing, f"neither README.md nor docs/ mention: {', '.join(missing)}"


def test_every_environment_variable_is_mentioned_in_the_readme():
    readme = documentation()
    missing = [name for name in environment_variables() if not mentioned(name, readme)]
    assert not missing, f"neither README.md nor docs/ mention: {', '.join(missing)}"
