"""``primary_key``: every table has a primary key. Without one, duplicates cannot be told apart,
replication and many fixes (keep-one de-duplication) cannot name a row. A schema check: it reads
the catalog (one multi-table reflection query where the dialect has one), never the rows."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from linter.hookspecs import hookimpl
from linter.kinds.base import Check, ComputedCheck, Context, Finding, Kind, Params


class PrimaryKeyParams(Params):
    exclude: list[str] = []


class PrimaryKey(Kind[PrimaryKeyParams, Any]):
    name = "primary_key"
    cost = 1
    Params = PrimaryKeyParams

    def title(self, params: PrimaryKeyParams) -> str:
        return "every table has a primary key"

    def check(self, ctx: Context, params: PrimaryKeyParams) -> Check:
        excluded = {e.lower() for e in params.exclude}
        schema = ctx.schema.schema

        def compute(conn: Connection) -> list[Finding]:
            insp = sa.inspect(conn)
            tables = set(insp.get_table_names(schema=schema))
            pks = insp.get_multi_pk_constraint(schema=schema)
            return [
                Finding(name, {"table": name}, "table has no primary key")
                for (_schema, name), pk in sorted(pks.items(), key=lambda kv: kv[0][1])
                if name in tables and name.lower() not in excluded and not pk.get("constrained_columns")
            ]

        return ComputedCheck(compute, key=["table"])


@hookimpl
def dblint_kinds() -> list[type[Kind[Any, Any]]]:
    return [PrimaryKey]
