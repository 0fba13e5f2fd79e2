"""What a check kind is: params → one set-based query of violating rows; fix → DML steps."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Literal, TypeVar, cast

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Connection

from linter.db import Schema
from linter.kinds import values


class Params(BaseModel):
    """Base of every kind's params model: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


class FixModel(BaseModel):
    """Base of every kind's fix block. ``handler`` names a Python fix handler
    (``dblint_fix_handlers``) that replaces the kind's own fix."""

    model_config = ConfigDict(extra="forbid", defer_build=True)
    safety: Literal["safe", "unsafe"] = "unsafe"
    handler: str | None = None
    # Rows this fix deletes are first copied to dblint_quarantine_<table> (see linter.fix.quarantine).
    quarantine: bool = False


class HandlerFix(FixModel):
    """A fix block that only names a handler (kinds without a fix of their own accept it)."""

    model_config = ConfigDict(extra="allow")


P = TypeVar("P", bound=Params)
F = TypeVar("F", bound=FixModel)


@dataclass
class Context:
    """What a kind may use to build its queries. Kinds never execute anything themselves."""

    schema: Schema
    variables: Mapping[str, Any] = field(default_factory=dict)
    rule_id: str = ""
    # The run's configuration (linter.load.config.Config) for kinds that read the project around the
    # database (migration files, models); None when the run has none (tests, library use).
    config: Any = None
    # One dict per run, shared by every rule's context: kinds cache work several rules need
    # (a migration graph, a model schema) here. Guard writes with ``cache_lock`` (--jobs threads).
    cache: dict[str, Any] = field(default_factory=dict)
    cache_lock: Any = field(default_factory=threading.RLock)

    @property
    def dialect(self) -> str:
        return self.schema.dialect

    def table(self, name: str) -> sa.Table:
        return self.schema.table(name)

    def col(self, table: sa.Table | str, name: str) -> sa.Column[Any]:
        return self.schema.column(table, name)

    def filters(
        self,
        table: sa.Table,
        filters: Mapping[str, Any] | None,
        *,
        row: Callable[[str], sa.ColumnElement[Any]] | None = None,
        null_safe: bool = False,
    ) -> list[sa.ColumnElement[bool]]:
        return values.conditions(
            table, filters, column=self.col, variables=self.variables, row=row, null_safe=null_safe
        )

    def value(
        self, value: Any, *, row: Callable[[str], sa.ColumnElement[Any]] | None = None, type_: Any = None
    ) -> sa.ColumnElement[Any]:
        return values.expr(value, variables=self.variables, row=row, type_=type_)


@dataclass
class Example:
    table: str
    key: dict[str, Any]
    message: str
    # Optional heading the text report groups consecutive examples under (e.g. "Discipline: Botany (id=3)").
    group: str = ""


