"""``sql``: a raw query whose rows are the violations: the escape hatch for what other kinds cannot
say. ``:name`` in the query binds the variable ``name`` (a parameter, never spliced into the text).

A SELECT (or WITH … SELECT) is counted in the database and only ``--max-examples`` rows come back;
any other statement is run as it is, so the read-only transaction of ``check`` refuses writes.

Fix: ``statements``, raw statements run in order inside the fix transaction."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, cast

import sqlalchemy as sa
from pydantic import Field, field_validator
from sqlalchemy.engine import Connection

from linter.db import sqltext
from linter.errors import RuleError
from linter.hookspecs import hookimpl
from linter.kinds.base import Check, Context, Example, FixModel, FixStep, Kind, Params, fmt
from linter.kinds.values import jsonable

_SELECT = re.compile(r"^\s*(\(\s*)*(select|with|values)\b", re.IGNORECASE)
_DDL_WORDS = frozenset(
    {
        "create",
        "alter",
        "drop",
        "truncate",
        "rename",
        "grant",
        "revoke",
        "comment",
        "analyze",
        "optimize",
        "repair",
    }
)
_BIND = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")


class SqlParams(Params):
    query: str = Field(min_length=1)
    key: list[str] = []
    table: str = ""
    message: str = ""
    dialects: list[str] = []  # e.g. [sqlite, postgresql, mysql]; other dialects skip the rule

    @field_validator("query")
    @classmethod
    def _one_reading_statement(cls, v: str) -> str:
        problem = sqltext.check_query_problem(v)
        if problem:
            raise ValueError(problem)
        return v


class SqlFix(FixModel):
    statements: list[str] = Field(min_length=1)

    @field_validator("statements")
    @classmethod
    def _no_transaction_control(cls, v: list[str]) -> list[str]:
        for i, stmt in enumerate(v):
            problem = sqltext.fix_statement_problem(stmt)
            if problem:
                raise ValueError(f"statement {i + 1} {problem}")
        return v


def is_ddl(statement: str) -> bool:
    return sqltext.leading_keyword(statement) in _DDL_WORDS


def _text(query: str, variables: Mapping[str, Any]) -> sa.TextClause:
    t = sa.text(query)
    names = set(_BIND.findall(query))
    missing = names - set(variables)
    if missing:
        raise RuleError(f"the query uses :{', :'.join(sorted(missing))}, which no variable defines")
    return t.bindparams(**{n: variables[n] for n in names}) if names else t


class RawCheck(Check):
    """A check over raw SQL: counted by wrapping a SELECT, or by paging through any other result."""

    def __init__(self, query: str, variables: Mapping[str, Any], params: SqlParams) -> None:
        self.raw = query.strip().rstrip(";")
        self.variables = variables
        self.params = params
        super().__init__(query=None, table=params.table, key=params.key, message=lambda r: "")  # type: ignore[arg-type]

    def _select(self) -> bool:
        return bool(_SELECT.match(self.raw))

    def count(self, conn: Connection) -> int:
        if self._select():
            wrapped = f"SELECT COUNT(*) FROM ({self.raw}) AS dblint_q"
            try:
                with conn.begin_nested():
                    return int(conn.execute(_text(wrapped, self.variables)).scalar_one())
            except sa.exc.DBAPIError as exc:
                # PostgreSQL refuses a data-modifying WITH inside a subquery before the read-only
                # transaction can: run it as written, so the refusal names the real reason.
                if "must be at the top level" not in str(exc.orig):
                    raise
        result = conn.execute(_text(self.raw, self.variables))
        if not result.returns_rows:
            return 0
        n = 0
        while chunk := result.fetchmany(1000):
            n += len(chunk)
        return n

    def example(self, r: Mapping[str, Any]) -> Example:
        lowered = {k.lower(): v for k, v in r.items()}
        keys = self.params.key or list(r.keys())[:1]
        key = {k: jsonable(r[k] if k in r else lowered.get(k.lower())) for k in keys}
        if self.params.message:
            msg = self.params.message
            for k, v in r.items():
                msg = msg.replace("{" + k + "}", fmt(v))
        else:
            msg = ", ".join(f"{k}={fmt(v)}" for k, v in r.items())
        return Example(self.params.table, key, msg)

    def examples(self, conn: Connection, limit: int) -> list[Example]:
        if limit <= 0 or not self._select():
            return []
        q = f"SELECT * FROM ({self.raw}) AS dblint_q"
        rows = conn.execute(_text(q, self.variables)).mappings().fetchmany(limit)
        return [self.example(cast("Mapping[str, Any]", r)) for r in rows]

    def stream(self, conn: Connection, page: int = 1000) -> Iterator[Example]:
        # Raw SQL keeps its own row order; every row is one violation, read a page at a time.
        q = f"SELECT * FROM ({self.raw}) AS dblint_q" if self._select() else self.raw
        result = conn.execute(_text(q, self.variables), execution_options={"yield_per": page})
        if not result.returns_rows:
            return
        for part in result.mappings().partitions(page):
            for r in part:
                yield self.example(cast("Mapping[str, Any]", r))


class Sql(Kind[SqlParams, SqlFix]):
    name = "sql"
    Params = SqlParams
    Fix = SqlFix

    def title(self, params: SqlParams) -> str:
        return f"query returns no rows{f' from {params.table}' if params.table else ''}"

    def tables(self, params: SqlParams) -> list[str]:
        return [params.table] if params.table else []

    def _applies(self, ctx: Context, params: SqlParams) -> None:
        from linter.errors import MissingObject

        if params.dialects and ctx.dialect not in params.dialects:
            raise MissingObject(f"written for {', '.join(params.dialects)}, not {ctx.dialect}")
        if params.table:
            ctx.table(params.table)  # skipped, not an error, where the table is absent

    def check(self, ctx: Context, params: SqlParams) -> Check:
        self._applies(ctx, params)
        return RawCheck(params.query, ctx.variables, params)

    def fix(self, ctx: Context, params: SqlParams, fix: SqlFix) -> list[FixStep]:
        self._applies(ctx, params)
        return [FixStep(_text(s, ctx.variables), None, s.strip()) for s in fix.statements]


@hookimpl
def dblint_kinds() -> list[type[Kind[Any, Any]]]:
    return [Sql]
