"""What the undo script of a fix that drops a table writes to re-create it (see
:meth:`linter.fix.undo.UndoLog.execute`): the table's DDL before its rows, its indexes and
triggers after them, and on PostgreSQL its SERIAL sequences' state."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from linter.db import dialect_of
from linter.fix.undo_script import UndoError


def create_statements(conn: Connection, table: sa.Table) -> tuple[list[str], list[str]]:
    """The statements that re-create ``table`` as it is, as (before its rows, after them): SQLite's
    own stored DDL, exactly (the table; then its indexes and triggers, so no trigger fires while the
    rows go back); on servers, what SQLAlchemy reflects (columns, types, defaults, keys; then indexes;
    not triggers, grants or comments)."""
    if dialect_of(conn) == "sqlite":
        rows = conn.execute(
            sa.text(
                "SELECT type, sql FROM sqlite_master WHERE tbl_name = :t AND sql IS NOT NULL "
                "ORDER BY type <> 'table', name"
            ),
            {"t": table.name},
        ).all()
        return [str(r[1]) for r in rows if r[0] == "table"], [str(r[1]) for r in rows if r[0] != "table"]
    first = [str(sa.schema.CreateTable(table).compile(dialect=conn.dialect)).strip()]
    indexes = sorted(table.indexes, key=str)
    return first, [str(sa.schema.CreateIndex(i).compile(dialect=conn.dialect)) for i in indexes]


def serial_sequences(conn: Connection, table: sa.Table) -> list[sa.Select[Any]]:
    """PostgreSQL: ``setval`` statements giving the SERIAL sequences a re-created ``table`` gets their
    current state back. An identity column is refused: reflection re-creates it as a plain column."""
    qualified = conn.dialect.identifier_preparer.format_table(table)
    identity = (
        conn.execute(
            sa.text(
                "SELECT attname FROM pg_attribute WHERE attrelid = CAST(:t AS regclass) AND attidentity <> ''"
            ),
            {"t": qualified},
        )
        .scalars()
        .all()
    )
    if identity:
        raise UndoError(
            f"{table.name}.{identity[0]} is an identity column, which dblint cannot re-create exactly "
            "after dropping the table (use --no-undo to fix without an undo)"
        )
    out: list[sa.Select[Any]] = []
    for c in table.columns:
        seq = conn.execute(sa.select(sa.func.pg_get_serial_sequence(qualified, c.name))).scalar()
        if seq is None:
            continue
        last, called = conn.execute(sa.text(f"SELECT last_value, is_called FROM {seq}")).one()
        serial = sa.func.pg_get_serial_sequence(sa.literal(qualified, sa.Text), sa.literal(c.name, sa.Text))
        value = sa.func.setval(
            serial, sa.literal(int(last), sa.BigInteger), sa.literal(bool(called), sa.Boolean)
        )
        out.append(sa.select(value))
    return out
