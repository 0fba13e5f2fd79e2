"""What the live database has, read from its catalog on the rule's own connection (on demand,
per table): for MIG007's clashes, MIG006's evidence and the leftover batch tables of MIG008."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from linter import Context

BATCH_PREFIX = "_alembic_tmp_"  # Alembic's batch mode copies a table into this, then renames it back


class Present:
    """The tables, columns and index names of the checked schema."""

    def __init__(self, conn: Connection, ctx: Context) -> None:
        self.insp = sa.inspect(conn)
        self.schema = ctx.schema.schema
        self.tables = {n.lower(): n for n in self.insp.get_table_names(schema=self.schema)}
        self._cols: dict[str, set[str]] = {}
        self._idx: dict[str, set[str]] = {}

    def columns(self, table: str) -> set[str]:
        """Lower-case column names of a table (empty when it does not exist)."""
        real = self.tables.get(table.lower())
        if real is None:
            return set()
        if real not in self._cols:
            self._cols[real] = {c["name"].lower() for c in self.insp.get_columns(real, schema=self.schema)}
        return self._cols[real]

    def has(self, kind: str, table: str, name: str) -> bool:
        real = self.tables.get(table.lower())
        if real is None:
            return False
        if kind == "table":
            return True
        if kind == "column":
            return name.lower() in self.columns(real)
        if real not in self._idx:
            names = {i["name"] for i in self.insp.get_indexes(real, schema=self.schema) if i.get("name")}
            names |= {
                u["name"] for u in self.insp.get_unique_constraints(real, schema=self.schema) if u.get("name")
            }
            self._idx[real] = {n.lower() for n in names if n}
        return name.lower() in self._idx[real]

    def leftovers(self) -> list[str]:
        """Real names of the ``_alembic_tmp_<table>`` tables a failed batch upgrade left behind."""
        return sorted(real for low, real in self.tables.items() if low.startswith(BATCH_PREFIX))
