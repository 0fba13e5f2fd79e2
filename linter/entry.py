"""The `dblint` console script. `dblint --version` is answered before the command line parser
(click) is imported: the version is all a pre-commit hook or a CI step asks of it, and the
parser alone costs ~25 ms of start-up (bench/startup.py measures it). A command runs with the
cycle collector paused (:mod:`linter.collector` says why)."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from linter import __version__

        print(f"dblint {__version__}")  # click's version_option prints the same line
        return
    from linter import collector

    collector.pause()
    try:
        from linter.cli import main as cli_main

        cli_main()
    finally:
        collector.at_exit()
