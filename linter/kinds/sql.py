"""``sql``: a raw query whose rows are the violations: the escape hatch for what other kinds cannot
say. ``:name`` in the query binds the variable ``name`` (a parameter, never spliced into the text).

A SELECT (or WITH … SELECT) is counted in the database and only ``--max-examples`` rows come back;
any other statement is run as it is, so the read-only transaction of ``check`` refuses writes.

Fix: ``statements``, raw statements run in order inside the fix transaction."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, cast

import sqlalchemy as sa
from pydantic import Field, ValidationInfo, field_validator
from sqlalchemy.engine import Connection

from linter.db import sqltext
from linter.errors import RuleError
from linter.hookspecs import hookimpl
from linter.kinds.base import Check, Context, Finding, FixModel, FixStep, Kind, Params, fmt
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
    # Before `query`: the query is vetted as each dialect the rule may run on reads it.
    dialects: list[str] = []  # e.g. [sqlite, postgresql, mysql]; other dialects skip the rule
    query: str = Field(min_length=1)
    key: list[str] = []
    table: str = ""
    message: str = ""

    @field_validator("query")
    @classmethod
    def _one_reading_statement(cls, v: str, info: ValidationInfo) -> str:
        dialects = info.data.get("dialects") or ()
        problem = sqltext.check_query_problem(v, dialects)
        if not problem and bare(v) != v.strip():  # what runs: see RawSqlCheck
            problem = sqltext.check_query_problem(bare(v), dialects)
            problem = problem and f"without its comments (as dblint runs it) {problem}"
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


_ORDER = re.compile(r"\sORDER\s+BY\s+([\w.]+(?:\s*,\s*[\w.]+)*)\s*$", re.IGNORECASE)


def bare(sql: str) -> str:
    """The statement without trailing semicolons and comments, so wrapping it in a derived table
    cannot be swallowed by a ``-- comment`` or broken by a ``;``."""
    return sqltext.without_comments(sql).strip().rstrip(";").strip()


class RawSqlCheck(Check):
    """The rows of one raw query (a ``TextClause`` with its bound variables): a SELECT, WITH …
    SELECT or VALUES is counted in the database by wrapping it, and only ``limit`` rows come back;
    anything else (a reading PRAGMA) is read a page at a time. ``finding`` renders one row."""

    def __init__(
        self,
        clause: sa.TextClause,
        finding: Callable[[Mapping[str, Any]], Finding],
        *,
        table: str = "",
        key: Sequence[str] = (),
        dialects: Sequence[str] = (),
    ) -> None:
        self.clause = clause
        self.finding = finding
        self.table = table
        self.key = key
        self.raw = bare(clause.text)
        if self.raw != clause.text.strip():
            # What runs is the text without its comments: vet that text too, so a comment that a
            # server reads differently from the stripping (PostgreSQL nests /* */) cannot turn
            # vetted comment text into code.
            problem = sqltext.check_query_problem(self.raw, dialects)
            if problem:
                raise RuleError(f"the query as dblint runs it (comments removed) {problem}")

    def _select(self) -> bool:
        return bool(_SELECT.match(self.raw))

    def _wrap(self, outer: str) -> sa.TextClause:
        # The newline keeps a comment inside the statement from swallowing the closing parenthesis.
        wrapped = sa.text(outer.format(f"({self.raw}\n) dblint_q"))
        binds = {k: v.value for k, v in self.clause._bindparams.items()}
        return wrapped.bindparams(**binds) if binds else wrapped

    def _rows(self) -> sa.TextClause:
        # A derived table loses its ORDER BY (MariaDB drops it): re-apply a trailing one outside.
        m = _ORDER.search(self.raw)
        order = ", ".join(f"dblint_q.{c.strip().split('.')[-1]}" for c in m.group(1).split(",")) if m else ""
        return self._wrap("SELECT * FROM {}" + (f" ORDER BY {order}" if order else ""))

    def count(self, conn: Connection) -> int:
        if self._select():
            try:
                with conn.begin_nested():
                    return int(conn.execute(self._wrap("SELECT COUNT(*) FROM {}")).scalar_one())
            except sa.exc.DBAPIError as exc:
                # PostgreSQL refuses a data-modifying WITH inside a subquery before the read-only
                # transaction can: run it as written, so the refusal names the real reason.
                if "must be at the top level" not in str(exc.orig):
                    raise
        return sum(1 for _ in self._all(conn, 1000, wrapped=False))

    def examples(self, conn: Connection, limit: int) -> list[Finding]:
        if limit <= 0:
            return []
        if not self._select():
            out = []
            for f in self._all(conn, limit):
                out.append(f)
                if len(out) >= limit:
                    break
            return out
        rows = conn.execute(self._rows()).mappings().fetchmany(limit)
        return [self.finding(cast("Mapping[str, Any]", r)) for r in rows]

    def stream(self, conn: Connection, page: int = 1000) -> Iterator[Finding]:
        return self._all(conn, page)

    def _all(self, conn: Connection, page: int, wrapped: bool = True) -> Iterator[Finding]:
        if wrapped and self._select():
            result = conn.execute(self._rows(), execution_options={"yield_per": page})
        else:  # a server-side cursor takes only a SELECT: page through the plain result
            result = conn.execute(self.clause)
        if not result.returns_rows:
            return
        for part in result.mappings().partitions(page):
            for r in part:
                yield self.finding(cast("Mapping[str, Any]", r))


def _finding(params: SqlParams) -> Callable[[Mapping[str, Any]], Finding]:
    def finding(r: Mapping[str, Any]) -> Finding:
        lowered = {k.lower(): v for k, v in r.items()}
        keys = params.key or list(r.keys())[:1]
        key = {k: jsonable(r[k] if k in r else lowered.get(k.lower())) for k in keys}
        if params.message:
            msg = params.message
            for k, v in r.items():
                msg = msg.replace("{" + k + "}", fmt(v))
        else:  # the columns the key does not already show; none left: the report shows the title
            named = {k.lower() for k in keys}
            msg = ", ".join(f"{k}={fmt(v)}" for k, v in r.items() if k.lower() not in named)
        return Finding(params.table, key, msg)

    return finding


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
        return RawSqlCheck(
            _text(params.query, ctx.variables),
            _finding(params),
            table=params.table,
            key=params.key,
            dialects=params.dialects,
        )

    def fix(self, ctx: Context, params: SqlParams, fix: SqlFix) -> list[FixStep]:
        self._applies(ctx, params)
        return [FixStep(_text(s, ctx.variables), None, s.strip()) for s in fix.statements]


@hookimpl
def dblint_kinds() -> list[type[Kind[Any, Any]]]:
    return [Sql]
