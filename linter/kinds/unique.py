"""``unique``: ``columns`` must be unique (within ``scope`` columns, among rows matching ``filter``).

One violation is one duplicate group, reported with its key and row count. NULLs are distinct, as in
a UNIQUE index, unless ``nulls_distinct: false``. ``case_insensitive`` compares text lower-cased (as
MariaDB's default collation does).

Fix: ``keep: first|last`` by ``order_by`` (default: the primary key) keeps one row per group and
deletes the rest; rows whose order value is NULL are kept only when no other row has one."""

from __future__ import annotations

from typing import Any, Literal

import sqlalchemy as sa
from pydantic import Field

from linter.errors import RuleError
from linter.hookspecs import hookimpl
from linter.kinds import sqlbuild
from linter.kinds.base import Check, Context, FixModel, FixStep, Kind, Params, QueryCheck, count_of


class UniqueParams(Params):
    table: str
    columns: list[str] = Field(min_length=1)
    scope: list[str] = []
    filter: dict[str, Any] | None = None
    case_insensitive: bool = False
    nulls_distinct: bool = True


class UniqueFix(FixModel):
    keep: Literal["first", "last"] = "first"
    order_by: list[str] = []


class Unique(Kind[UniqueParams, UniqueFix]):
    name = "unique"
    cost = 4
    Params = UniqueParams
    Fix = UniqueFix

    def title(self, params: UniqueParams) -> str:
        within = f" within {', '.join(params.scope)}" if params.scope else ""
        return f"{params.table}.{', '.join(params.columns)} is unique{within}"

    def tables(self, params: UniqueParams) -> list[str]:
        return [params.table]

    def guaranteed(self, ctx: Context, params: UniqueParams) -> str | None:
        from linter.db import constraints

        t = ctx.table(params.table)
        cols = [ctx.col(t, c) for c in params.columns]
        scope = [ctx.col(t, c) for c in params.scope]
        return constraints.unique(
            ctx.schema,
            t,
            [*scope, *cols],
            nullable_ok=cols if params.nulls_distinct else [],
            case_folded=[c for c in cols if sqlbuild.is_text(c)] if params.case_insensitive else [],
        )

    def _parts(
        self, ctx: Context, p: UniqueParams
    ) -> tuple[sa.Table, list[tuple[str, sa.ColumnElement[Any]]], list[sa.ColumnElement[bool]]]:
        t = ctx.table(p.table)
        keys: list[tuple[str, sa.ColumnElement[Any]]] = []
        where = ctx.filters(t, p.filter)
        for name in [*p.scope, *p.columns]:
            c = ctx.col(t, name)
            e: sa.ColumnElement[Any] = c
            if p.case_insensitive and name in p.columns and sqlbuild.is_text(c):
                e = sa.func.lower(c)
            keys.append((c.name, e))
            if p.nulls_distinct and name in p.columns:
                where.append(c.is_not(None))
        return t, keys, where

    def check(self, ctx: Context, params: UniqueParams) -> Check:
        t, keys, where = self._parts(ctx, params)
        n = sa.func.count().label("dblint_rows")
        exprs = [e for _, e in keys]
        q = (
            sa.select(*[e.label(name) for name, e in keys], n)
            .select_from(t)
            .where(*where)
            .group_by(*exprs)
            .having(sa.func.count() > 1)
        )
        n_scope = len(params.scope)

        def message(r: Any) -> str:
            names = [name for name, _ in keys]
            # The key shows the values; the message says what they have in common.
            value = ", ".join(names[n_scope:])
            within = ", ".join(names[:n_scope])
            return f"{r['dblint_rows']} rows share this {value}" + (f" within one {within}" if within else "")

        probe = None
        if ctx.dialect == "sqlite" and len(keys) == 1 and params.nulls_distinct:
            # Measured on bench/ (1e6 rows): on SQLite COUNT(DISTINCT c) takes half the time of the
            # GROUP BY, so a clean column is proven clean at half the price. Not on PostgreSQL
            # (no faster than grouping) nor for several columns (concatenating keys is slower).
            e = exprs[0]
            probe = sa.select(sa.func.count(e) - sa.func.count(sa.distinct(e))).select_from(t).where(*where)
        # Split on an integer key column, the rule's own columns first: a scope column often has
        # few values (one collection), which would leave the parts unbalanced.
        ordered = [e for _, e in keys[n_scope:]] + [e for _, e in keys[:n_scope]]
        ints = [e for e in ordered if isinstance(e, sa.Column) and isinstance(e.type, sa.Integer)]
        return QueryCheck(
            query=q,
            table=t.name,
            key=[name for name, _ in keys],
            message=message,
            probe=probe,
            split_on=ints[0] if ints else None,
        )

    def fix(self, ctx: Context, params: UniqueParams, fix: UniqueFix) -> list[FixStep]:
        t, keys, where = self._parts(ctx, params)
        pk = list(t.primary_key.columns)
        if not pk:
            raise RuleError(f"{t.name} has no primary key, so dblint cannot say which duplicate to keep")
        order = [ctx.col(t, c) for c in fix.order_by] or pk
        # NULLs sort last on every dialect (PostgreSQL puts them last, MariaDB and SQLite first), so
        # the same row is kept everywhere and a row with an unknown order value is never preferred.
        order_exprs: list[Any] = []
        for o in order:
            order_exprs += [
                sa.case((o.is_(None), 1), else_=0).asc(),
                o.asc() if fix.keep == "first" else o.desc(),
            ]
        order_exprs += [k.asc() for k in pk if k not in order]  # ties broken on the key: deterministic
        rn = (
            sa.func.row_number()
            .over(partition_by=[e for _, e in keys], order_by=order_exprs)
            .label("dblint_rn")
        )
        ranked = (
            sa.select(*[k.label(f"dblint_pk{i}") for i, k in enumerate(pk)], rn)
            .where(*where)
            .subquery("dblint_ranked")
        )
        losers = sa.select(*[ranked.c[f"dblint_pk{i}"] for i in range(len(pk))]).where(ranked.c.dblint_rn > 1)
        stmt = sqlbuild.delete_by_pk(t, losers)
        return [
            FixStep(
                stmt,
                count_of(losers),
                f"delete duplicates from {t.name}, keeping the {fix.keep} of each group",
            )
        ]


@hookimpl
def dblint_kinds() -> list[type[Kind[Any, Any]]]:
    return [Unique]
