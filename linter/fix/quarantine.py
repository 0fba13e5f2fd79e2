"""Quarantine: rows a fix deletes are first copied, set-based, into ``dblint_quarantine_<table>``
(the same columns, all nullable, plus the rule id, run id, step number and time), so a deletion can
be inspected and undone from the database itself.

The quarantine tables are created BEFORE the fix transaction, in a committed step of their own:
CREATE TABLE is DDL, which MariaDB/MySQL commits implicitly, so creating them inside the fix
transaction would break all-or-nothing there. Empty tables are harmless if the fix then rolls back."""

from __future__ import annotations

import hashlib
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from linter.errors import DblintError

PREFIX = "dblint_quarantine_"
MAX_NAME = 63  # PostgreSQL's limit; MariaDB allows 64
EXTRA = ("dblint_qid", "dblint_rule", "dblint_run", "dblint_step", "dblint_time")


def table_name(source: str) -> str:
    name = PREFIX + source
    if len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha1(source.encode()).hexdigest()[:8]
    return f"{PREFIX}{source[: MAX_NAME - len(PREFIX) - 9]}_{digest}"


def is_quarantine(name: str) -> bool:
    return name.lower().startswith(PREFIX)


def model(source: sa.Table) -> sa.Table:
    """The quarantine table of ``source`` (not created)."""
    cols: list[sa.Column[Any]] = [sa.Column("dblint_qid", sa.Integer, primary_key=True, autoincrement=True)]
    cols += [sa.Column(c.name, c.type, nullable=True) for c in source.columns if c.name not in EXTRA]
    cols += [
        sa.Column("dblint_rule", sa.String(64), nullable=False),
        sa.Column("dblint_run", sa.String(64), nullable=False),
        sa.Column("dblint_step", sa.Integer, nullable=False),
        sa.Column("dblint_time", sa.DateTime, nullable=False),
    ]
    return sa.Table(table_name(source.name), sa.MetaData(), *cols, schema=source.schema)


def prepare(engine: Engine, sources: list[sa.Table]) -> dict[str, sa.Table]:
    """Create the missing quarantine tables of ``sources`` in their own committed transaction and
    return them by source table name. An existing quarantine table must hold every column of its
    source table (a schema change since it was created is reported, not papered over)."""
    out: dict[str, sa.Table] = {}
    if not sources:
        return out
    with engine.begin() as conn:
        insp = sa.inspect(conn)
        for src in sources:
            q = model(src)
            if insp.has_table(q.name, schema=src.schema):
                have = {c["name"].lower() for c in insp.get_columns(q.name, schema=src.schema)}
                missing = [c.name for c in q.columns if c.name.lower() not in have]
                if missing:
                    raise DblintError(
                        f"quarantine table {q.name} lacks column(s) {', '.join(missing)} of {src.name}; "
                        "rename or drop it, then fix again"
                    )
            else:
                q.create(conn)
            out[src.name] = q
    return out


def copy_rows(q: sa.Table, source: sa.Table, where: Any, rule_id: str, run_id: str, step: int) -> sa.Insert:
    """INSERT INTO quarantine SELECT the rows of ``source`` meeting ``where`` (set-based)."""
    names = [c.name for c in source.columns if c.name not in EXTRA]
    sel = sa.select(
        *[source.c[n] for n in names],
        sa.literal(rule_id, sa.String(64)),
        sa.literal(run_id, sa.String(64)),
        sa.literal(step, sa.Integer),
        sa.func.current_timestamp(),
    )
    if where is not None:
        sel = sel.where(where)
    return sa.insert(q).from_select([*names, "dblint_rule", "dblint_run", "dblint_step", "dblint_time"], sel)


def restore(q: sa.Table, source: sa.Table, run_id: str, step: int) -> list[sa.Executable]:
    """The statements putting one step's quarantined rows back (and clearing them from quarantine)."""
    names = [c.name for c in source.columns if c.name not in EXTRA]
    mine = sa.and_(q.c.dblint_run == run_id, q.c.dblint_step == step)
    back = sa.insert(source).from_select(names, sa.select(*[q.c[n] for n in names]).where(mine))
    return [back, sa.delete(q).where(mine)]


def count(conn: Connection, q: sa.Table, run_id: str, step: int) -> int:
    mine = sa.and_(q.c.dblint_run == run_id, q.c.dblint_step == step)
    return int(conn.execute(sa.select(sa.func.count()).select_from(q).where(mine)).scalar_one())
