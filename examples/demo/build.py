"""Build the demo database: ``python examples/demo/build.py [demo.sqlite]``."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path


def build(path: Path) -> Path:
    if path.exists():
        path.unlink()
    with sqlite3.connect(path) as conn:  # foreign_keys stay OFF, as in many real SQLite files
        conn.executescript((Path(__file__).parent / "schema.sql").read_text())
    conn.close()
    return path


if __name__ == "__main__":
    out = build(Path(sys.argv[1] if len(sys.argv) > 1 else "demo.sqlite"))
    print(f"built {out}")
