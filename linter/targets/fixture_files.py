"""Fixture files as targets, for the pre-commit hooks: the small databases projects keep in git.

- SQLite files (``.sqlite``, ``.sqlite3``, ``.db``, …) are checked (and fixed) in place.
- SQL dumps (``.sql``) are loaded into a throwaway SQLite database in memory (a file on the RAM
  disk ``/dev/shm`` where there is one, else in the temp folder) and checked there;
  ``--fix`` writes the repaired database back into the dump, changing only the statements of the
  repaired rows and keeping its layout (``dump_patch``); where rows cannot be followed statement
  by statement, as a canonical dump (tables by name, rows by primary key, one ``INSERT`` per row).
  A second run changes nothing; a dump with nothing to fix is left as it is.
- Django JSON fixtures (``.json``: a list of ``{model, pk, fields}``) are loaded the same way, one
  table per model that the config maps (``fixtures: {django_models: {app.model: table}}``), and
  checked with the rules that apply to data alone. They are never rewritten: ``--fix`` refuses them.

Why a file and not ``sqlite://``: a pure in-memory database lives on one connection, and schema
reflection during ``--fix`` (kinds inspect the catalog) would check that connection out and roll
back the fix transaction on it. A throwaway file behaves exactly like a fixture file.

For dumps and JSON fixtures only the rules whose tables are all in the file run (a fixture holds a
few tables; the others' rules would only be noise), see :func:`visible`.
"""

from __future__ import annotations

import fnmatch
import json
import os
import sqlite3
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linter.db.url import SQLITE_MAGIC
from linter.errors import ConfigError, TargetError, one_line
from linter.load.config import Config
from linter.load.rules import Rule

DUMP_SUFFIXES = (".sql",)
JSON_SUFFIXES = (".json",)


@dataclass
class FixtureFile:
    target: str | None  # the database to open (a scratch SQLite file for dumps and JSON fixtures)
    display: str | None = None  # the name to report (the fixture's path)
    tables: set[str] | None = None  # lower-cased tables in the file: only their rules run
    dump: Path | None = None  # a dump to rewrite after a successful --fix
    scratch: tempfile.TemporaryDirectory[str] | None = None

    def fixed(self, results: Sequence[Any]) -> None:
        """After a committed --fix: write a dump back when rows changed."""
        if self.dump is not None and self.target and any(r.fixed for r in results):
            from linter.targets.dump_patch import write_patched

            # The smallest diff in the dump's own layout; the canonical dump when rows cannot be
            # followed statement by statement.
            if write_patched(self.target, self.dump) is None:
                write_dump(self.target, self.dump)

    def close(self) -> None:
        if self.scratch is not None:
            self.scratch.cleanup()
            self.scratch = None


def _scratch_dir() -> str | None:
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


def kind_of(target: str | None) -> str:
    if target is None or "://" in target:
        return "url"
    suffix = Path(target).suffix.lower()
    if suffix in DUMP_SUFFIXES:
        return "dump"
    if suffix in JSON_SUFFIXES:
        return "django"
    return "file"


def open_fixture(target: str | None, config: Config, *, fix: bool = False) -> FixtureFile:
    """The target to check; for a dump or JSON fixture, a scratch SQLite database built from it
    (``close()`` removes it)."""
    kind = kind_of(target)
    if kind in ("url", "file"):
        return FixtureFile(target)
    assert target is not None
    path = Path(target)
    if not path.is_file():
        raise TargetError(f"no such fixture file: {target}")
    if kind == "django" and fix:
        raise TargetError(
            f"{target}: Django JSON fixtures are checked, not fixed (repair them by hand or re-dump them)"
        )
    tmp = tempfile.TemporaryDirectory(prefix="dblint-fixture-", dir=_scratch_dir())
    try:
        scratch = Path(tmp.name) / "fixture.sqlite"
        conn = sqlite3.connect(scratch)
        try:
            if kind == "dump":
                _load_dump(conn, path)
            else:
                _load_django(conn, path, config)
            names = {
                r[0].lower()
                for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")
            }
        finally:
            conn.close()
    except BaseException:
        tmp.cleanup()
        raise
    return FixtureFile(str(scratch), _shown(path), names, path if kind == "dump" else None, tmp)


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def visible(rules: Sequence[Rule], tables: set[str] | None) -> list[Rule]:
    """The rules that can run on a database holding only ``tables`` (None: no narrowing). A rule
    whose kind names no tables (``foreign_keys``, ``primary_key``) applies to any database."""
    if tables is None:
        return list(rules)
    return [r for r in rules if all(t.lower() in tables for t in r.kind.tables(r.params))]


