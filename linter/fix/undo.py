"""The undo script of a ``--fix`` run: the exact statements that restore every row the fix
inserted, updated or deleted.

Every fix statement goes through :meth:`UndoLog.execute`, inside the fix transaction:

- UPDATE / DELETE (SQLAlchemy ``sa.update`` / ``sa.delete``): BEFORE the change, the affected rows
  are selected with the statement's own table and WHERE clause (``FOR UPDATE`` on servers, so they
  cannot change in between) and streamed, one page at a time, into ``UPDATE … SET <old values>
  WHERE <primary key>`` / ``INSERT … VALUES <old rows>`` statements. The statement's row count must
  equal the rows captured, or the fix rolls back.
- INSERT (``sa.insert``): run with ``RETURNING <primary key>``; the new keys become ``DELETE``s.
- Raw SQL (the ``sql`` kind's ``statements``, ``sa.text`` steps of handlers): the statement's target
  table (``UPDATE t``, ``DELETE FROM t``, ``INSERT INTO t``) is copied to a temporary table first,
  then compared with it by primary key afterwards, set-based: deleted rows become INSERTs, new rows
  DELETEs, changed rows UPDATEs. A raw statement whose target table cannot be named this way, or
  a table without a primary key, is refused (the fix rolls back) unless ``--no-undo``.
- DDL steps (``sa.schema.DropTable``, :class:`~linter.kinds.sqlbuild.RenameTable`; SQLite and PostgreSQL
  only, as MariaDB commits DDL at once): a dropped table's DDL (SQLite's own stored text, exactly;
  on PostgreSQL as SQLAlchemy reflects it) and then its rows; a renamed table is renamed back.
- With quarantine, a DELETE first copies its rows into ``dblint_quarantine_<table>`` and the undo
  puts them back from there.

Values are SQL literals rendered by SQLAlchemy for the dialect (:mod:`linter.db.literals`). Each step's
statements go to a temporary file as they are captured (rows are never all held in memory); the
script is assembled in reverse step order and moved into place atomically BEFORE the transaction
commits: a committed fix always has its undo script.

What the database changes by itself is captured too (:mod:`linter.fix.cascade`): rows other tables lose
through ON DELETE CASCADE (re-inserted, parents first) or have rewritten by ON DELETE SET NULL /
SET DEFAULT (old values restored). Fixes whose side effects cannot be captured exactly are refused
(rolled back) unless ``--no-undo``: a table with triggers for the statement's event, a cycle of
cascades, an UPDATE of a column other tables follow ON UPDATE, a raw DELETE/UPDATE on a table
others follow. Not captured: anything a Python fix handler executes itself rather than returning
as a step.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.visitors import replacement_traverse

from linter.db import Schema, dialect_of, sqltext
from linter.db.literals import raw_column
from linter.errors import MissingObject
from linter.fix import quarantine as qmod
from linter.fix.cascade import CHANGING, CascadeError, Effect, Effects
from linter.fix.undo_script import PAGE, UndoError, UndoScript, default_path, new_run_id

__all__ = ["PAGE", "UndoError", "UndoLog", "default_path", "new_run_id", "raw_target", "target_of"]
from linter.fix.undo_ddl import create_statements, serial_sequences
from linter.kinds.base import FixStep
from linter.kinds.sqlbuild import RenameTable


def raw_target(sql: str) -> str | None:
    """The table a raw UPDATE/DELETE/INSERT statement writes to (None when it cannot be told: a
    schema-qualified or multi-table target, a JOIN, a WITH … UPDATE)."""
    found = sqltext.write_target(sql)
    return found[0] if found else None


class UndoLog(UndoScript):
    """Applies fix steps inside the fix transaction and records how to reverse each.

    ``enabled=False`` (``--no-undo``) still applies steps (and quarantines) but records nothing, and
    then raw statements are allowed."""

    def __init__(
        self,
        path: Path | None,
        *,
        dialect: Dialect,
        schema: Schema,
        target: str,
        run_id: str | None = None,
        enabled: bool = True,
        quarantine: Mapping[str, sa.Table] | None = None,
    ) -> None:
        super().__init__(path, dialect=dialect, target=target, run_id=run_id, enabled=enabled)
        self.schema = schema
        self.quarantine = dict(quarantine or {})
        self._step = 0
        self._effects: Effects | None = None
        self._fk_checked: set[str] = set()

    # --- applying steps ------------------------------------------------------------------------

    def execute(self, conn: Connection, step: FixStep, rule_id: str, *, quarantine: bool = False) -> int:
        """Run one fix step, recording its undo first. Returns the rows it changed."""
        self._step += 1
        stmt = step.statement
        if isinstance(stmt, sa.Delete):
            n = self._delete(conn, stmt, rule_id, quarantine)
        elif isinstance(stmt, sa.Update):
            n = self._update(conn, stmt, rule_id)
        elif isinstance(stmt, sa.Insert):
            n = self._insert(conn, stmt, rule_id)
        elif isinstance(stmt, sa.TextClause):
            n = self._raw(conn, stmt, rule_id)
        elif isinstance(stmt, sa.schema.DropTable | RenameTable):
            n = self._ddl(conn, stmt, rule_id)
        elif not self.enabled:
            n = _rows(conn.execute(stmt))
        else:
            raise UndoError(
                f"cannot capture an undo for a {type(stmt).__name__} step (use --no-undo to fix without one)"
            )
        self.changed += n
        self._foreign_key_tables(conn)
        return n

    def _foreign_key_tables(self, conn: Connection) -> None:
        """PostgreSQL: whether a table the script writes is in a foreign key (either side)."""
        if self.needs_replica_role or not self.enabled or dialect_of(conn) != "postgresql":
            return
        new = sorted(self.touched - self._fk_checked)
        if not new:
            return
        self._fk_checked.update(new)
        found = conn.execute(
            sa.text(
                "SELECT EXISTS (SELECT 1 FROM pg_constraint c "
                "JOIN pg_class t ON t.oid IN (c.conrelid, c.confrelid) "
                "JOIN pg_namespace n ON n.oid = t.relnamespace WHERE c.contype = 'f' "
                "AND t.relname IN :names AND n.nspname = coalesce(:s, current_schema()))"
            ).bindparams(sa.bindparam("names", expanding=True)),
            {"names": new, "s": self.schema.schema},
        ).scalar()
        self.needs_replica_role = bool(found)

    def _delete(self, conn: Connection, stmt: sa.Delete, rule_id: str, quarantine: bool) -> int:
        table, where = self._target(stmt)
        if self.enabled:
            # Rows the database deletes or rewrites in other tables, captured before they go.
            self._capture_effects(conn, table, where, rule_id)
        q = self.quarantine.get(table.name) if quarantine else None
        if q is not None:
            locked = self._lock(conn, table, where)
            conn.execute(qmod.copy_rows(q, table, where, rule_id, self.run_id, self._step))
            moved = qmod.count(conn, q, self.run_id, self._step)
            n = _rows(conn.execute(stmt))
            if not (locked == moved == n):
                raise UndoError(f"{table.name}: deleted {n} row(s) but quarantined {moved}; rolled back")
            if self.enabled:
                self.touched.add(table.name)  # the put-back may restore orphans: see needs_replica_role
                with self._part(rule_id, f"put back {n} row(s) of {table.name} from {q.name}") as out:
                    for s in qmod.restore(q, table, self.run_id, self._step):
                        out.write(self._compile(s) + ";\n")
            return n
        if not self.enabled:
            return _rows(conn.execute(stmt))
        what = f"re-insert the rows deleted from {table.name}"
        return self._capture_then_run(conn, stmt, table, where, rule_id, what, self._insert_rows, "deleted")

    def _update(self, conn: Connection, stmt: sa.Update, rule_id: str) -> int:
        if not self.enabled:
            return _rows(conn.execute(stmt))
        table, where = self._target(stmt)
        pk = _primary_key(table, "an UPDATE changes")
        pk_names = {c.name for c in pk}
        if pk_names & _set_columns(stmt):
            raise UndoError(f"the fix updates the primary key of {table.name}; dblint cannot write its undo")
        fx = self._fx(conn)
        self._no_triggers(fx, table.name, "UPDATE")
        followers = fx.on_update(table, _set_columns(stmt))
        if followers:
            raise UndoError(
                f"the fix updates {table.name} columns that "
                + ", ".join(r.describe(f"UPDATE {r.on_update}") for r in followers)
                + " follow; dblint cannot capture those rows (use --no-undo to fix without an undo)"
            )
        what = f"restore the old values of the rows updated in {table.name}"
        return self._capture_then_run(conn, stmt, table, where, rule_id, what, self._update_rows, "updated")

    def _capture_then_run(
        self,
        conn: Connection,
        stmt: sa.Executable,
        table: sa.Table,
        where: Any,
        rule_id: str,
        what: str,
        render: Any,
        verb: str,
    ) -> int:
        """Write how to reverse the rows ``where`` selects (page by page), then run ``stmt`` and check
        it touched exactly the rows captured."""
        captured = 0
        with self._part(rule_id, what) as out:
            for page in self._select(conn, table, where):
                captured += len(page)
                out.write(render(table, page))
        n = _rows(conn.execute(stmt))
        self._same(table, n, captured, verb)
        return n

    def _insert(self, conn: Connection, stmt: sa.Insert, rule_id: str) -> int:
        if not self.enabled:
            return _rows(conn.execute(stmt))
        table, _ = self._target(stmt)
        pk = _primary_key(table, "an INSERT adds")
        self._no_triggers(self._fx(conn), table.name, "INSERT")
        if not self.dialect.insert_returning:
            raise UndoError(
                f"{self.dialect.name} cannot return inserted keys (INSERT … RETURNING); use --no-undo"
            )
        n = 0
        with self._part(rule_id, f"delete the rows inserted into {table.name}") as out:
            keys: list[Any] = pk if stmt.table is table else [sa.column(c.name) for c in pk]
            result = conn.execute(stmt.returning(*keys))
            for page in result.partitions(PAGE):
                n += len(page)
                out.write(self._delete_keys(table, pk, page))
        return n

    def _raw(self, conn: Connection, stmt: sa.TextClause, rule_id: str) -> int:
        if not self.enabled:
            return _rows(conn.execute(stmt))
        name = raw_target(stmt.text)
        if name is None:
            raise UndoError(
                "cannot tell which table this raw SQL statement changes (dblint captures undo for "
                "UPDATE t / DELETE FROM t / INSERT INTO t); use --no-undo to fix without one"
            )
        try:
            table = self.schema.table(name)
        except MissingObject as exc:
            raise UndoError(f"raw SQL fix writes to {name}: {exc}") from None
        pk = list(table.primary_key.columns)
        if not pk:
            raise UndoError(
                f"{table.name} has no primary key, so dblint cannot compare it before and after a raw SQL "
                "fix (use --no-undo to fix without one)"
            )
        self._raw_side_effects(conn, table, stmt.text)
        snap_name = f"dblint_snap_{uuid.uuid4().hex[:12]}"
        q = self.preparer.quote
        source = self.preparer.format_table(table)
        key_cols = ", ".join(q(c.name) for c in pk)
        # A temporary table is private to this connection; MariaDB does not commit for it. The copy
        # is compared with the table by primary key, so it gets an index on it: without one SQLite
        # scans the copy once per row (20,000 rows: 8.9 s instead of 5 ms). MariaDB takes the index
        # in the CREATE itself (a separate CREATE INDEX is DDL); PostgreSQL hashes the comparison.
        if dialect_of(conn) == "mysql":
            conn.exec_driver_sql(
                f"CREATE TEMPORARY TABLE {q(snap_name)} (INDEX ({key_cols})) AS SELECT * FROM {source}"
            )
        else:
            conn.exec_driver_sql(f"CREATE TEMP TABLE {q(snap_name)} AS SELECT * FROM {source}")
            if dialect_of(conn) == "sqlite":
                conn.exec_driver_sql(f"CREATE INDEX {q(snap_name + '_key')} ON {q(snap_name)} ({key_cols})")
        snap = sa.Table(snap_name, sa.MetaData(), *[sa.Column(c.name, c.type) for c in table.columns])
        # On an error the transaction rolls back and the connection closes: the copy goes too.
        n = _rows(conn.execute(stmt))
        on_pk = [snap.c[c.name] == c for c in pk]
        gone = sa.select(*[snap.c[c.name] for c in table.columns]).where(
            ~sa.exists().where(*on_pk).correlate(snap)
        )
        new = sa.select(*pk).where(~sa.exists().where(*on_pk).correlate(table))
        differs = sa.or_(*[c.is_distinct_from(snap.c[c.name]) for c in table.columns if not c.primary_key])
        old = sa.select(*[snap.c[c.name] for c in table.columns]).join_from(snap, table, sa.and_(*on_pk))
        old = old.where(differs) if len(table.columns) > len(pk) else old.where(sa.false())
        with self._part(rule_id, f"undo the raw SQL fix on {table.name}") as out:
            result = conn.execute(new, execution_options={"yield_per": PAGE})
            for keys in result.partitions(PAGE):
                out.write(self._delete_keys(table, pk, keys))
            for page in self._pages(conn, old, table):
                out.write(self._update_rows(table, page))
            for page in self._pages(conn, gone, table):
                out.write(self._insert_rows(table, page))
        drop = "DROP TEMPORARY TABLE" if dialect_of(conn) == "mysql" else "DROP TABLE"
        conn.exec_driver_sql(f"{drop} {q(snap_name)}")
        return n

    def _ddl(self, conn: Connection, stmt: sa.schema.DropTable | RenameTable, rule_id: str) -> int:
        """DROP TABLE: the table's own DDL and then its rows, re-created by the undo. A rename: renamed
        back. One table changed either way."""
        if self.enabled and isinstance(stmt, RenameTable):
            renamed = sa.Table(stmt.new_name, sa.MetaData(), schema=stmt.table.schema)
            back = RenameTable(renamed, stmt.table.name)
            with self._part(rule_id, f"rename {stmt.new_name} back to {stmt.table.name}") as out:
                out.write(self._compile(back) + ";\n")
        elif self.enabled and isinstance(stmt, sa.schema.DropTable):
            table = cast("sa.Table", stmt.element)
            if dialect_of(conn) != "sqlite":  # reflection cannot re-create a server's triggers
                for event in ("INSERT", "UPDATE", "DELETE"):
                    self._no_triggers(self._fx(conn), table.name, event)
            before, after = create_statements(conn, table)
            sequences = serial_sequences(conn, table) if dialect_of(conn) == "postgresql" else []
            with self._part(rule_id, f"re-create {table.name} and its rows") as out:
                for ddl in before:
                    out.write(ddl + ";\n")
                for page in self._select(conn, table, None):
                    out.write(self._insert_rows(table, page))
                for ddl in after:
                    out.write(ddl + ";\n")
                for stmt_ in sequences:  # the new SERIAL sequences go on from where the old ones were
                    out.write(self._compile(stmt_) + ";\n")
        conn.execute(stmt)
        return 1

    def _target(self, stmt: sa.Insert | sa.Update | sa.Delete) -> tuple[sa.Table, Any]:
        return target_of(self.schema, stmt)

    # --- what the database changes by itself ------------------------------------------------------

    def _fx(self, conn: Connection) -> Effects:
        if self._effects is None or self._effects.conn is not conn:
            self._effects = Effects(conn, self.schema)
        return self._effects

    def _no_triggers(self, fx: Effects, table: str, event: str) -> None:
        names = fx.triggers(table, event)
        if names:
            raise UndoError(
                f"{table} has trigger(s) {', '.join(names)} on {event}; dblint cannot capture what they "
                "change (use --no-undo to fix without an undo)"
            )

    def _capture_effects(self, conn: Connection, table: sa.Table, where: Any, rule_id: str) -> None:
        """Write how to restore the rows a DELETE of ``where`` rows makes the database delete or
        rewrite elsewhere. Parts are written so that, in the reversed script, the deleted rows come
        back parents first and rewritten foreign keys are restored after them."""
        fx = self._fx(conn)
        self._no_triggers(fx, table.name, "DELETE")
        try:
            effects = fx.on_delete(table, where)
        except CascadeError as exc:
            raise UndoError(str(exc)) from None
        for e in effects:
            self._no_triggers(fx, e.table.name, "DELETE" if e.action == "delete" else "UPDATE")
        rewritten = [e for e in effects if e.action == "update"]
        deleted = [e for e in effects if e.action == "delete"]
        for e in rewritten:
            self._capture_effect(conn, e, rule_id, f"restore {e.table.name} rows rewritten by {e.via}")
        for e in reversed(deleted):
            self._capture_effect(conn, e, rule_id, f"re-insert {e.table.name} rows deleted by {e.via}")

    def _capture_effect(self, conn: Connection, effect: Effect, rule_id: str, what: str) -> None:
        if effect.action == "update":
            _primary_key(effect.table, f"{effect.via} rewrites")
        render = self._update_rows if effect.action == "update" else self._insert_rows
        with self._part(rule_id, what) as out:
            for page in self._select(conn, effect.table, effect.where):
                out.write(render(effect.table, page))

    def _raw_side_effects(self, conn: Connection, table: sa.Table, sql: str) -> None:
        """A raw statement's WHERE is opaque, so rows other tables would lose or have rewritten
        cannot be selected beforehand: such a statement is refused."""
        fx = self._fx(conn)
        head = sql.lstrip()[:17].upper()
        event = "UPDATE" if head.startswith("UPDATE") else "DELETE" if head.startswith("DELETE") else "INSERT"
        self._no_triggers(fx, table.name, event)
        replaces = head.startswith("REPLACE") or re.match(r"INSERT\s+OR\s+REPLACE", head) is not None
        if event == "INSERT" and not replaces:
            return
        if not fx.enforced():
            return
        if event == "UPDATE":
            followers = [(r, r.on_update) for r in fx.on_update(table, {c.name for c in table.columns})]
        else:  # DELETE, and REPLACE, which deletes the rows it replaces
            followers = [(r, r.on_delete) for r in fx.referencing(table.name) if r.on_delete in CHANGING]
        if followers:
            raise UndoError(
                f"a raw SQL fix changes {table.name}, which "
                + ", ".join(
                    r.describe(f"{'UPDATE' if event == 'UPDATE' else 'DELETE'} {a}") for r, a in followers
                )
                + " follow(s): dblint cannot capture what the database changes there (use --no-undo, or a "
                "kind's structured fix)"
            )

    # --- reading rows ----------------------------------------------------------------------------

    def _select(self, conn: Connection, table: sa.Table, where: Any) -> Iterable[Sequence[Mapping[str, Any]]]:
        sel = sa.select(*[raw_column(c, self.dialect).label(c.name) for c in table.columns])
        if where is not None:
            sel = sel.where(where)
        if dialect_of(conn) == "postgresql":
            sel = sel.with_for_update(of=table)
        elif dialect_of(conn) == "mysql":
            sel = sel.with_for_update()
        return self._pages(conn, sel, table, raw=True)

    def _pages(
        self, conn: Connection, sel: sa.Select[Any], table: sa.Table, raw: bool = False
    ) -> Iterable[Sequence[Mapping[str, Any]]]:
        if not raw:
            names = [c.name for c in table.columns]
            sub = sel.subquery("dblint_u")
            sel = sa.select(*[raw_column(sub.c[i], self.dialect).label(n) for i, n in enumerate(names)])
        result = conn.execute(sel, execution_options={"yield_per": PAGE})
        # RowMapping is a Mapping[str, Any] (the stubs type its keys more widely).
        yield from cast(Iterable[Sequence[Mapping[str, Any]]], result.mappings().partitions(PAGE))

    def _lock(self, conn: Connection, table: sa.Table, where: Any) -> int:
        pk = list(table.primary_key.columns) or list(table.columns)[:1]
        sel = sa.select(*pk)
        if where is not None:
            sel = sel.where(where)
        if dialect_of(conn) == "postgresql":
            sel = sel.with_for_update(of=table)
        elif dialect_of(conn) == "mysql":
            sel = sel.with_for_update()
        n = 0
        for page in conn.execute(sel, execution_options={"yield_per": PAGE}).partitions(PAGE):
            n += len(page)
        return n

    def _same(self, table: sa.Table, n: int, captured: int, what: str) -> None:
        if n >= 0 and n != captured:
            raise UndoError(
                f"{table.name}: the fix {what} {n} row(s) but the undo captured {captured}; rolled back"
            )


def target_of(schema: Schema, stmt: sa.Insert | sa.Update | sa.Delete) -> tuple[sa.Table, Any]:
    """The reflected table a statement writes to, and its WHERE in terms of that table. A
    lightweight ``sa.table()`` (as plugins write) is resolved through the schema, so the undo
    holds every column and knows the primary key."""
    target = stmt.table
    where = getattr(stmt, "whereclause", None)
    if isinstance(target, sa.Table):
        return target, where
    if not isinstance(target, sa.TableClause) or not getattr(target, "name", None):
        raise UndoError(f"cannot capture an undo for a {type(stmt).__name__} on {target!r}")
    try:
        table = schema.table(target.name)
    except MissingObject as exc:
        raise UndoError(f"cannot capture an undo: {exc}") from None

    def swap(el: Any, **kw: Any) -> Any:
        if isinstance(el, sa.ColumnClause) and el.table is target:
            return schema.column(table, el.name)
        return None

    if where is not None:
        opts: dict[str, Any] = {}
        where = replacement_traverse(cast(sa.ColumnElement[Any], where), opts, swap)  # type: ignore[call-overload]  # stubs reject a plain callable
    return table, where


def _primary_key(table: sa.Table, what: str) -> list[sa.Column[Any]]:
    """The key that names each row in the undo script; without one there is no exact undo."""
    pk = list(table.primary_key.columns)
    if not pk:
        raise UndoError(
            f"{table.name} has no primary key, so the rows {what} cannot be named in an undo "
            "(use --no-undo to fix without one)"
        )
    return pk


def _set_columns(stmt: sa.Update) -> set[str]:
    values = getattr(stmt, "_values", None) or dict(getattr(stmt, "_ordered_values", None) or ())
    return {getattr(k, "name", None) or getattr(k, "key", None) or str(k) for k in values}


def _rows(result: Any) -> int:
    n = result.rowcount
    return n if n is not None and n >= 0 else 0
