"""Comparing a target schema (models) with the live database's catalog: what exists, whether
types agree across dialects' spellings, and which keys, indexes and foreign keys are there."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.engine.interfaces import ReflectedColumn

from dblint_migrations.readers import project
from linter import Context


@dataclass
class LiveTable:
    name: str
    columns: dict[str, ReflectedColumn]  # lower name -> reflected column
    pk: tuple[str, ...]
    uniques: list[tuple[str, ...]]  # unique constraints and unique indexes (lower names)
    indexes: list[tuple[str, ...]]  # every index, in column order (lower names)
    fks: list[tuple[tuple[str, ...], str]]  # (columns, referred table), lower


class Live:
    """The database's catalog, reflected on the rule's own connection (its transaction's view)."""

    def __init__(self, conn: Connection, ctx: Context) -> None:
        self.insp = sa.inspect(conn)
        self.schema = ctx.schema.schema
        self.dialect = ctx.dialect
        self.names = {n.lower(): n for n in self.insp.get_table_names(schema=self.schema)}
        self._tables: dict[str, LiveTable] = {}

    def table(self, name: str) -> LiveTable | None:
        real = self.names.get(name.lower())
        if real is None:
            return None
        if real not in self._tables:
            i, s = self.insp, self.schema
            cols = {c["name"].lower(): c for c in i.get_columns(real, schema=s)}
            pk = tuple(
                c.lower() for c in i.get_pk_constraint(real, schema=s).get("constrained_columns") or []
            )
            # SQLite keeps an inline column UNIQUE only as an automatic index: ask for those too.
            kw = {"include_auto_indexes": True} if self.dialect == "sqlite" else {}
            idx = i.get_indexes(real, schema=s, **kw)
            uniques = [
                tuple(c.lower() for c in u["column_names"]) for u in i.get_unique_constraints(real, schema=s)
            ]
            uniques += [tuple(c.lower() for c in x["column_names"] if c) for x in idx if x.get("unique")]
            indexes = [tuple(c.lower() for c in x["column_names"] if c) for x in idx]
            fks = [
                (tuple(c.lower() for c in f["constrained_columns"]), f["referred_table"].lower())
                for f in i.get_foreign_keys(real, schema=s)
            ]
            self._tables[real] = LiveTable(real, cols, pk, uniques, indexes, fks)
        return self._tables[real]


def model_tables(ctx: Context, md: sa.MetaData, exclude: list[str]) -> list[sa.Table]:
    skip = {e.lower() for e in exclude} | project.bookkeeping(ctx)
    return [t for t in md.sorted_tables if t.name.lower() not in skip]


def model_uniques(t: sa.Table) -> list[tuple[str, ...]]:
    """Column sets the models declare unique (constraints, unique=True, unique indexes), beyond the PK."""
    out: list[tuple[str, ...]] = []
    for c in t.constraints:
        if isinstance(c, sa.UniqueConstraint) and not isinstance(c, sa.PrimaryKeyConstraint):
            cols = tuple(col.name for col in c.columns)
            if cols and cols not in out:
                out.append(cols)
    for ix in t.indexes:
        cols = tuple(col.name for col in ix.columns)
        if ix.unique and cols and len(cols) == len(ix.expressions) and cols not in out:
            out.append(cols)
    pk = tuple(c.name for c in t.primary_key.columns)
    return [u for u in out if u != pk]


def model_indexes(t: sa.Table) -> list[tuple[str | None, tuple[str, ...]]]:
    return [
        (ix.name if not str(ix.name).startswith("dblint_ix_") else None, tuple(c.name for c in ix.columns))
        for ix in t.indexes
        if not ix.unique and ix.columns and len(ix.columns) == len(ix.expressions)
    ]


def model_fks(t: sa.Table) -> list[sa.ForeignKeyConstraint]:
    return [c for c in t.constraints if isinstance(c, sa.ForeignKeyConstraint) and c.elements]


def lower(cols: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(c.lower() for c in cols)


def has_unique(live: LiveTable, cols: tuple[str, ...]) -> bool:
    want = set(lower(cols))
    return any(set(u) == want for u in [*live.uniques, live.pk] if u)


def has_index(live: LiveTable, cols: tuple[str, ...]) -> bool:
    want = lower(cols)
    return any(ix[: len(want)] == want for ix in [*live.indexes, *live.uniques, live.pk] if ix)


def has_fk(live: LiveTable, cols: tuple[str, ...], referred: str) -> bool:
    return (lower(cols), referred.lower()) in live.fks


# --- types --------------------------------------------------------------------------------------


def _tinyint(t: Any) -> bool:
    # Only a MariaDB/MySQL reflection or model makes a TINYINT, and either imported the dialect
    # already: importing it here would cost every run on other dialects ~15 ms.
    mysql = sys.modules.get("sqlalchemy.dialects.mysql")
    return mysql is not None and isinstance(t, mysql.TINYINT)


def family(t: Any, dialect: str) -> tuple[Any, ...] | None:
    """A dialect-neutral description of a type, or None when it cannot be compared."""
    if isinstance(t, sa.types.NullType):
        return None
    if isinstance(t, sa.Boolean):
        return ("boolean",)
    if _tinyint(t) and getattr(t, "display_width", None) == 1:
        return ("boolean",)
    if isinstance(t, sa.Integer):
        if dialect == "sqlite":
            return ("integer",)
        if isinstance(t, sa.BigInteger):
            return ("integer", "big")
        if isinstance(t, sa.SmallInteger) or _tinyint(t):
            return ("integer", "small")
        return ("integer", "")
    if isinstance(t, sa.JSON):
        return ("json",) if dialect == "postgresql" else ("string", None)
    if isinstance(t, sa.Uuid):
        return ("uuid",) if dialect == "postgresql" else ("string", 32)
    if isinstance(t, sa.String):
        length = None if isinstance(t, sa.Text) else t.length
        return ("string", length)
    if isinstance(t, sa.Float):
        return ("float",)
    if isinstance(t, sa.Numeric):
        return ("numeric", t.precision, t.scale)
    if isinstance(t, sa.DateTime):
        return ("datetime",)
    if isinstance(t, sa.Date):
        return ("date",)
    if isinstance(t, sa.Time):
        return ("time",)
    if isinstance(t, sa.LargeBinary | sa.types._Binary):
        return ("binary",)
    return None


def type_difference(model: Any, db: Any, dialect: str) -> str | None:
    m, d = family(model, dialect), family(db, dialect)
    if m is None or d is None:
        return None
    if m[0] != d[0]:
        return f"type {_show(model)} in the models, {_show(db)} in the database"
    if m[0] == "string" and m[1] != d[1]:
        return f"type {_show(model)} in the models, {_show(db)} in the database"
    if m[0] == "integer" and m != d:
        return f"type {_show(model)} in the models, {_show(db)} in the database"
    if m[0] == "numeric" and None not in (m[1], d[1]) and m[1:] != d[1:]:
        return f"type {_show(model)} in the models, {_show(db)} in the database"
    return None


def _show(t: Any) -> str:
    try:
        return str(t.compile()).upper()
    except Exception:
        return type(t).__name__.upper()


_CAST = re.compile(r"::[\w\s]+(\(\d+(,\s*\d+)?\))?(\[\])?$")


def norm_default(text: Any) -> str | None:
    if text is None:
        return None
    if hasattr(text, "arg"):  # a DefaultClause
        text = text.arg
    if isinstance(text, sa.sql.elements.TextClause):
        text = text.text
    elif not isinstance(text, str):
        try:
            text = str(text.compile(compile_kwargs={"literal_binds": True}))
        except Exception:
            return "?"
    s = str(text).strip()
    while True:
        before = s
        s = _CAST.sub("", s).strip()
        if s.startswith("(") and s.endswith(")"):
            s = s[1:-1].strip()
        if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
            s = s[1:-1]
        if s == before:
            break
    low = s.lower()
    if low in ("now()", "current_timestamp", "current_timestamp()", "localtimestamp"):
        return "current_timestamp"
    return {"true": "1", "false": "0"}.get(low, low)