# --- SQL dumps ------------------------------------------------------------------------------------


def _load_dump(raw: sqlite3.Connection, path: Path) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise TargetError(f"{path}: not an SQL dump (not UTF-8 text)") from None
    try:
        raw.executescript(text)
    except sqlite3.Error as exc:
        raise TargetError(f"{path}: not an SQL dump SQLite can load: {one_line(str(exc))}") from None
    if raw.in_transaction:
        raw.commit()
    if not raw.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' LIMIT 1").fetchone():
        raise TargetError(f"{path}: not an SQL dump: it creates no table")


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def dump(raw: sqlite3.Connection) -> str:
    """The database as an SQL script, canonical: the same contents always give the same text.

    The layout is Python's ``sqlite3.Connection.iterdump()`` (tables by name, one ``INSERT`` per
    row, then indexes, triggers and views), with rows explicitly in rowid (or primary-key) order,
    so a dump written by ``iterdump`` is already canonical and a fix's diff shows only its rows."""
    out = ["BEGIN TRANSACTION;"]
    tables = raw.execute(
        "SELECT name, sql FROM sqlite_master WHERE sql NOT NULL AND type == 'table' ORDER BY name"
    ).fetchall()
    for name, sql in tables:
        if name == "sqlite_sequence":
            out.append('DELETE FROM "sqlite_sequence";')
        elif name == "sqlite_stat1":
            out.append('ANALYZE "sqlite_master";')
        elif name.startswith("sqlite_"):
            continue
        else:
            out.append(f"{sql};")
        info = raw.execute(f"PRAGMA table_info({_q(name)})").fetchall()
        cols = [str(r[1]) for r in info]
        try:
            raw.execute(f"SELECT rowid FROM {_q(name)} LIMIT 0")
            order = "rowid"
        except sqlite3.OperationalError:  # WITHOUT ROWID: its primary key orders it
            order = ", ".join(_q(str(r[1])) for r in sorted(info, key=lambda r: r[5]) if r[5]) or "1"
        values = " || ',' || ".join(f"quote({_q(c)})" for c in cols)
        for (row,) in raw.execute(f"SELECT {values} FROM {_q(name)} ORDER BY {order}"):
            out.append(f"INSERT INTO {_q(name)} VALUES({row});")
    for (sql,) in raw.execute(
        "SELECT sql FROM sqlite_master WHERE sql NOT NULL AND type IN ('index', 'trigger', 'view') "
        "ORDER BY rowid"
    ):
        out.append(f"{sql};")
    out.append("COMMIT;")
    return "\n".join(out) + "\n"


