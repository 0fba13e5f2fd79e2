"""PRE005: a pending migration adds a NOT NULL column without a default to a table that has rows.
The database has no value for the existing rows, so the upgrade fails ("NOT NULL constraint
failed: _alembic_tmp_<table>.<col>" on SQLite, "column ... contains null values" on PostgreSQL);
Atlas warns of it (MF103) without counting. What adds the column:

- Alembic: a pending revision's ``op.add_column`` / ``batch_op.add_column`` of a
  ``sa.Column(..., nullable=False)`` without ``server_default`` (read statically);
- Django (with settings): a pending migration's ``AddField`` of a NOT NULL field with neither a
  ``default`` (Django fills existing rows with it) nor a ``db_default`` (from Django's loader).

One finding per (table, column), its rows counted by the database, all in one UNION ALL query.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from dblint_migrations.config import migrations_section
from dblint_migrations.readers import django_state, pending, project
from dblint_migrations.readers.live import Present
from linter import Check, Context, DeferredCheck, MissingObject
from linter.kinds import sqlbuild

TEXT = sa.String(255)


def _alembic(ctx: Context, conn: Connection) -> list[tuple[str, str, str]]:
    """(table, column, what adds it) from the pending Alembic revisions."""
    ahead = pending.alembic_pending(ctx, conn)
    g = project.alembic(ctx)
    if ahead is None or g is None:
        return []
    return [
        (op.table, op.name, f"pending revision {rev} ({project.rel(ctx, g.revisions[rev].path)}:{op.line})")
        for rev, op in ahead.ops
        if op.what == "add_column" and op.not_null_no_default
    ]


def _django(ctx: Context, conn: Connection) -> list[tuple[str, str, str]]:
    if django_state.unavailable(ctx) is not None:
        return []
    state = django_state.load(ctx, project.django_rows(conn, ctx))
    return [
        (table, column, f"pending migration {step['app']}.{step['name']}")
        for step in state.steps
        for table, column in step.get("adds_not_null", [])
    ]


def check(ctx: Context, exclude: list[str]) -> Check:
    cfg = migrations_section(ctx.config)
    if cfg is None or (cfg.alembic is None and (cfg.django is None or cfg.django.settings is None)):
        raise MissingObject(
            "no pending migration to read: needs migrations.alembic, or migrations.django with settings"
        )
    skip = {e.lower() for e in exclude}

    def build(conn: Connection) -> Check:
        present = Present(conn, ctx)
        adds = (_alembic(ctx, conn) if cfg.alembic else []) + (_django(ctx, conn) if cfg.django else [])
        seen: set[tuple[str, str]] = set()
        branches: list[Any] = []
        for table, column, source in adds:
            key = (table.lower(), column.lower())
            if key in seen or table.lower() in skip or not present.has("table", table, table):
                continue
            if present.has("column", table, column):
                continue  # already there: MIG007's clash, not this
            seen.add(key)
            t = ctx.table(table)
            n = sa.select(sa.func.count().label("n")).select_from(t).subquery("dblint_rows")
            detail = sa.cast(n.c.n, TEXT) + sa.literal(
                f" row(s) in {t.name}, and {source} adds {column} NOT NULL without a default: the upgrade "
                f"fails on them; give it a server default, or add it nullable, fill it, then tighten it",
                TEXT,
            )
            branches.append(
                sa.select(
                    sa.literal(t.name, TEXT).label("table"),
                    sa.literal("table,column", TEXT).label("key_names"),
                    sa.literal(f"{t.name},{column}", TEXT).label("key"),
                    detail.label("detail"),
                ).where(n.c.n > 0)
            )
        return sqlbuild.union_check(branches)

    return DeferredCheck(build)
