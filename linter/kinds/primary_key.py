"""``primary_key``: every table has a primary key. Without one, duplicates cannot be told apart,
replication and many fixes (keep-one de-duplication) cannot name a row. A schema check: it reads
the catalog (one multi-table reflection query where the dialect has one), never the rows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy.engine import Connection

from linter.hookspecs import hookimpl
from linter.kinds.base import Check, Context, Example, Kind, Params


class PrimaryKeyParams(Params):
    exclude: list[str] = []


class CatalogCheck(Check):
    """Violations computed from the catalog: a fixed list, no row query."""

    def __init__(self, found: list[Example]) -> None:
        super().__init__(query=None, table="", key=["table"], message=lambda r: "")  # type: ignore[arg-type]
        self.found = found

    def count(self, conn: Connection) -> int:
        return len(self.found)

    def examples(self, conn: Connection, limit: int) -> list[Example]:
        return self.found[:limit]

    def stream(self, conn: Connection, page: int = 1000) -> Iterator[Example]:
        return iter(self.found)


class PrimaryKey(Kind[PrimaryKeyParams, Any]):
    name = "primary_key"
    Params = PrimaryKeyParams

    def title(self, params: PrimaryKeyParams) -> str:
        return "every table has a primary key"

    def check(self, ctx: Context, params: PrimaryKeyParams) -> Check:
        excluded = {e.lower() for e in params.exclude}
        insp = ctx.schema.inspector()
        tables = set(insp.get_table_names(schema=ctx.schema.schema))
        pks = insp.get_multi_pk_constraint(schema=ctx.schema.schema)
        found = [
            Example(name, {"table": name}, "table has no primary key")
            for (_schema, name), pk in sorted(pks.items(), key=lambda kv: kv[0][1])
            if name in tables and name.lower() not in excluded and not pk.get("constrained_columns")
        ]
        return CatalogCheck(found)


@hookimpl
def dblint_kinds() -> list[type[Kind[Any, Any]]]:
    return [PrimaryKey]
