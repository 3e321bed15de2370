"""Write docs/options.md from the click command, so the options reference cannot drift.

Run after changing an option: `.venv/bin/python scripts/options_doc.py`. A test
(tests/cli/test_docs_options.py) fails while the committed page differs from what this writes.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from titlefetch.cli._command import environment_variable, main

PAGE = Path(__file__).resolve().parents[1] / "docs" / "options.md"
_NOTE = re.compile(r"\s+\[([^\[\]]*)\]$")  # click's "  [default: 8; x>=1]" or "  [x>=1]"

INTRO = """\
# Options

Every option of `titlefetch`, its default and the environment variable that can set that
default (an option on the command line wins; flags take `1`/`true`/`yes` or `0`/`false`/`no`).
This page is generated from the command by `scripts/options_doc.py`: `titlefetch --help` prints
the same. The `--user-agent` default is `titlefetch/VERSION (+https://github.com/titlefetch/titlefetch)`;
`--max-bytes`' 4194304 is 4 MiB, counted after decompression.

| option | default | environment | what |
| --- | --- | --- | --- |
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _split_help(help_text: str) -> tuple[str, str, list[str]]:
    """click's help record -> (what, default, constraints such as `x>=1`)."""
    default = ""
    constraints: list[str] = []
    while found := _NOTE.search(help_text):
        for note in reversed(found.group(1).split("; ")):
            if note.startswith("default: "):
                default = note.removeprefix("default: ")
            else:
                constraints.insert(0, note)
        help_text = help_text[: found.start()]
    return help_text, default, constraints


def _context(command: click.Command) -> click.Context:
    return click.Context(
        command,
        info_name="titlefetch",
        terminal_width=100,
        max_content_width=100,
        **command.context_settings,
    )


def option_rows(command: click.Command) -> list[str]:
    """One Markdown table row per option of `command`, in `--help`'s order."""
    ctx = _context(command)
    rows = []
    for param in command.get_params(ctx):
        record = param.get_help_record(ctx)
        if record is None or not isinstance(param, click.Option):
            continue
        names, help_text = record
        what, default, constraints = _split_help(help_text)
        option = f"`{names}`" + "".join(f" ({note})" for note in constraints)
        variable = environment_variable(param)
        cells = [option, f"`{default}`" if default else "", f"`{variable}`" if variable else ""]
        rows.append("| " + " | ".join(_cell(cell) for cell in [*cells, what]) + " |")
    return rows


def render() -> str:
    """The whole page: the table, then the command's help text as `--help` prints it."""
    help_text = main.get_help(_context(main))
    table = "\n".join(option_rows(main))
    return f"{INTRO}{table}\n\n## `titlefetch --help`\n\n```text\n{help_text}\n```\n"


if __name__ == "__main__":
    PAGE.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {PAGE}\n")
