"""``--diff``: the SQL each planned fix would run, how many rows each statement touches, and what
the database would change by itself (ON DELETE CASCADE / SET NULL), on a read-only connection.
Nothing is written."""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from linter.check.outcome import bug, explain
from linter.db.literals import sql_text
from linter.fix.cascade import CascadeError, Effects
from linter.fix.planning import FixPlan
from linter.fix.undo import UndoError, target_of
from linter.kinds.base import FixStep
from linter.model import DiffStep
from linter.targets.target import Target


def render(target: Target, step: FixStep) -> str:
    """A step's SQL with its values inlined (or, where a value has no literal, with the parameters)."""
    stmt = cast(sa.ClauseElement, step.statement)
    try:
        dialect = target.engine.dialect
        # Shown as the database reads it: /table/% rather than the driver's escaped /table/%%.
        return sql_text(str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True})), dialect)
    except Exception:
        compiled = stmt.compile(dialect=target.engine.dialect)
        return f"{compiled}  -- parameters: {compiled.params}"


def diff(target: Target, conn: Connection, plan: FixPlan) -> dict[str, tuple[tuple[DiffStep, ...], str]]:
    """Rule id → (its statements with row counts, a reason when they cannot be shown)."""
    out: dict[str, tuple[tuple[DiffStep, ...], str]] = {}
    effects = Effects(conn, target.schema)
    with target.schema.using(conn):
        for rule_id, fix in plan.fixes.items():
            try:
                with conn.begin_nested():
                    steps = tuple(
                        DiffStep(
                            render(target, s),
                            s.count(conn),
                            s.summary,
                            tuple(_also(target, conn, effects, s)),
                        )
                        for s in fix.steps
                    )
            except (sa.exc.SQLAlchemyError, UndoError, CascadeError) as exc:
                out[rule_id] = ((), f"fix cannot be shown: {explain(exc)}")
            except Exception as exc:
                out[rule_id] = ((), f"fix cannot be shown: {bug(fix.rule, exc)}")
            else:
                out[rule_id] = (steps, "")
    return out


def _also(target: Target, conn: Connection, effects: Any, step: FixStep) -> list[str]:
    """Rows a DELETE step makes the database delete or rewrite elsewhere (ON DELETE actions)."""
    if not isinstance(step.statement, sa.Delete):
        return []
    try:
        table, where = target_of(target.schema, step.statement)
        found = effects.on_delete(table, where)
    except (CascadeError, UndoError) as exc:
        return [str(exc)]
    out = []
    for e in found:
        n = conn.execute(sa.select(sa.func.count()).select_from(e.table).where(e.where)).scalar()
        if n:
            verb = "deletes" if e.action == "delete" else "rewrites"
            out.append(f"also {verb} {n} row(s) of {e.table.name} ({e.via})")
    return out
