"""``row_exists``: for every row of ``for_each`` (optionally filtered), a row matching ``require``
must exist. ``"{Column}"`` in ``match`` and ``insert`` refers to the ``for_each`` row.

Fix: ``insert: {column: value}`` inserts the missing rows in one INSERT … SELECT."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pydantic import Field

from linter.errors import RuleError
from linter.hookspecs import hookimpl
from linter.kinds.base import Check, Context, FixModel, FixStep, Kind, Params, QueryCheck, count_of, fmt
from linter.kinds.values import column_ref


class TableFilter(Params):
    table: str
    filter: dict[str, Any] | None = None


class Require(Params):
    table: str
    match: dict[str, Any] = Field(min_length=1)
    filter: dict[str, Any] | None = None


class RowExistsParams(Params):
    for_each: TableFilter
    require: Require
    # Compare columns to columns NULL-safely (MariaDB <=>): Specify's "same slot" comparisons need it.
    null_safe: bool = False


class RowExistsFix(FixModel):
    insert: dict[str, Any]


class RowExists(Kind[RowExistsParams, RowExistsFix]):
    name = "row_exists"
    cost = 3
    Params = RowExistsParams
    Fix = RowExistsFix

    def title(self, params: RowExistsParams) -> str:
        return f"every {params.for_each.table} row has its {params.require.table} row"

    def tables(self, params: RowExistsParams) -> list[str]:
        return [params.for_each.table, params.require.table]

    def _missing(self, ctx: Context, p: RowExistsParams) -> tuple[sa.Table, sa.ColumnElement[bool]]:
        parent = ctx.table(p.for_each.table)
        child = ctx.table(p.require.table)
        if parent is child:
            child = child.alias("dblint_child")  # type: ignore[assignment]

        def row(name: str) -> sa.ColumnElement[Any]:
            return ctx.col(parent, name)

        match = ctx.filters(child, p.require.match, row=row, null_safe=p.null_safe)
        match += ctx.filters(child, p.require.filter)
        exists = sa.exists().where(*match).correlate(parent) if match else sa.exists().select_from(child)
        where = sa.and_(~exists, *ctx.filters(parent, p.for_each.filter))
        return parent, where

    def check(self, ctx: Context, params: RowExistsParams) -> Check:
        parent, where = self._missing(ctx, params)
        pk = list(parent.primary_key.columns) or list(parent.c)[:1]
        refs = [column_ref(v) for v in params.require.match.values()]
        cols: dict[str, sa.ColumnElement[Any]] = {c.name: c for c in pk}
        spelled: dict[str, str] = {}  # the rule's spelling → the label holding that column
        for r in refs:  # labelled as the rule spells them, so the message template finds them
            if not r or r in cols:
                continue
            c = ctx.col(parent, r)
            same = next((n for n, e in cols.items() if e is c), None)
            if same is not None:
                # Selected already (a key column spelled otherwise): a second label differing only in
                # case would stop MariaDB counting it beside its examples in one query.
                spelled[r] = same
            else:
                cols[r] = c
        q = sa.select(*[c.label(n) for n, c in cols.items()]).where(where)
        want = ", ".join(
            f"{k}={fmt(v) if column_ref(v) is None else v}" for k, v in params.require.match.items()
        )
        return QueryCheck(
            query=q,
            table=parent.name,
            key=[c.name for c in pk],
            message=lambda r: f"no {params.require.table} row with {_fill(want, _spelled(r, spelled))}",
            count_query=sa.select(sa.func.count()).select_from(parent).where(where),
        )

    def fix(self, ctx: Context, params: RowExistsParams, fix: RowExistsFix) -> list[FixStep]:
        parent, where = self._missing(ctx, params)
        child = ctx.table(params.require.table)

        def row(name: str) -> sa.ColumnElement[Any]:
            return ctx.col(parent, name)

        names, exprs = [], []
        for name, value in fix.insert.items():
            col = ctx.col(child, name)
            names.append(col.name)
            exprs.append(ctx.value(value, row=row, type_=col.type).label(col.name))
        if not names:
            raise RuleError("fix.insert names no columns")
        # DISTINCT would be wrong (two parents may insert equal rows); one row per missing parent.
        sel = sa.select(*exprs).select_from(parent).where(where)
        stmt = sa.insert(child).from_select(names, sel)
        return [
            FixStep(
                stmt,
                count_of(sa.select(sa.literal(1)).select_from(parent).where(where)),
                f"insert into {child.name}",
            )
        ]


def _spelled(row: Any, spelled: dict[str, str]) -> dict[str, Any]:
    return {**dict(row), **{r: row[label] for r, label in spelled.items()}}


def _fill(template: str, row: Any) -> str:
    out = template
    for k, v in dict(row).items():
        out = out.replace("{" + k + "}", fmt(v))
    return out


@hookimpl
def dblint_kinds() -> list[type[Kind[Any, Any]]]:
    return [RowExists]
