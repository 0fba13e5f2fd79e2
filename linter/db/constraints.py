"""What the database itself guarantees: NOT NULL columns and unique keys. A rule whose answer such
a constraint already fixes is reported as passing "guaranteed by constraint …" without scanning
the table.

Only constraints that the engine enforces on every stored row, at all times, count:
- NOT NULL and primary keys hold on every dialect; unique indexes on SQLite and PostgreSQL
  (partial and expression indexes do not count, nor PostgreSQL indexes left invalid by a failed
  CREATE INDEX CONCURRENTLY), not on MariaDB/MySQL, where InnoDB skips the check of secondary
  unique indexes while unique_checks=0.
- Foreign keys never: rows loaded with triggers off (``session_replication_role = replica``,
  ``pg_restore --disable-triggers``), a key added ``NOT VALID``, MariaDB's ``FOREIGN_KEY_CHECKS=0``
  (every mysqldump file sets it) and SQLite's foreign keys off all leave orphans under a declared
  key, and the catalog cannot tell which happened. A ``reference`` rule is always checked, so it
  and CORE001 agree on the same key (the cost: docs/performance.md).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from linter.db import Schema


@dataclass(frozen=True)
class UniqueKey:
    name: str
    columns: tuple[str, ...]


_PG_UNIQUE = sa.text(
    """
    SELECT i.relname AS name,
           ARRAY(SELECT a.attname FROM unnest(ix.indkey) WITH ORDINALITY AS k(attnum, n)
                 JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum
                 WHERE k.n <= ix.indnkeyatts ORDER BY k.n) AS columns
    FROM pg_index ix
    JOIN pg_class i ON i.oid = ix.indexrelid
    JOIN pg_class t ON t.oid = ix.indrelid
    JOIN pg_namespace s ON s.oid = t.relnamespace
    WHERE ix.indisunique AND ix.indisvalid AND ix.indpred IS NULL AND ix.indexprs IS NULL
      AND t.relname = :table AND s.nspname = COALESCE(:schema, current_schema())
    """
)


class Constraints:
    """Per-schema cache of the constraints above (thread-safe; read once per table)."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self._lock = threading.Lock()
        self._views: set[str] | None = None
        self._unique: dict[str, list[UniqueKey]] = {}

    def _bind(self) -> sa.Engine:
        return self.schema._bind.engine  # type: ignore[union-attr]

    def is_view(self, table: str) -> bool:
        with self._lock:
            if self._views is None:
                self._views = set(sa.inspect(self._bind()).get_view_names(schema=self.schema.schema))
            return table in self._views

    def unique_keys(self, table: sa.Table) -> list[UniqueKey]:
        with self._lock:
            if table.name not in self._unique:
                self._unique[table.name] = self._read_unique(table)
            return self._unique[table.name]

    def _read_unique(self, table: sa.Table) -> list[UniqueKey]:
        keys: list[UniqueKey] = []
        if self.schema.dialect == "postgresql":
            with self._bind().connect() as c:
                rows = c.execute(_PG_UNIQUE, {"table": table.name, "schema": self.schema.schema}).all()
            return [UniqueKey(r.name, tuple(r.columns)) for r in rows if r.columns]
        insp = sa.inspect(self._bind())
        pk = [c.name for c in table.primary_key.columns]
        if pk:
            keys.append(UniqueKey("PRIMARY KEY", tuple(pk)))
        if self.schema.dialect == "mysql":
            # With unique_checks=0 (bulk loads, restores) InnoDB may buffer secondary-index inserts
            # without checking them, so a UNIQUE index there can hold duplicates; the primary key
            # (the clustered index) is always checked.
            return keys
        for ix in insp.get_indexes(table.name, schema=self.schema.schema):
            opts = ix.get("dialect_options") or {}
            cols = ix.get("column_names") or []
            if ix.get("unique") and cols and None not in cols and not any(k.endswith("_where") for k in opts):
                keys.append(UniqueKey(str(ix.get("name")), tuple(cols)))  # type: ignore[arg-type]
        for uc in insp.get_unique_constraints(table.name, schema=self.schema.schema):
            uc_cols = uc.get("column_names") or []
            if uc_cols and None not in uc_cols:
                keys.append(UniqueKey(str(uc.get("name") or "UNIQUE"), tuple(uc_cols)))
        return keys


_cache: weakref.WeakKeyDictionary[Schema, Constraints] = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()


def of(schema: Schema) -> Constraints:
    with _cache_lock:
        c = _cache.get(schema)
        if c is None:
            c = _cache[schema] = Constraints(schema)
        return c


def not_null(schema: Schema, table: sa.Table, column: sa.Column[object]) -> str | None:
    """The constraint that keeps ``column`` from ever being NULL, if any."""
    if of(schema).is_view(table.name):
        return None
    if not column.nullable:
        return f"NOT NULL on {table.name}.{column.name}"
    return None


def unique(
    schema: Schema,
    table: sa.Table,
    keys: Sequence[sa.Column[object]],
    *,
    nullable_ok: Sequence[sa.Column[object]] = (),
    case_folded: Sequence[sa.Column[object]] = (),
) -> str | None:
    """A unique key whose columns are a subset of ``keys``: no two rows can then agree on all of
    ``keys``. Each key column must be NOT NULL or in ``nullable_ok`` (rows with NULL there are not
    compared by the rule), and not in ``case_folded`` (the rule compares it lower-cased; the index
    may not)."""
    if of(schema).is_view(table.name):
        return None
    by_name = {c.name.lower(): c for c in keys}
    ok_null = {c.name.lower() for c in nullable_ok}
    folded = {c.name.lower() for c in case_folded}
    for uk in of(schema).unique_keys(table):
        cols = [n.lower() for n in uk.columns]
        if not all(n in by_name for n in cols):
            continue
        if any(n in folded for n in cols):
            continue
        if all((not by_name[n].nullable) or n in ok_null for n in cols):
            return f"{uk.name} ({', '.join(uk.columns)})"
    return None
