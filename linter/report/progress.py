"""The progress line on stderr while rules run: ``[n/m] RULE (elapsed)``.

Shown only to a person: stderr is a terminal, the format is not a machine format, the report is
not going to a file, and --quiet is off. It waits ``delay`` seconds before drawing, so a quick
run (a pre-commit hook on small fixtures) prints nothing extra, and it clears its line at the end.
"""

from __future__ import annotations

import threading
import time
from typing import Any, TextIO


def wanted(stream: TextIO, *, machine: bool, to_file: bool, quiet: bool) -> bool:
    if machine or to_file or quiet:
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Progress:
    def __init__(
        self, stream: TextIO, *, delay: float = 0.3, clock: Any = time.monotonic, start: float | None = None
    ) -> None:
        self.stream = stream
        self.delay = delay
        self.clock = clock
        self.start = clock() if start is None else start
        self.drawn = False
        self._lock = threading.Lock()

    def __call__(self, done: int, total: int, rule: Any) -> None:
        """The engine's ``on_progress`` callback: ``rule`` is starting (None: one finished)."""
        if rule is None:
            return
        elapsed = self.clock() - self.start
        if elapsed < self.delay:
            return
        width = 20
        filled = int(width * done / total) if total else width
        bar = "#" * filled + "-" * (width - filled)
        with self._lock:
            self.stream.write(f"\r\033[K[{bar}] rule {done + 1} of {total}: {rule.id} ({elapsed:.1f}s)")
            self.stream.flush()
            self.drawn = True

    def clear(self) -> None:
        with self._lock:
            if self.drawn:
                self.stream.write("\r\033[K")
                self.stream.flush()
                self.drawn = False


def color(choice: str, *, to_file: bool, stream: TextIO | None = None) -> bool:
    """--color: ``always``/``never`` win; ``auto`` colours a terminal unless NO_COLOR is set, and
    FORCE_COLOR (non-empty) colours even a pipe, as Ruff and most CLIs read them."""
    import os
    import sys

    if choice in ("always", "never"):
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    out = stream or sys.stdout
    isatty = getattr(out, "isatty", None)
    return not to_file and bool(isatty and isatty())