@dataclass
class Check:
    """The violations of one rule as ONE query: each row of ``query`` is one violation.

    ``key`` names the labels of ``query`` that identify a violation (shown in reports and used by
    baselines); ``message`` renders one row. ``scan`` (table, condition), when set, says the
    violations are exactly the rows of one table meeting one condition, so the planner may count
    them in a shared scan with other rules on that table. ``probe`` is an optional cheap test for
    "no violations at all".
    """

    query: sa.Select[Any]
    table: str
    key: Sequence[str]
    message: Callable[[Mapping[str, Any]], str]
    count_query: sa.Select[Any] | None = None
    scan: tuple[sa.Table, sa.ColumnElement[bool]] | None = None
    table_column: str | None = None  # when violations span tables: the label holding each row's table
    # A cheaper query whose scalar is 0 exactly when there are no violations: the planner runs it
    # first and the full query only when it is non-zero (``unique``: COUNT(c) - COUNT(DISTINCT c)).
    probe: sa.Select[Any] | None = None
    # An integer expression of the violation's key: rows that differ in it are never part of one
    # violation, so the planner may split ``query`` into parts by its value modulo n and run the
    # parts on separate connections (``unique``: a grouping uses one core; its halves use two).
    split_on: sa.ColumnElement[Any] | None = None

    def count(self, conn: Connection) -> int:
        q = self.count_query
        if q is None:
            q = sa.select(sa.func.count()).select_from(self.query.order_by(None).subquery("dblint_v"))
        return int(conn.execute(q).scalar_one())

    def example(self, row: Mapping[str, Any]) -> Example:
        """One row of ``query`` as a reported violation (table, key, message)."""
        return Example(
            row[self.table_column] if self.table_column else self.table,
            {k: values.jsonable(row[k]) for k in self.key},
            self.message(row),
        )

    def examples(self, conn: Connection, limit: int) -> list[Example]:
        if limit <= 0:
            return []
        rows = (
            conn.execute(ordered(self.query, [self.table_column or "", *self.key]).limit(limit))
            .mappings()
            .fetchmany(limit)
        )
        return [self.example(cast("Mapping[str, Any]", r)) for r in rows]

    def stream(self, conn: Connection, page: int = 1000) -> Iterator[Example]:
        """EVERY violation, fetched ``page`` rows at a time in a stable order (table, key), so
        memory stays bounded however many there are (baselines and suppressions use this)."""
        sub = self.query.order_by(None).subquery("dblint_all")
        order = [sub.c[self.table_column]] if self.table_column else []
        order += [sub.c[k] for k in self.key]
        # per statement: Connection.execution_options() would change the connection itself
        result = conn.execute(sa.select(sub).order_by(*order), execution_options={"yield_per": page})
        for part in result.mappings().partitions(page):
            for row in part:
                yield self.example(cast("Mapping[str, Any]", row))


@dataclass
class FixStep:
    """One set-based statement of a fix, and (for ``--diff``) a query counting the rows it touches."""

    statement: sa.Executable
    rows: sa.Select[Any] | None = None
    summary: str = ""

    def count(self, conn: Connection) -> int | None:
        if self.rows is None:
            return None
        return int(conn.execute(self.rows).scalar_one())


class Kind(Generic[P, F]):
    """A check kind. Subclasses set ``name``, ``Params`` (and ``Fix`` if they can fix) and
    implement :meth:`check` (and :meth:`fix`)."""

    name: ClassVar[str]
    Params: ClassVar[type[Params]]
    Fix: ClassVar[type[FixModel] | None] = None

    def title(self, params: P) -> str:
        return self.name

    def check(self, ctx: Context, params: P) -> Check:
        raise NotImplementedError

    def fix(self, ctx: Context, params: P, fix: F) -> list[FixStep]:
        raise NotImplementedError(f"kind {self.name} has no fix")

    def tables(self, params: P) -> list[str]:
        """Tables the rule reads (for planning and for pre-commit's "which rules can run here")."""
        return []

    def guaranteed(self, ctx: Context, params: P) -> str | None:
        """The database constraint that makes this rule pass whatever the data (e.g. ``NOT NULL on
        t.c``), or None. The planner then reports the rule as passing without running its query;
        only return constraints the database enforces on every stored row (see linter.db.constraints)."""
        return None


def ordered(query: sa.Select[Any], labels: Sequence[str]) -> sa.Select[Any]:
    """``query`` ordered by the given output labels (those it has), so the examples a report shows
    are the same on every run and every dialect, whatever plan the database chose. Orders by the
    labelled expressions themselves, not by wrapping the query: a subquery would refuse labels that
    differ only in case on MariaDB ("Duplicate column name")."""
    cols = query.selected_columns
    exprs = []
    for k in labels:
        if k and k in cols:
            c = cols[k]
            exprs.append(c.element if isinstance(c, sa.sql.elements.Label) else c)
    return query.order_by(None).order_by(*exprs) if exprs else query


def count_of(select: sa.Select[Any]) -> sa.Select[Any]:
    return sa.select(sa.func.count()).select_from(select.order_by(None).subquery("dblint_n"))


def fmt(value: Any) -> str:
    return "NULL" if value is None else repr(value) if isinstance(value, str) else str(value)
