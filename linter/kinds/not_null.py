"""``not_null``: a column must not be NULL (optionally only in rows matching ``filter``).

Fix: ``set: VALUE`` writes a value into the NULLs (usually ``unsafe``: it invents data)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from linter.hookspecs import hookimpl
from linter.kinds.base import Check, Context, FixModel, FixStep, Kind, Params, QueryCheck, count_of, fmt


class NotNullParams(Params):
    table: str
    column: str
    filter: dict[str, Any] | None = None


class NotNullFix(FixModel):
    set: Any


class NotNull(Kind[NotNullParams, NotNullFix]):
    name = "not_null"
    Params = NotNullParams
    Fix = NotNullFix

    def title(self, params: NotNullParams) -> str:
        return f"{params.table}.{params.column} is never NULL"

    def tables(self, params: NotNullParams) -> list[str]:
        return [params.table]

    def guaranteed(self, ctx: Context, params: NotNullParams) -> str | None:
        from linter.db import constraints

        t = ctx.table(params.table)
        return constraints.not_null(ctx.schema, t, ctx.col(t, params.column))

    def _where(
        self, ctx: Context, p: NotNullParams
    ) -> tuple[sa.Table, sa.Column[Any], sa.ColumnElement[bool]]:
        t = ctx.table(p.table)
        c = ctx.col(t, p.column)
        return t, c, sa.and_(c.is_(None), *ctx.filters(t, p.filter))

    def check(self, ctx: Context, params: NotNullParams) -> Check:
        t, c, where = self._where(ctx, params)
        pk = list(t.primary_key.columns) or [c]
        q = sa.select(*[k.label(k.name) for k in pk]).where(where)
        return QueryCheck(
            query=q,
            table=t.name,
            key=[k.name for k in pk],
            message=lambda r: f"{c.name} is NULL",
            count_query=sa.select(sa.func.count()).select_from(t).where(where),
            scan=(t, where),
        )

    def fix(self, ctx: Context, params: NotNullParams, fix: NotNullFix) -> list[FixStep]:
        t, c, where = self._where(ctx, params)
        stmt = sa.update(t).where(where).values({c.name: ctx.value(fix.set, type_=c.type)})
        return [
            FixStep(
                stmt,
                count_of(sa.select(sa.literal(1)).select_from(t).where(where)),
                f"set {c.name} = {fmt(fix.set)}",
            )
        ]


@hookimpl
def dblint_kinds() -> list[type[Kind[Any, Any]]]:
    return [NotNull]
