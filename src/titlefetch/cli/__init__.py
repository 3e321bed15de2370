"""The command-line layer: the click command, the run on the console, output formats, JUnit,
--resume and the demo site. The only package that uses click or writes to the console."""

from titlefetch.cli._command import main

__all__ = ["main"]
