"""The manual (docs/, the pages written by hand) mentions every option `titlefetch --help` lists,
and its environment variable; docs/options.md is the page generated from the command."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import click
from click.testing import CliRunner

from titlefetch.cli._command import ENV_PREFIX, main

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
GENERATOR = ROOT / "scripts" / "options_doc.py"


def manual() -> str:
    """Every hand-written page of docs/, together (options.md is generated, so not counted)."""
    pages = sorted(page for page in DOCS.glob("*.md") if page.name != "options.md")
    assert len(pages) > 5, "docs/ has lost its pages"
    return "\n".join(page.read_text(encoding="utf-8") for page in pages)


def generated_options_page() -> str:
    spec = importlib.util.spec_from_file_location("options_doc", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.render())


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


def test_every_option_in_help_is_mentioned_in_the_manual():
    text = manual()
    missing = [option for option in long_options_in_help() if not mentioned(option, text)]
    assert not missing, f"docs/ does not mention: {', '.join(missing)}"


def test_every_environment_variable_is_mentioned_in_the_manual():
    text = manual()
    missing = [name for name in environment_variables() if not mentioned(name, text)]
    assert not missing, f"docs/ does not mention: {', '.join(missing)}"


def test_the_options_page_is_the_one_generated_from_the_command():
    committed = (DOCS / "options.md").read_text(encoding="utf-8")
    assert committed == generated_options_page(), (
        "docs/options.md is stale: run .venv/bin/python scripts/options_doc.py"
    )


def test_the_options_page_lists_every_option_and_environment_variable():
    page = (DOCS / "options.md").read_text(encoding="utf-8")
    assert not [option for option in long_options_in_help() if not mentioned(option, page)]
    assert not [name for name in environment_variables() if not mentioned(name, page)]
