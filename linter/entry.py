"""The `dblint` console script. `dblint --version` is answered before the command line parser
(click) is imported: the version is all a pre-commit hook or a CI step asks of it, and the
parser alone costs ~25 ms of start-up (bench/startup.py measures it).

The cycle collector is off while a command starts and runs: nearly all a run allocates lives until
it ends (SQLAlchemy's and pydantic's classes, the packs' rules, the plan), and collecting walked
those again and again, and once more at exit: 0.1-0.2 s of a 0.5-1 s check (docs/performance.md).
:func:`linter.run.resume_collector` turns it back on where a run keeps allocating (a second target,
a fix)."""

from __future__ import annotations

import gc
import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from linter import __version__

        print(f"dblint {__version__}")  # click's version_option prints the same line
        return
    gc.disable()
    try:
        from linter.cli import main as cli_main

        cli_main()
    finally:
        gc.freeze()  # exit without a last walk over everything the run built
