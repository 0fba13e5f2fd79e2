"""``--backup`` (SQLite): a copy of the database file made with SQLite's online backup API,
from inside the fix transaction before its first change, so the copy is exactly the state the
fix starts from (no other writer can commit while dblint holds the write lock)."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

from linter.errors import DblintError


def backup_path(database: Path, now: dt.datetime | None = None) -> Path:
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    path = database.with_name(f"{database.stem}.dblint-backup-{stamp}{database.suffix or '.sqlite'}")
    n = 2
    while path.exists():
        path = database.with_name(f"{database.stem}.dblint-backup-{stamp}-{n}{database.suffix or '.sqlite'}")
        n += 1
    return path


def sqlite_backup(database: Path, dest: Path) -> Path:
    """Copy ``database`` to ``dest`` page by page (sqlite3.Connection.backup); the copy appears
    under its name only once complete."""
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    try:
        # A URI: the path percent-encoded, so a '?' or '#' in it stays part of the name.
        src = sqlite3.connect(f"file:{quote(os.path.abspath(database))}?mode=ro", uri=True)
        try:
            out = sqlite3.connect(tmp)
            try:
                src.backup(out)
            finally:
                out.close()
        finally:
            src.close()
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    except (sqlite3.Error, OSError) as exc:
        tmp.unlink(missing_ok=True)
        raise DblintError(f"--backup: cannot copy {database} to {dest}: {exc}") from None
    return dest
