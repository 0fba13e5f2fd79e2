"""``--fix``: every planned fix in ONE write transaction, re-verified inside it.

1. Quarantine tables are created first, in a committed step of their own (MariaDB commits DDL).
2. In the transaction: the SQLite backup (``--backup``), then each rule's steps, each through the
   undo log (which records how to reverse it before it runs), each rule in a savepoint.
3. Every rule is checked again on the same connection, through the same planner and executor as
   ``check``. The fix commits only if each fixed rule now passes and no rule got worse; the undo
   script is on disk before the commit.

Anything else rolls back: nothing is written, every rule reports ``fixed: 0``, and the outcome says
whether it was an error (a statement, a lock, the undo: exit 2) or the re-check (findings remain:
exit 1)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from linter import db
from linter.check.outcome import bug, explain
from linter.errors import MissingObject, RuleError
from linter.fix import quarantine as qmod
from linter.fix.planning import FixPlan, RuleFix
from linter.fix.undo import UndoLog
from linter.model import FixOutcome, Outcome, Status
from linter.targets.target import Target

ROLLED_BACK = "fix rolled back, nothing was written"


class _Rollback(Exception):
    def __init__(self, message: str, failure: str) -> None:
        super().__init__(message)
        self.failure = failure


def apply_fixes(
    target: Target,
    plan: FixPlan,
    before: Sequence[Outcome],
    recheck: Callable[[Connection], list[Outcome]],
    undo: UndoLog,
    *,
    quarantine: bool = False,
    before_changes: Callable[[Connection], None] | None = None,
) -> tuple[FixOutcome, list[Outcome] | None]:
    """Apply ``plan``'s fixes; return what happened and, when committed, the re-checked outcomes
    (with each rule's rows fixed)."""
    if not plan.fixes:
        return FixOutcome(committed=False), None
    quarantined = {
        rid for rid, f in plan.fixes.items() if quarantine or getattr(f.rule.fix, "quarantine", False)
    }
    committed = False
    try:
        if quarantined:
            undo.quarantine.update(_prepare_quarantine(target, [plan.fixes[r] for r in quarantined]))
        with db.writable(target.engine, target.timeouts) as conn:
            if before_changes:
                before_changes(conn)
            fixed = {
                rid: _apply(target, conn, fix, undo, rid in quarantined) for rid, fix in plan.fixes.items()
            }
            after = [replace(o, fixed=fixed.get(o.rule.id, 0)) for o in recheck(conn)]
            _verify(before, after, fixed)
            try:
                undo.finish()  # the undo script is on disk before the commit: a committed fix always has one
            except RuleError as exc:
                raise _Rollback(f"{ROLLED_BACK}: {exc}", "error") from None
            try:
                conn.commit()
            except BaseException:
                undo.remove()
                raise
            committed = True
    except _Rollback as exc:
        return FixOutcome(False, str(exc), exc.failure), None
    except sa.exc.SQLAlchemyError as exc:
        # Taking the write lock (SQLite BEGIN IMMEDIATE), setting timeouts or committing failed.
        return FixOutcome(False, f"{ROLLED_BACK}: {explain(exc)}", "error"), None
    finally:
        if not committed:
            undo.discard()
    return FixOutcome(True, fixed={k: v for k, v in fixed.items() if v}), after


def _apply(target: Target, conn: Connection, fix: RuleFix, undo: UndoLog, quarantine: bool) -> int:
    n = 0
    try:
        with conn.begin_nested(), target.schema.using(conn):  # the undo may reflect a table
            for step in fix.steps:
                n += undo.execute(conn, step, fix.rule.id, quarantine=quarantine)
    except (sa.exc.SQLAlchemyError, RuleError, OSError) as exc:  # OSError: the undo log cannot be written
        raise _Rollback(f"{ROLLED_BACK}: {fix.rule.id} failed: {explain(exc)}", "error") from None
    except Exception as exc:
        raise _Rollback(f"{ROLLED_BACK}: {fix.rule.id} failed: {bug(fix.rule, exc)}", "error") from None
    return n


def _verify(before: Sequence[Outcome], after: Sequence[Outcome], fixed: dict[str, int]) -> None:
    """Commit only if each fixed rule now passes and no rule that was judged got worse."""
    was = {o.rule.id: o for o in before}
    for a in after:
        b = was.get(a.rule.id)
        if a.status == Status.ERROR:
            raise _Rollback(f"{ROLLED_BACK}: re-check of {a.rule.id} failed: {a.reason}", "error")
        if fixed.get(a.rule.id) and a.violations:  # a fix that changed rows must have repaired its rule
            raise _Rollback(
                f"{ROLLED_BACK}: {a.rule.id} still has {a.violations} violation(s) after its fix", "verify"
            )
        if b is not None and b.status in (Status.PASS, Status.FAIL) and a.violations > b.violations:
            raise _Rollback(
                f"{ROLLED_BACK}: fixing {', '.join(fixed)} made {a.rule.id} fail "
                f"({b.violations} → {a.violations} violations)",
                "verify",
            )


def _prepare_quarantine(target: Target, fixes: Sequence[RuleFix]) -> dict[str, sa.Table]:
    """Create (committed, before the fix transaction) the quarantine tables of every table the
    fixes delete from."""
    tables: dict[str, sa.Table] = {}
    for fix in fixes:
        for s in fix.steps:
            t = getattr(s.statement, "table", None)
            if not isinstance(s.statement, sa.Delete) or not isinstance(t, sa.TableClause):
                continue
            if not isinstance(t, sa.Table):  # a plugin's lightweight sa.table()
                try:
                    t = target.schema.table(t.name)
                except MissingObject:
                    continue
            tables[t.name] = t
    try:
        return qmod.prepare(target.engine, list(tables.values()))
    except sa.exc.SQLAlchemyError as exc:
        raise _Rollback(
            f"fix not started, nothing was written: cannot create quarantine tables: {explain(exc)}", "error"
        ) from None
