"""The schema resolver: names written in rule files mapped to the database's real spelling, and
reflected tables built on demand."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.interfaces import ReflectedColumn
from sqlalchemy.engine.reflection import ObjectKind

from linter.db.session import dialect_of
from linter.db.url import mask_text, mask_url
from linter.errors import MissingObject, TargetError, one_line


class Schema:
    """Resolves table and column names case-insensitively to the database's own spelling and
    builds reflected :class:`sqlalchemy.Table` objects (columns, types, primary key) on demand.

    Rule packs are written once (``discipline``, ``DisciplineID``) and work on MariaDB's
    case-sensitive table names, PostgreSQL's folded lower case and SQLite alike. Thread-safe.
    """

    def __init__(self, engine: Engine | Connection, schema: str | None = None) -> None:
        self._bind = engine
        self.schema = schema
        self.metadata = sa.MetaData()
        self._lock = threading.RLock()
        self._names: dict[str, str] | None = None
        self._tables: dict[str, sa.Table] = {}
        self.dialect = dialect_of(engine)
        self._local = threading.local()

    @contextmanager
    def using(self, conn: Connection) -> Iterator[None]:
        """Reflect through ``conn`` (the connection a rule runs on) in this thread. Reflecting through
        the engine instead would borrow a second connection, which for an in-memory SQLite database
        IS the same connection, and returning it to the pool would roll back dblint's transaction."""
        previous = getattr(self._local, "conn", None)
        self._local.conn = conn
        try:
            yield
        finally:
            self._local.conn = previous

    @property
    def bind(self) -> Engine | Connection:
        return getattr(self._local, "conn", None) or self._bind

    def inspector(self) -> sa.Inspector:
        return sa.inspect(self.bind)

    def _inspector(self) -> sa.Inspector:
        return self.inspector()

    def table_names(self) -> dict[str, str]:
        with self._lock:
            if self._names is None:
                try:
                    names = self._inspector().get_table_names(schema=self.schema)
                    names += self._inspector().get_view_names(schema=self.schema)
                except Exception as exc:
                    raise TargetError(
                        f"cannot read the schema of {mask_url(self._bind.engine.url)}: "
                        f"{mask_text(one_line(str(exc)))}"
                    ) from None
                self._names = {}
                for n in sorted(names):  # exact spelling wins over a case-variant
                    self._names.setdefault(n.lower(), n)
                for n in names:
                    self._names[n] = n
            return self._names

    def has_table(self, name: str) -> bool:
        names = self.table_names()
        return name in names or name.lower() in names

    def real_name(self, name: str) -> str:
        names = self.table_names()
        real = names.get(name) or names.get(name.lower())
        if real is None:
            raise MissingObject(f"table {name} does not exist")
        return real

    def table(self, name: str) -> sa.Table:
        real = self.real_name(name)
        with self._lock:
            t = self._tables.get(real)
            if t is None:
                insp = self._inspector()
                cols = insp.get_columns(real, schema=self.schema)
                pk = insp.get_pk_constraint(real, schema=self.schema).get("constrained_columns") or []
                t = self._build(real, cols, pk)
            return t

    def prefetch(self, names: Iterable[str]) -> None:
        """Reflect the named tables that exist and are not reflected yet in one catalog round
        (columns, then primary keys, of all of them): on PostgreSQL two queries instead of two per
        table. Names that do not resolve, or a round that fails, are left to :meth:`table`, which
        reports them for the rule that asks."""
        known = self.table_names()
        with self._lock:
            wanted = sorted(
                {r for n in names if (r := known.get(n) or known.get(n.lower())) and r not in self._tables}
            )
            if len(wanted) < 2:
                return
            try:
                insp = self._inspector()
                cols = insp.get_multi_columns(schema=self.schema, filter_names=wanted, kind=ObjectKind.ANY)
                pks = insp.get_multi_pk_constraint(
                    schema=self.schema, filter_names=wanted, kind=ObjectKind.ANY
                )
            except Exception:
                return
            for (_, real), columns in cols.items():
                if real in wanted and real not in self._tables and columns:
                    pk = pks.get((self.schema, real))
                    self._build(real, columns, pk["constrained_columns"] if pk else [])

    def _build(self, real: str, cols: Sequence[ReflectedColumn], pk: Sequence[str]) -> sa.Table:
        keys = set(pk)
        t = sa.Table(
            real,
            self.metadata,
            *[
                sa.Column(
                    c["name"], c["type"], primary_key=c["name"] in keys, nullable=c.get("nullable", True)
                )
                for c in cols
            ],
            schema=self.schema,
        )
        self._tables[real] = t
        return t

    def column(self, table: sa.Table | str, name: str) -> sa.Column[object]:
        t = self.table(table) if isinstance(table, str) else table
        col = t.c.get(name)
        if col is None:
            lowered = name.lower()
            for c in t.c:
                if c.name.lower() == lowered:
                    return c
            raise MissingObject(f"column {t.name}.{name} does not exist")
        return col

    def primary_key(self, table: sa.Table) -> list[sa.Column[object]]:
        return list(table.primary_key.columns)

    def foreign_keys(self, table: str) -> list[dict[str, object]]:
        real = self.real_name(table)
        with self._lock:
            fks = self._inspector().get_foreign_keys(real, schema=self.schema)
            return cast("list[dict[str, object]]", list(fks))  # ReflectedForeignKeyConstraint dicts
