"""What the pending Alembic revisions will change, as their ``op`` calls say (read statically):
a difference between the models (the code's head) and the database that a pending revision makes
is that revision's (MIG001 names it; PRE counts the rows it will fail on), not drift.

Only Alembic's is read here: with a Django project the DRIFT rules compare the database with the
schema of the *applied* migrations, which pending ones do not touch."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.engine import Connection

from dblint_migrations.config import migrations_section
from dblint_migrations.readers import alembic_graph, project
from dblint_migrations.readers.alembic_ops import Op
from linter import Context


@dataclass
class Pending:
    """The pending revisions' operations, looked up by what they touch (lower-case names)."""

    ops: list[tuple[str, Op]] = field(default_factory=list)  # (revision, op)

    def _find(self, whats: set[str], table: str, name: str | None = None) -> str | None:
        t = table.lower()
        for rev, op in self.ops:
            if (
                op.what in whats
                and op.table.lower() == t
                and (name is None or op.name.lower() == name.lower())
            ):
                return rev
        return None

    def _cols(self, whats: set[str], table: str, cols: tuple[str, ...]) -> str | None:
        want = {c.lower() for c in cols}
        for rev, op in self.ops:
            if op.what in whats and op.table.lower() == table.lower():
                if not op.columns or {c.lower() for c in op.columns} == want:
                    return rev
        return None

    def creates_table(self, table: str) -> str | None:
        return self._find({"create_table"}, table)

    def adds_column(self, table: str, column: str) -> str | None:
        return self._find({"add_column"}, table, column) or self.creates_table(table)

    def drops(self, table: str, column: str | None = None) -> str | None:
        if column is None:
            return self._find({"drop_table"}, table)
        return self._find({"drop_column"}, table, column) or self._find({"drop_table"}, table)

    def alters_column(self, table: str, column: str) -> str | None:
        return self._find({"alter_column", "add_column", "drop_column"}, table, column)

    def creates_unique(self, table: str, cols: tuple[str, ...]) -> str | None:
        return self._cols({"create_unique", "create_index"}, table, cols) or self.creates_table(table)

    def creates_index(self, table: str, cols: tuple[str, ...]) -> str | None:
        return self._cols({"create_index", "create_unique"}, table, cols) or self.creates_table(table)

    def creates_fk(self, table: str, cols: tuple[str, ...]) -> str | None:
        return self._cols({"create_foreign_key"}, table, cols) or self.creates_table(table)


def alembic_pending(ctx: Context, conn: Connection) -> Pending | None:
    """The pending revisions' operations; None without an Alembic project, or when the database's
    position in its history is unknown (an unknown revision: MIG006; an unreadable script: MIG009)."""
    cfg = migrations_section(ctx.config)
    if cfg is None or cfg.alembic is None:
        return None
    g: alembic_graph.Graph | None = project.alembic(ctx)
    if g is None or g.unreadable:
        return None
    rows = project.alembic_rows(conn, ctx)
    if any(g.resolve(r) is None for r in rows):
        return None
    applied = g.ancestors(rows)
    return Pending([(r, op) for r in g.order() if r not in applied for op in g.revisions[r].ops.items])


def explained(p: Pending, check: str, key: dict[str, str]) -> str | None:
    """The pending revision that makes the difference a DRIFT ``check`` found at ``key``, or None."""
    t = key["table"]
    if check == "missing_table":
        return p.creates_table(t)
    if check == "missing_column":
        return p.adds_column(t, key["column"])
    if check == "extra":
        return p.drops(t, key.get("column"))
    if check == "mismatch":
        return p.alters_column(t, key["column"])
    for what, find in (
        ("unique", p.creates_unique),
        ("index", p.creates_index),
        ("foreign_key", p.creates_fk),
    ):
        if what in key:
            return find(t, tuple(key[what].split(",")))
    return None
