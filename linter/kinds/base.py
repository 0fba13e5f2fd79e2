"""What a check kind is: params → a :class:`Check` of violations; fix → set-based DML steps.

Every check, whatever its shape, answers the same four questions (the *check contract*): the exact
number of violations, a bounded list of examples, every violation one page at a time (baselines,
suppressions by table or key), and count with examples together (what a check run asks). Three
shapes implement it:

- :class:`QueryCheck`: ONE SQLAlchemy Core SELECT whose rows are the violations. Only this shape
  lets the planner share a table scan between rules, split a grouping over connections or count and
  fetch examples in one query, because only here dblint can see the query.
- :class:`ComputedCheck`: violations computed in Python from small inputs (migration files, the
  catalog), as a list.
- :class:`DeferredCheck`: a check that needs the rule's connection to be built (its query depends
  on rows it must read first); it forwards every question to the check it builds.

A kind may subclass :class:`Check` itself (the ``sql`` kind does, for raw SQL text).
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Literal, NamedTuple, TypeVar, cast

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


@dataclass(frozen=True)
class Finding:
    """One violation: the table it is in, the key that names it (baselines, suppressions) and a
    message saying what is wrong."""

    table: str
    key: dict[str, Any]
    message: str
    # Optional heading the text report groups consecutive findings under ("Discipline: Botany (id=3)").
    group: str = ""


Example = Finding  # the name packs used before 0.2


class Counted(NamedTuple):
    """What a check run asks of a check: the exact count and the first examples."""

    total: int
    examples: list[Finding]
    how: str = ""  # how it was computed, shown by --timings ("count+examples in one query")


class Check(ABC):
    """The violations of one rule. Subclasses answer :meth:`count`, :meth:`examples` and
    :meth:`stream`; :meth:`count_and_examples` is what a check run calls."""

    table: str  # the table findings are in, unless each finding says
    key: Sequence[str]  # the names that identify a finding

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        # Check(query=…, …) is how packs wrote a query check before the shapes were split.
        return super().__new__(QueryCheck if cls is Check else cls)

    @abstractmethod
    def count(self, conn: Connection) -> int:
        """The exact number of violations."""

    @abstractmethod
    def examples(self, conn: Connection, limit: int) -> list[Finding]:
        """At most ``limit`` violations, in a stable order."""

    @abstractmethod
    def stream(self, conn: Connection, page: int = 1000) -> Iterator[Finding]:
        """EVERY violation, read ``page`` at a time, so memory stays bounded however many there are."""

    def count_and_examples(self, conn: Connection, limit: int) -> Counted:
        n = self.count(conn)
        return Counted(n, self.examples(conn, limit) if n and limit > 0 else [])


@dataclass
class QueryCheck(Check):
    """The violations of one rule as ONE query: each row of ``query`` is one violation.

    ``key`` names the labels of ``query`` that identify a violation (shown in reports and used by
    baselines); ``message`` renders one row. ``scan`` (table, condition), when set, says the
    violations are exactly the rows of one table meeting one condition, so the planner may count
    them in a shared scan with other rules on that table (``scan_if``: only when a cheap query says so).
    ``probe`` is an optional cheap test for
    "no violations at all". ``finding`` replaces the default row → :class:`Finding` (e.g. when the
    key's column names are themselves in the row).
    """

    query: sa.Select[Any]
    table: str
    key: Sequence[str]
    message: Callable[[Mapping[str, Any]], str]
    count_query: sa.Select[Any] | None = None
    scan: tuple[sa.Table, sa.ColumnElement[bool]] | None = None
    table_column: str | None = None  # when violations span tables: the label holding each row's table
    # A cheaper query whose scalar is 0 exactly when there are no violations: run first, and the
    # full query only when it is non-zero (``unique``: COUNT(c) - COUNT(DISTINCT c)).
    probe: sa.Select[Any] | None = None
    # An integer expression of the violation's key: rows that differ in it are never part of one
    # violation, so the planner may split ``query`` into parts by its value modulo n and run the
    # parts on separate connections (``unique``: a grouping uses one core; its halves use two).
    split_on: sa.ColumnElement[Any] | None = None
    finding: Callable[[Mapping[str, Any]], Finding] | None = None
    # With ``scan``: a cheap query whose scalar says whether the condition is cheap per row here (e.g.
    # the values it looks up are few). The rule then joins its table's shared scan only when the
    # table has an unconditional scan rule too and this says yes; otherwise it runs alone.
    scan_if: sa.Select[Any] | None = None

    def __hash__(self) -> int:  # checks are keys of the planner's maps: identity, not value
        return id(self)

    def example(self, row: Mapping[str, Any]) -> Finding:
        """One row of ``query`` as a reported violation (table, key, message)."""
        if self.finding is not None:
            return self.finding(row)
        return Finding(
            row[self.table_column] if self.table_column else self.table,
            {k: values.jsonable(row[k]) for k in self.key},
            self.message(row),
        )

    def count(self, conn: Connection) -> int:
        q = self.count_query
        if q is None:
            q = count_of(self.query)
        return int(conn.execute(q).scalar_one())

    def examples(self, conn: Connection, limit: int) -> list[Finding]:
        if limit <= 0:
            return []
        rows = (
            conn.execute(ordered(self.query, [self.table_column or "", *self.key]).limit(limit))
            .mappings()
            .fetchmany(limit)
        )
        return [self.example(cast("Mapping[str, Any]", r)) for r in rows]

    def stream(self, conn: Connection, page: int = 1000) -> Iterator[Finding]:
        # Ordered by the labelled expressions, not through a derived table, which MariaDB refuses
        # when labels differ only in case ("Duplicate column name"). Per statement:
        # Connection.execution_options() would change the connection itself.
        query = ordered(self.query, [self.table_column or "", *self.key])
        result = conn.execute(query, execution_options={"yield_per": page})
        for part in result.mappings().partitions(page):
            for row in part:
                yield self.example(cast("Mapping[str, Any]", row))

    @property
    def windowable(self) -> bool:
        """Whether the query can be wrapped in a derived table to count it beside its examples:
        labels must differ case-insensitively (MariaDB: "Duplicate column name" for
        UserGroupScopeId beside UserGroupScopeID)."""
        labels = [str(k).lower() for k in self.query.selected_columns.keys()]
        return len(labels) == len(set(labels))

    def count_and_examples(self, conn: Connection, limit: int) -> Counted:
        if self.probe is not None and not conn.execute(self.probe).scalar():
            return Counted(0, [], "cheap probe found none")
        if not self.windowable and not self._top_level(conn):
            return Counted(*super().count_and_examples(conn, limit)[:2], "count, then examples")
        return self.windowed(conn, limit)

    def _top_level(self, conn: Connection) -> bool:
        """MariaDB: the window goes beside the query's own columns, not around it: MariaDB turns
        NOT EXISTS into a materialized anti-join only at a query's top level, not inside a derived
        table (bench/ 1e6, BENCH007: 2.35 s wrapped, 0.65 s + 0.33 s to count and then fetch the
        examples, about as much in one top-level query). Only for a plain SELECT: a window would
        be computed before DISTINCT, LIMIT or OFFSET."""
        q = self.query
        return (
            conn.dialect.name in ("mysql", "mariadb")
            and isinstance(q, sa.Select)
            and not q._distinct
            and q._limit_clause is None
            and q._offset_clause is None
        )

    def windowed(self, conn: Connection, limit: int, where: sa.ColumnElement[bool] | None = None) -> Counted:
        """Count and the first ``limit`` examples in one query (of the rows meeting ``where``): the
        database computes the violating rows once and the total rides along on every returned row.

        PostgreSQL: a MATERIALIZED CTE counted by a scalar subquery, because with ``COUNT(*) OVER ()``
        beside LIMIT its planner picks a fast-start (sort-based) plan that is slower to finish
        (bench/ 1e6: 1.3 s instead of 1.9 s for the scoped unique rule). MariaDB: the window beside the
        query's columns (:meth:`_top_level`). SQLite: the window over the query as a derived table."""
        query = self.query if where is None else self.query.where(where)
        k = max(1, limit)
        labels = [c for c in [self.table_column or "", *self.key] if c]
        if conn.dialect.name == "postgresql":
            v = query.cte("dblint_v").prefix_with("MATERIALIZED")
            total = sa.select(sa.func.count()).select_from(v).scalar_subquery().label("dblint_total")
            q = sa.select(v, total).order_by(*[v.c[c] for c in labels]).limit(k)
        elif self._top_level(conn):
            # Ordered as examples() orders them (a window is computed before ORDER BY and LIMIT).
            total = sa.func.count().over().label("dblint_total")
            q = ordered(query, labels).add_columns(total).limit(k)
        else:
            sub = query.subquery("dblint_v")
            total = sa.func.count().over().label("dblint_total")
            # Ordered as examples() orders them: the same examples on every run and dialect.
            q = sa.select(sub, total).order_by(*[sub.c[c] for c in labels]).limit(k)
        rows = conn.execute(q).mappings().fetchmany(k)
        if not rows:
            return Counted(0, [], "count+examples in one query")
        examples = [self.example(cast("Mapping[str, Any]", r)) for r in rows[: max(0, limit)]]
        return Counted(int(rows[0]["dblint_total"]), examples, "count+examples in one query")


class ComputedCheck(Check):
    """Violations computed in Python from small inputs (migration files, the bookkeeping table,
    the catalog) rather than one row query. ``compute(conn)`` runs inside the rule's read-only
    transaction and returns every violation; count, examples and stream all come from it (computed
    once per connection)."""

    def __init__(
        self,
        compute: Callable[[Connection], Iterable[Finding]],
        table: str = "",
        key: Sequence[str] = (),
    ) -> None:
        self.compute = compute
        self.table = table
        self.key = key
        self._found: tuple[int, list[Finding]] | None = None

    def findings(self, conn: Connection) -> list[Finding]:
        if self._found is None or self._found[0] != id(conn):
            self._found = (id(conn), list(self.compute(conn)))
        return self._found[1]

    def count(self, conn: Connection) -> int:
        return len(self.findings(conn))

    def examples(self, conn: Connection, limit: int) -> list[Finding]:
        return self.findings(conn)[: max(0, limit)]

    def stream(self, conn: Connection, page: int = 1000) -> Iterator[Finding]:
        return iter(self.findings(conn))

    def count_and_examples(self, conn: Connection, limit: int) -> Counted:
        found = self.findings(conn)
        return Counted(len(found), found[: max(0, limit)], "computed")


class DeferredCheck(Check):
    """A check whose query needs the rule's connection to be built (e.g. the target schema of a
    Django project depends on the rows of django_migrations): built on first use, then asked."""

    def __init__(self, build: Callable[[Connection], Check]) -> None:
        self.build = build
        self._inner: tuple[int, Check] | None = None

    def inner(self, conn: Connection) -> Check:
        if self._inner is None or self._inner[0] != id(conn):
            self._inner = (id(conn), self.build(conn))
        return self._inner[1]

    def count(self, conn: Connection) -> int:
        return self.inner(conn).count(conn)

    def examples(self, conn: Connection, limit: int) -> list[Finding]:
        return self.inner(conn).examples(conn, limit)

    def stream(self, conn: Connection, page: int = 1000) -> Iterator[Finding]:
        return self.inner(conn).stream(conn, page)

    def count_and_examples(self, conn: Connection, limit: int) -> Counted:
        return self.inner(conn).count_and_examples(conn, limit)


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
    # Rough relative cost of one rule's check, so the heaviest start first (they bound the wall
    # time with --jobs): 1 a catalog read or an indexed probe, 2 one scan, 3 an anti-join, 4 a grouping.
    cost: ClassVar[int] = 2

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
