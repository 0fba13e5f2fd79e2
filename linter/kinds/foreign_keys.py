"""``foreign_keys``: every declared foreign key holds, in every table (or those listed).

Databases do not always enforce their own foreign keys: SQLite only with ``PRAGMA foreign_keys=ON``,
MariaDB not while ``FOREIGN_KEY_CHECKS=0`` (dumps, hand repairs). The orphans of all foreign keys are
found with ONE query: a UNION ALL of one anti-join per foreign key. One violation is one orphan row."""

from __future__ import annotations

from typing import Any

from linter.errors import MissingObject
from linter.hookspecs import hookimpl
from linter.kinds import sqlbuild
from linter.kinds.base import Check, Context, Kind, Params


class ForeignKeysParams(Params):
    tables: list[str] = []  # default: every table
    exclude: list[str] = []


class ForeignKeys(Kind[ForeignKeysParams, Any]):
    name = "foreign_keys"
    cost = 3
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
                    branches.append(sqlbuild.orphans(ctx, child, fk))
                except MissingObject:
                    continue  # a FK to a table this connection cannot see: not ours to judge
        return sqlbuild.union_check(branches)


@hookimpl
def dblint_kinds() -> list[type[Kind[Any, Any]]]:
    return [ForeignKeys]
