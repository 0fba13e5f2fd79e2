"""Every fix of a run, built before anything is written.

For each failing rule that has a fix, the kind (or the named handler) builds its steps on a
read-only connection, and each step's target is checked against the catalog: the tables and the
columns it writes must exist. A fix that cannot be built here (a missing table or column, a raw
statement MariaDB would commit at once, an empty fix, a rule with table/key suppressions) is
*unavailable*, with the reason; the rule is still reported and the other fixes go ahead. Nothing a
missing object causes is ever an "internal error", and nothing is discovered inside the write
transaction that could have been known before it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from linter.check.outcome import bug, explain
from linter.db import sqltext
from linter.errors import MissingObject, RuleError
from linter.kinds.base import FixStep
from linter.load.rules import Rule
from linter.targets.target import Target

Handler = Callable[..., list[FixStep]]

# Statements MariaDB/MySQL commit implicitly: a fix holding one could be half-applied.
DDL_WORDS = frozenset(
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


@dataclass(frozen=True)
class RuleFix:
    """One rule's fix, built: the statements to run, in order."""

    rule: Rule
    steps: tuple[FixStep, ...]


@dataclass
class FixPlan:
    fixes: dict[str, RuleFix] = field(default_factory=dict)  # rule id → its fix, ready to run
    unavailable: dict[str, str] = field(default_factory=dict)  # rule id → why it cannot run here


def plan_fixes(
    target: Target,
    conn: Connection,
    rules: Iterable[Rule],
    *,
    blocked: Mapping[str, str] | None = None,
) -> FixPlan:
    """Build the fix of every rule in ``rules`` (each has one) on the read-only ``conn``.
    ``blocked`` names rules whose fix must not run, with the reason (table/key suppressions)."""
    out = FixPlan()
    with target.schema.using(conn):
        for rule in rules:
            if blocked and rule.id in blocked:
                out.unavailable[rule.id] = blocked[rule.id]
                continue
            try:
                with conn.begin_nested():  # a failing catalog read must not end the transaction
                    steps = build_steps(target, conn, rule)
                    for step in steps:
                        _writable(target, step)
            except Exception as exc:
                out.unavailable[rule.id] = _why(rule, exc)
                continue
            if not steps:
                out.unavailable[rule.id] = "its fix has no statement to run on this database"
            else:
                out.fixes[rule.id] = RuleFix(rule, tuple(steps))
    return out


def build_steps(target: Target, conn: Connection, rule: Rule) -> list[FixStep]:
    assert rule.fix is not None
    ctx = target.context(rule)
    if rule.fix.handler:
        handler = target.handlers.get(rule.fix.handler)
        if handler is None:
            known = ", ".join(sorted(target.handlers)) or "none"
            raise RuleError(f"fix handler {rule.fix.handler!r} is not registered (known: {known})")
        return list(handler(ctx=ctx, rule=rule, conn=conn))
    return list(rule.kind.fix(ctx, rule.params, rule.fix))


def _why(rule: Rule, exc: Exception) -> str:
    if isinstance(exc, MissingObject):
        return f"fix unavailable here: {exc}"
    if isinstance(exc, RuleError | sa.exc.SQLAlchemyError):
        return f"fix unavailable here: {explain(exc)}"
    return f"fix unavailable here: {bug(rule, exc)}"


def is_ddl(step: FixStep) -> bool:
    stmt = step.statement
    if isinstance(stmt, sa.TextClause):
        return sqltext.leading_keyword(stmt.text) in DDL_WORDS
    return isinstance(stmt, sa.schema.ExecutableDDLElement)


def writes(step: FixStep) -> tuple[str, list[str] | None] | None:
    """The table a step writes and the columns it sets (None: a DELETE, or not known), or None
    when the step names no single table (DDL, an opaque statement)."""
    stmt = step.statement
    if isinstance(stmt, sa.TextClause):
        return sqltext.write_target(stmt.text)
    if isinstance(stmt, sa.Insert | sa.Update | sa.Delete):
        table = stmt.table
        name = getattr(table, "name", None)
        if not isinstance(name, str):
            return None
        cols: list[str] | None = None
        if isinstance(stmt, sa.Insert):
            names = getattr(stmt, "_select_names", None) or list(getattr(stmt, "_values", None) or ())
            cols = [_column_name(c) for c in names]
        elif isinstance(stmt, sa.Update):
            values = getattr(stmt, "_values", None) or dict(getattr(stmt, "_ordered_values", None) or ())
            cols = [_column_name(c) for c in values]
        return name, cols
    return None


def _column_name(c: Any) -> str:
    return str(getattr(c, "name", None) or getattr(c, "key", None) or c)


def _writable(target: Target, step: FixStep) -> None:
    """MissingObject when the table or a column the step writes is not in this database; RuleError
    when MariaDB/MySQL would commit the step at once."""
    if target.dialect == "mysql" and is_ddl(step):
        raise RuleError(
            "its fix runs DDL, which MariaDB/MySQL commits at once and cannot roll back "
            "(run it by hand, or deselect the rule)"
        )
    w = writes(step)
    if w is None:
        return
    table_name, cols = w
    table = target.schema.table(table_name)  # MissingObject: "table x does not exist"
    for c in cols or ():
        target.schema.column(table, c)  # MissingObject: "column x.y does not exist"