def write_dump(database: str | Path, path: Path) -> bool:
    """Rewrite the dump ``path`` from the (fixed) SQLite file ``database``; False when the text
    would not change."""
    conn = sqlite3.connect(database)
    try:
        text = dump(conn)
    finally:
        conn.close()
    if path.read_text(encoding="utf-8") == text:
        return False
    tmp = path.with_name(path.name + ".dblint-tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return True


# --- Django JSON fixtures -----------------------------------------------------------------------


def _load_django(raw: sqlite3.Connection, path: Path, config: Config) -> None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TargetError(f"{path}: not a Django fixture (invalid JSON: {exc})") from None
    if not isinstance(doc, list) or not all(
        isinstance(o, dict) and isinstance(o.get("model"), str) and isinstance(o.get("fields", {}), dict)
        for o in doc
    ):
        raise TargetError(f"{path}: not a Django fixture (a JSON list of {{model, pk, fields}} objects)")
    tables: dict[str, tuple[str, list[str], list[dict[str, Any]]]] = {}  # table -> (pk, columns, rows)
    unmapped: set[str] = set()
    for obj in doc:
        m = config.fixtures.model(obj["model"])
        if m is None:
            unmapped.add(obj["model"])
            continue
        pk, cols, rows = tables.setdefault(m.table, (m.pk, [m.pk], []))
        row: dict[str, Any] = {pk: obj.get("pk")}
        for field, value in (obj.get("fields") or {}).items():
            if (
                isinstance(value, list)
                and value
                and all(isinstance(v, int | str) for v in value)
                and field not in m.columns
            ):
                continue  # a many-to-many field: its rows live in a join table, not in this one
            col = m.columns.get(field, field)
            row[col] = json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else value
            if col not in cols:
                cols.append(col)
        rows.append(row)
    if not tables:
        known = ", ".join(sorted(unmapped)) or "none"
        raise ConfigError(
            f"{path}: no model of this fixture is mapped to a table (models: {known}); "
            "map them in the config under fixtures.django_models"
        )
    for table, (pk, cols, rows) in tables.items():
        defs = ", ".join(_q(c) + (" PRIMARY KEY" if c == pk else "") for c in cols)
        raw.execute(f"CREATE TABLE {_q(table)} ({defs})")
        marks = ", ".join("?" for _ in cols)
        try:
            raw.executemany(
                f"INSERT INTO {_q(table)} ({', '.join(map(_q, cols))}) VALUES ({marks})",
                [[r.get(c) for c in cols] for r in rows],
            )
        except sqlite3.IntegrityError as exc:
            raise TargetError(f"{path}: {table}: {one_line(str(exc))} (the same pk twice?)") from None
    raw.commit()


# --- the pre-commit hook: which staged files are fixtures ----------------------------------------

# The first statement of a dump SQLite wrote: `sqlite3 .dump` starts with the PRAGMA, Python's
# iterdump() with BEGIN TRANSACTION. pg_dump output (SET …, CREATE …) and migration scripts
# (BEGIN; ALTER …) start otherwise.
_SQLITE_DUMP_START = ("PRAGMA FOREIGN_KEYS=OFF;", "BEGIN TRANSACTION;")


def hook_refuses(target: str, config: Config) -> str | None:
    """Why the pre-commit hook leaves ``target`` alone (None: it is a fixture to check): only
    SQLite files, dumps that say SQLite wrote them, Django JSON fixtures when the config maps
    models, and whatever ``fixtures.files`` lists are fixtures."""
    path = Path(target)
    if _listed(path, config):
        return None
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError as exc:
        return f"cannot read it: {exc.strerror or exc}"
    if head.startswith(SQLITE_MAGIC):
        return None
    kind = kind_of(target)
    if kind == "dump":
        first = _first_statement(head.decode("utf-8", "replace"))
        if first.upper().replace(" = ", "=") in _SQLITE_DUMP_START:
            return None
        return "not an SQLite dump (it does not start with PRAGMA foreign_keys=OFF; or BEGIN TRANSACTION;)"
    if kind == "django" and config.fixtures.django_models:
        return None
    return "not an SQLite file"


def _first_statement(text: str) -> str:
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("--"):
            return " ".join(line.split())
    return ""


def _listed(path: Path, config: Config) -> bool:
    if not config.fixtures.files:
        return False
    try:
        rel = path.resolve().relative_to(config.root.resolve()).as_posix()
    except ValueError:
        return False
    return any(fnmatch.fnmatchcase(rel, pattern) for pattern in config.fixtures.files)


def hook_undo_dir(config: Config) -> Path:
    """Undo scripts of the hook's fixes: ``fix.undo_dir`` of the config, else the user's cache
    folder (``$XDG_CACHE_HOME/dblint/undo``), never the working tree."""
    if config.fix.undo_dir:
        return config.root / config.fix.undo_dir
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "dblint" / "undo"
