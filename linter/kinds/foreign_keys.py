"""``foreign_keys``: every declared foreign key holds, in every table (or those listed).

Databases do not always enforce their own foreign keys: SQLite only with ``PRAGMA foreign_keys=ON``,
MariaDB not while ``FOREIGN_KEY_CHECKS=0`` (dumps, hand repairs). The orphans of all foreign keys are
found with ONE query: a UNION ALL of one anti-join per foreign key. One violation is one orphan row."""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa

from linter.errors import MissingObject
from linter.hookspecs import hookimpl
from linter.kinds.base import Check, Context, Example, Kind, Params


class ForeignKeysParams(Params):
    tables: list[str] = []  # default: every table
    exclude: list[str] = []


class ForeignKeys(Kind[ForeignKeysParams, Any]):
    name = "foreign_keys"
    Params = ForeignKeysParams

    def title(self, params: ForeignKeysParams) -> str:
        return "declared foreign keys have no orphan rows"

    def check(self, ctx: Context, params: ForeignKeysParams) -> Check:
        names = params.tables or sorted(set(ctx.schema.table_names().values()))
        excluded = {e.lower() for e in params.exclude}
        branches = []
        for name in names:
            if name.lower() in excluded:
                continue
            child = ctx.table(name)
            for fk in ctx.schema.foreign_keys(name):
                try:
                    branches.append(_orphans(ctx, child, fk))
                except MissingObject:
                    continue  # a FK to a table this connection cannot see: not ours to judge
        text = sa.String(255)
        if not branches:
            empty = sa.select(
                sa.literal("", text).label("table"),
                sa.literal("", text).label("key_names"),
                sa.literal("", text).label("key"),
                sa.literal("", text).label("detail"),
            ).where(sa.false())
            return Check(query=cast("sa.Select[Any]", empty), table="", key=["key"], message=lambda r: "")
        q = sa.union_all(*branches).subquery("dblint_fk")
        query = sa.select(q.c.table, q.c.key_names, q.c.key, q.c.detail)

        return _FkCheck(
            query=query, table="", key=["key"], message=lambda r: r["detail"], table_column="table"
        )


class _FkCheck(Check):
    """Examples keyed by each table's own primary-key column names (they differ per branch)."""

    def example(self, r: Any) -> Example:
        names = str(r["key_names"]).split(",")
        vals = str(r["key"]).split(",") if len(names) > 1 else [r["key"]]
        return Example(r["table"], dict(zip(names, vals, strict=False)), r["detail"])


def _orphans(ctx: Context, child: sa.Table, fk: dict[str, Any]) -> sa.Select[Any]:
    parent_name = fk["referred_table"]
    parent: Any = ctx.table(parent_name)
    if parent is child:
        parent = parent.alias("dblint_parent")
    cols = [ctx.col(child, c) for c in fk["constrained_columns"]]
    pcols = [ctx.col(parent, c) for c in fk["referred_columns"]]
    exists = sa.exists().where(*[pc == c for c, pc in zip(cols, pcols, strict=True)]).correlate(child)
    pk = list(child.primary_key.columns) or cols
    text = sa.String(255)
    key = _concat([sa.cast(k, text) for k in pk])
    value = _concat([sa.cast(c, text) for c in cols])
    target = f"{parent_name}({', '.join(fk['referred_columns'])})"
    detail = (
        sa.literal(f"{', '.join(c.name for c in cols)} = ", text)
        + value
        + sa.literal(f" has no row in {target}", text)
    )
    key_names = sa.literal(",".join(k.name for k in pk), text)
    return sa.select(
        sa.literal(child.name, text).label("table"),
        key_names.label("key_names"),
        key.label("key"),
        detail.label("detail"),
    ).where(*[c.is_not(None) for c in cols], ~exists)


def _concat(parts: list[sa.ColumnElement[Any]]) -> sa.ColumnElement[Any]:
    out = parts[0]
    for p in parts[1:]:
        out = out + sa.literal(",", sa.String(1)) + p
    return out


@hookimpl
def dblint_kinds() -> list[type[Kind[Any, Any]]]:
    return [ForeignKeys]
