"""The ``specify_sql`` kind: the built-in ``sql`` kind (its params, fix and :class:`RawSqlCheck`)
plus what Specify's repairs need and plain SQL cannot carry by itself:

- the templates of :mod:`dblint_specify.templating` (``{dataset}``, ``define:``, ``STRLIST``);
- ``requires: [table, table.column]`` skips the rule (with the reason) on databases that lack them,
  e.g. an older Specify without tectonic units;
- ``group:`` and ``message:`` are ``{column}`` templates over each violating row.

Queries are written in portable SQL (all three dialects, lower-case aliases) and are counted in the
database; only ``--max-examples`` rows come back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import field_validator

from dblint_specify import datasets, templating
from linter import Check, Context, Finding, FixStep, Kind, MissingObject
from linter.db import sqltext
from linter.kinds.sql import RawSqlCheck, SqlFix, SqlParams
from linter.kinds.values import jsonable


class SpecSqlParams(SqlParams):
    """The ``sql`` kind's params, plus what Specify's repairs need."""

    group: str = ""  # heading the text report groups examples under, e.g. "Discipline: {discipline}"
    requires: list[str] = []  # tables or table.column that must exist, else the rule is skipped
    define: dict[str, str] = {}  # named sub-queries: {name} in the query and the fix statements

    @field_validator("define")
    @classmethod
    def _reading_definitions(cls, v: dict[str, str]) -> dict[str, str]:
        for name, fragment in v.items():
            problem = sqltext.check_query_problem(fragment)
            if problem:
                raise ValueError(f"{name}: {problem}")
        return v


class SpecSqlFix(SqlFix):
    """The ``sql`` kind's fix: raw statements, vetted the same way."""


def require(ctx: Context, names: Sequence[str]) -> None:
    """MissingObject (→ skipped, with the reason) when a table or column is absent."""
    for n in names:
        table, _, column = n.partition(".")
        t = ctx.table(table)
        if column:
            ctx.col(t, column)


def summary(sql: str) -> str:
    """A fix statement's first words, as ``--diff`` shows it."""
    words = sql.split()
    return " ".join(words[:3]).lower() if words else ""


def _finding(params: SpecSqlParams) -> Callable[[Mapping[str, Any]], Finding]:
    """A row (column names compared case-insensitively) as a finding: ``message`` and ``group`` are
    ``{column}`` templates; without a message, every column as ``name=value``."""

    def finding(r: Mapping[str, Any]) -> Finding:
        row = {k.lower(): v for k, v in r.items()}
        keys = params.key or list(row)[:1]
        msg = params.message or ", ".join(f"{k}={templating.plain(v)}" for k, v in row.items())
        key = {k: jsonable(row.get(k.lower())) for k in keys}
        return Finding(params.table, key, templating.fill(msg, row), templating.fill(params.group, row))

    return finding


class SpecifySql(Kind[SpecSqlParams, SpecSqlFix]):
    name = "specify_sql"
    Params = SpecSqlParams
    Fix = SpecSqlFix

    def title(self, params: SpecSqlParams) -> str:
        return f"Specify query returns no rows{f' from {params.table}' if params.table else ''}"

    def tables(self, params: SpecSqlParams) -> list[str]:
        return sorted({n.partition(".")[0] for n in [params.table, *params.requires] if n})

    def _applies(self, ctx: Context, params: SpecSqlParams) -> None:
        if params.dialects and ctx.dialect not in params.dialects:
            raise MissingObject(f"written for {', '.join(params.dialects)}, not {ctx.dialect}")
        require(ctx, [n for n in [params.table, *params.requires] if n])
        if "{dm_" in params.query + "".join(params.define.values()):
            datasets.datamodel(str(ctx.variables.get("specify_version") or ""))

    def check(self, ctx: Context, params: SpecSqlParams) -> Check:
        self._applies(ctx, params)
        return RawSqlCheck(
            templating.expand(params.query, ctx, params.define),
            _finding(params),
            table=params.table,
            key=params.key,
            dialects=params.dialects,
        )

    def fix(self, ctx: Context, params: SpecSqlParams, fix: SpecSqlFix) -> list[FixStep]:
        self._applies(ctx, params)
        return [FixStep(templating.expand(s, ctx, params.define), None, summary(s)) for s in fix.statements]
