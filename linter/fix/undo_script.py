"""The undo script of a ``--fix`` run as a file: statements rendered as exact SQL literals for the
dialect, written to a private temporary folder part by part while the fix runs (rows are never all
held in memory), then assembled in reverse step order and moved into place atomically BEFORE the
fix transaction commits: a committed fix always has its undo script."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from linter.db import mask_text
from linter.db.literals import literal, sql_text
from linter.errors import DblintError, RuleError

PAGE = 500  # rows fetched and written per statement
REPLICA_NOTE = (
    "needs a superuser: it sets session_replication_role = replica (for this transaction only) so that "
    "rows breaking a foreign key are restored as they were"
)


class UndoError(RuleError):
    """The undo of a fix step cannot be captured exactly: the fix is refused (rolled back)."""


def default_path(root: Path, now: dt.datetime | None = None) -> Path:
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    path = root / f"dblint-undo-{stamp}.sql"
    n = 2
    while path.exists():
        path = root / f"dblint-undo-{stamp}-{n}.sql"
        n += 1
    return path


def new_run_id() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]


_HOW = {
    "sqlite": "sqlite3 -bail DATABASE.sqlite < THIS.sql",
    "postgresql": "psql -v ON_ERROR_STOP=1 -f THIS.sql URL",
    "mysql": "mysql -h HOST -u USER DATABASE < THIS.sql",
}


class UndoScript:
    """The script being written: its parts (one per captured step), and the statements they hold."""

    def __init__(
        self, path: Path | None, *, dialect: Dialect, target: str, run_id: str | None, enabled: bool
    ) -> None:
        self.path = path
        self.dialect = dialect
        self.target = target
        self.run_id = run_id or new_run_id()
        self.enabled = enabled and path is not None
        self.preparer = dialect.identifier_preparer
        self.parts: list[tuple[str, Path]] = []
        self.changed = 0
        self.touched: set[str] = set()  # tables the script writes
        # PostgreSQL: the script restores rows of a table in a foreign key, so it must switch the
        # key's triggers off (session_replication_role = replica, a superuser's right): the rows a
        # fix removed are often the very ones that break a key (orphans).
        self.needs_replica_role = False
        self._dir: Path | None = None
        if self.enabled:
            assert path is not None
            if not path.parent.is_dir():
                raise DblintError(f"--undo-file {path}: folder {path.parent} does not exist")
            if not os.access(path.parent, os.W_OK):
                raise DblintError(f"--undo-file {path}: folder {path.parent} is not writable")
            if path.exists():
                # It may be the only way back from an earlier fix: never overwrite it.
                raise DblintError(
                    f"--undo-file {path} already exists; choose another name (it may undo an earlier fix)"
                )
            self._dir = Path(tempfile.mkdtemp(prefix="dblint-undo-"))

    # --- writing statements ------------------------------------------------------------------------

    def _lit(self, table: sa.Table, column: str, value: Any) -> str:
        try:
            return literal(value, self.dialect)
        except RuleError as exc:
            raise UndoError(f"{table.name}.{column}: {exc}; use --no-undo to fix without an undo") from None

    def _insert_rows(self, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> str:
        self.touched.add(table.name)
        if not rows:
            return ""
        names = [c.name for c in table.columns]
        cols = ", ".join(self.preparer.quote(n) for n in names)
        values = ",\n  ".join("(" + ", ".join(self._lit(table, n, r[n]) for n in names) + ")" for r in rows)
        return f"INSERT INTO {self.preparer.format_table(table)} ({cols}) VALUES\n  {values};\n"

    def _update_rows(self, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> str:
        self.touched.add(table.name)
        pk = [c.name for c in table.primary_key.columns]
        rest = [c.name for c in table.columns if c.name not in pk]
        if not rest:
            return ""
        q = self.preparer.quote
        out = []
        for r in rows:
            sets = ", ".join(f"{q(n)} = {self._lit(table, n, r[n])}" for n in rest)
            key = " AND ".join(f"{q(n)} = {self._lit(table, n, r[n])}" for n in pk)
            out.append(f"UPDATE {self.preparer.format_table(table)} SET {sets} WHERE {key};\n")
        return "".join(out)

    def _delete_keys(self, table: sa.Table, pk: Sequence[sa.Column[Any]], rows: Sequence[Any]) -> str:
        self.touched.add(table.name)
        if not rows:
            return ""
        q = self.preparer.quote
        name = self.preparer.format_table(table)
        if len(pk) == 1:
            keys = ", ".join(self._lit(table, pk[0].name, _first(r)) for r in rows)
            return f"DELETE FROM {name} WHERE {q(pk[0].name)} IN ({keys});\n"
        conds = []
        for r in rows:
            vals = tuple(r)
            conds.append(
                "("
                + " AND ".join(
                    f"{q(c.name)} = {self._lit(table, c.name, v)}" for c, v in zip(pk, vals, strict=True)
                )
                + ")"
            )
        return f"DELETE FROM {name} WHERE " + "\n  OR ".join(conds) + ";\n"

    def _compile(self, stmt: sa.Executable) -> str:
        compiled = cast(sa.ClauseElement, stmt).compile(
            dialect=self.dialect, compile_kwargs={"literal_binds": True}
        )
        return sql_text(str(compiled), self.dialect)  # a script for psql/mysql: % not escaped

    # --- the script -----------------------------------------------------------------------------------

    def _part(self, rule_id: str, what: str) -> _Part:
        assert self._dir is not None
        path = self._dir / f"{len(self.parts):06d}.sql"
        self.parts.append((f"-- {rule_id}: {what}", path))
        return _Part(path)

    def finish(self) -> Path | None:
        """Write the script (reverse step order) and move it into place; None when nothing changed."""
        if not self.enabled or self.path is None:
            return None
        if self.changed == 0:
            self.discard()
            return None
        begin = "START TRANSACTION;" if self.dialect.name in ("mysql", "mariadb") else "BEGIN;"
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            with tmp.open("w", encoding="utf-8") as out:
                out.write("-- dblint undo script: restores every row the fix inserted, updated or deleted.\n")
                out.write(f"-- target: {mask_text(self.target)}\n")
                out.write(f"-- run: {self.run_id} (written inside the fix transaction, before its commit)\n")
                out.write(f"-- dialect: {self.dialect.name}; apply it to the same database, e.g.\n")
                client = "mysql" if self.dialect.name in ("mysql", "mariadb") else self.dialect.name
                out.write(f"--   {_HOW.get(client, '')}\n")
                if self.needs_replica_role:
                    out.write(f"-- {REPLICA_NOTE}\n")
                for line in self._fk_off(client):
                    out.write(f"{line}\n")
                if begin.startswith("START"):
                    # Rows with key 0 are restored as 0, not as a new AUTO_INCREMENT value.
                    out.write(
                        "SET SESSION sql_mode = CONCAT(@@SESSION.sql_mode, ',NO_AUTO_VALUE_ON_ZERO');\n"
                    )
                out.write(f"{begin}\n")
                if self.needs_replica_role:
                    out.write("SET LOCAL session_replication_role = replica;\n")
                for header, part in reversed(self.parts):
                    out.write(f"\n{header}\n")
                    with part.open("r", encoding="utf-8") as src:
                        shutil.copyfileobj(src, out)
                out.write("\nCOMMIT;\n")  # always the last line: a script without it is incomplete
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
            _fsync_dir(self.path.parent)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise UndoError(f"cannot write the undo script {self.path}: {exc.strerror or exc}") from None
        finally:
            self._cleanup()
        return self.path

    @staticmethod
    def _fk_off(client: str) -> list[str]:
        """Restoring rows exactly, orphans included: foreign keys neither refuse nor cascade."""
        if client == "mysql":
            return [
                "-- Foreign keys are not checked while the rows are restored, as they were when they broke.",
                "SET FOREIGN_KEY_CHECKS = 0;",
            ]
        if client == "sqlite":
            return ["PRAGMA foreign_keys = OFF;"]  # only outside a transaction; the sqlite3 default
        return []

    def discard(self) -> None:
        """The fix rolled back: no script."""
        self._cleanup()

    def remove(self) -> None:
        """The commit failed after the script was written: it would undo nothing."""
        if self.path is not None:
            self.path.unlink(missing_ok=True)

    def _cleanup(self) -> None:
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None


class _Part:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.fh: IO[str] | None = None

    def __enter__(self) -> IO[str]:
        self.fh = self.path.open("w", encoding="utf-8")
        return self.fh

    def __exit__(self, *exc: object) -> None:
        assert self.fh is not None
        self.fh.close()


def _first(row: Any) -> Any:
    return row[0]


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
