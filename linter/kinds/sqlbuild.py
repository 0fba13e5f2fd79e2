"""SQL builders shared by several kinds (as Ruff keeps a rule family's helpers in one named module):
orphan anti-joins, key concatenation, checks that span tables, deleting rows by primary key,
renaming a table."""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles

from linter.kinds.base import Context, Finding, QueryCheck

TEXT = sa.String(255)


def concat(parts: list[sa.ColumnElement[Any]]) -> sa.ColumnElement[Any]:
    """``a || ',' || b …`` (each dialect's own concatenation)."""
    out = parts[0]
    for p in parts[1:]:
        out = out + sa.literal(",", sa.String(1)) + p
    return out


def is_text(c: Any) -> bool:
    try:
        return c.type.python_type is str
    except NotImplementedError:
        return False


def keyed_finding(r: Any) -> Finding:
    """A row of a UNION ALL over several tables as a finding keyed by that table's own primary-key
    column names (they differ per branch)."""
    names = str(r["key_names"]).split(",")
    vals = str(r["key"]).split(",") if len(names) > 1 else [r["key"]]
    return Finding(r["table"], dict(zip(names, vals, strict=False)), r["detail"])


def union_check(branches: list[sa.Select[Any]]) -> QueryCheck:
    """ONE query for the rows of several (table, key_names, key, detail) branches: a UNION ALL,
    each finding keyed by its own table's primary-key column names."""
    if not branches:
        empty = sa.select(*[sa.literal("", TEXT).label(n) for n in ROW]).where(sa.false())
        branches = [cast("sa.Select[Any]", empty)]
    q = (
        sa.union_all(*branches).subquery("dblint_u")
        if len(branches) > 1
        else branches[0].subquery("dblint_u")
    )
    query = sa.select(*[q.c[n] for n in ROW])
    return QueryCheck(
        query=query,
        table="",
        key=["key"],
        message=lambda r: r["detail"],
        table_column="table",
        finding=keyed_finding,
    )


ROW = ("table", "key_names", "key", "detail")


def row(t: sa.Table, key_cols: list[Any], detail: sa.ColumnElement[Any] | str) -> list[sa.ColumnElement[Any]]:
    """The columns every branch of a :func:`union_check` selects: table, key column names, key
    values, detail."""
    return [
        sa.literal(t.name, TEXT).label("table"),
        sa.literal(",".join(k.name for k in key_cols), TEXT).label("key_names"),
        concat([sa.cast(k, TEXT) for k in key_cols]).label("key"),
        (sa.literal(detail, TEXT) if isinstance(detail, str) else detail).label("detail"),
    ]


def orphans(ctx: Context, child: sa.Table, fk: dict[str, Any]) -> sa.Select[Any]:
    """The rows of ``child`` whose foreign key (``constrained_columns`` → ``referred_table``
    (``referred_columns``)) has no parent row, as one :func:`union_check` branch."""
    parent_name = fk["referred_table"]
    parent: Any = ctx.table(parent_name)
    if parent is child:
        parent = parent.alias("dblint_parent")
    cols = [ctx.col(child, c) for c in fk["constrained_columns"]]
    pcols = [ctx.col(parent, c) for c in fk["referred_columns"]]
    exists = sa.exists().where(*[pc == c for c, pc in zip(cols, pcols, strict=True)]).correlate(child)
    target = f"{parent_name}({', '.join(fk['referred_columns'])})"
    detail = (
        sa.literal(f"{', '.join(c.name for c in cols)} = ", TEXT)
        + concat([sa.cast(c, TEXT) for c in cols])
        + sa.literal(f" has no row in {target}", TEXT)
    )
    return sa.select(*row(child, list(child.primary_key.columns) or cols, detail)).where(
        *[c.is_not(None) for c in cols], ~exists
    )


def delete_by_pk(table: sa.Table, keys: sa.Select[Any]) -> sa.Delete:
    """DELETE the rows of ``table`` whose primary key is among the rows of ``keys`` (a SELECT of
    the key columns, in order). Through a derived table, so MariaDB accepts deleting from a table
    the selection reads."""
    pk = list(table.primary_key.columns)
    doomed = keys.subquery("dblint_doomed")
    if len(pk) == 1:
        cond = pk[0].in_(sa.select(doomed.c[0]))
    else:
        cond = sa.tuple_(*pk).in_(sa.select(*doomed.c))
    return sa.delete(table).where(cond)


class RenameTable(sa.schema.ExecutableDDLElement):
    """``ALTER TABLE <table> RENAME TO <new_name>`` as a fix step (SQLite, PostgreSQL; MariaDB/MySQL
    commit DDL at once, so DDL fixes are unavailable there). Its undo renames it back."""

    inherit_cache = False

    def __init__(self, table: sa.Table, new_name: str) -> None:
        self.table = table
        self.new_name = new_name


@compiles(RenameTable)
def _compile_rename(element: RenameTable, compiler: Any, **kw: Any) -> str:
    prep = compiler.preparer
    return f"ALTER TABLE {prep.format_table(element.table)} RENAME TO {prep.quote(element.new_name)}"
