"""Database URLs: SQLite paths and SQLAlchemy URLs, and passwords kept out of every message."""

from __future__ import annotations

import os
import re
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from linter.errors import TargetError

SQLITE_SUFFIXES = (".sqlite", ".sqlite3", ".db", ".db3")
SQLITE_MAGIC = b"SQLite format 3\x00"  # the first 16 bytes of every SQLite database file


def is_sqlite_file(path: str | Path) -> bool:
    """Whether ``path`` is a file that starts with SQLite's header (False when it cannot be read)."""
    try:
        with Path(path).open("rb") as fh:
            return fh.read(16) == SQLITE_MAGIC
    except OSError:
        return False


def parse_target(target: str) -> URL:
    """A SQLAlchemy URL, or a path to an SQLite file."""
    if "://" in target:
        try:
            url = make_url(target)
        except Exception:
            # Unparseable, but it may still hold a password: never echo the userinfo part.
            shown = re.sub(r"(://[^/@]*?):[^/]*@", r"\1:***@", target)
            raise TargetError(f"not a database URL: {mask_text(shown)}") from None
        database = str(url.database or "")
        if url.get_backend_name() == "sqlite" and database.startswith("file:"):
            _uri_file_exists(database, url.query.get("mode"))
            return url
        file = database not in ("", ":memory:")
        if url.get_backend_name() == "sqlite" and file:
            checked = parse_target(str(url.database))  # the same checks as a path: never create a file
            return url if url.query else checked  # driver options (?timeout=…) kept as given
        return url
    path = Path(target)
    if not path.exists():
        raise TargetError(f"no such database file: {target}")
    if path.is_dir():
        raise TargetError(f"{target} is a directory, not a database file")
    with path.open("rb") as fh:
        head = fh.read(16)
    if head and head != SQLITE_MAGIC:
        raise TargetError(f"{target} is not an SQLite database")
    return URL.create("sqlite", database=str(path.resolve()))


def _uri_file_exists(database: str, mode: object) -> None:
    """An SQLite URI filename (``file:path?…``, ``uri=true``) names a file that must exist: SQLite's
    default mode would create it, and a check on a new empty file passes having checked nothing."""
    from urllib.parse import unquote

    rest, _, query = database[len("file:") :].partition("?")
    if mode == "memory" or "mode=memory" in query or rest in ("", ":memory:"):
        return
    path = unquote(rest[2:] if rest.startswith("//") else rest)  # file:///abs → /abs
    parse_target(path)


def mask_url(url: URL | str) -> str:
    if isinstance(url, str):
        text = url
        try:
            url = make_url(text)
        except Exception:
            return mask_text(text)
    return url.render_as_string(hide_password=True)


_secrets: set[str] = set()


def remember_secret(secret: str | None) -> None:
    """Passwords seen in URLs are scrubbed from every message dblint prints."""
    if secret:
        from urllib.parse import quote, quote_plus

        # The password as typed in a URL, too: percent-encoded forms must not leak either.
        _secrets.update({secret, quote(secret, safe=""), quote_plus(secret)})


def mask_text(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def env_url() -> str | None:
    return os.environ.get("DBLINT_DATABASE_URL") or None
