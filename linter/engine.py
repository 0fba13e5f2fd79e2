"""Run rules against a database: check (read-only, optionally in parallel), diff, and fix (one
transaction, re-verified inside it, rolled back unless every fixed rule passes afterwards)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from linter import db
from linter.errors import DblintError, MissingObject, RuleError, one_line
from linter.kinds.base import Check, Context, Example, FixStep
from linter.load.rules import Rule

if TYPE_CHECKING:  # the fix machinery is imported by --fix only: check starts faster without it
    from linter.fix.undo import UndoLog

Handler = Callable[..., list[FixStep]]

_DEFAULT_TIMEOUTS = db.Timeouts()  # frozen: one shared default is safe


@dataclass
class DiffStep:
    sql: str
    rows: int | None
    summary: str
    also: list[str] = field(default_factory=list)  # what the database changes by itself (cascades)


@dataclass
class Result:
    rule: Rule
    status: str = "pass"  # pass | fail | skipped | error
    violations: int = 0
    examples: list[Example] = field(default_factory=list)
    reason: str = ""
    fixed: int = 0
    seconds: float = 0.0
    diff: list[DiffStep] | None = None
    how: str = ""  # how check computed it (shared scan, constraint, …): shown by --timings

    @property
    def fixable(self) -> bool:
        return self.rule.fix is not None

    @property
    def fix_safety(self) -> str | None:
        return self.rule.fix.safety if self.rule.fix else None


class FixFailed(DblintError):
    """The fix transaction was rolled back; nothing was written."""

    exit_code = 1


def _explain(exc: BaseException) -> str:
    text = one_line(str(getattr(exc, "orig", None) or exc))
    low = text.lower()
    if any(s in low for s in ("read-only", "readonly", "read only")):
        return f"refused: check is read-only and this rule tried to write ({text})"
    if any(s in low for s in ("lock timeout", "lock wait timeout", "canceling statement due to lock")):
        return f"gave up waiting for a lock (database.lock_timeout): {text}"
    if any(s in low for s in ("statement timeout", "max_statement_time", "query execution was interrupted")):
        return f"gave up: the query ran longer than database.statement_timeout ({text})"
    if "database is locked" in low:
        return f"gave up waiting for a lock (database.lock_timeout): {text}"
    return text


def _bug(rule: Rule, exc: BaseException) -> str:
    where = f"kind {rule.kind.name!r}" + (f" of pack {rule.pack!r}" if rule.pack else "")
    return db.mask_text(f"internal error in {where}: {type(exc).__name__}: {one_line(str(exc))}")


class Runner:
    def __init__(
        self,
        engine: Engine,
        rules: Sequence[Rule],
        *,
        variables: Mapping[str, Any] | None = None,
        handlers: Mapping[str, Handler] | None = None,
        timeouts: db.Timeouts = _DEFAULT_TIMEOUTS,
        max_examples: int = 20,
        jobs: int = 1,
        schema: str | None = None,
        on_progress: Callable[[int, int, Rule | None], None] | None = None,
        config: Any = None,
        plan: bool = True,
    ) -> None:
        self.engine = engine
        self.rules = list(rules)
        self.variables = dict(variables or {})
        self.handlers = dict(handlers or {})
        self.timeouts = timeouts
        self.max_examples = max_examples
        self.jobs = max(1, jobs)
        self.schema = db.Schema(engine, schema)
        self.on_progress = on_progress
        self.dialect = db.dialect_of(engine)
        self.config = config
        self.cache: dict[str, Any] = {}
        self.cache_lock = threading.RLock()
        # The check planner's optimisations (linter/planner.py); plan=False runs one count query and
        # one examples query per rule, as the planner's tests compare.
        self.use_constraints = self.use_scans = self.use_window = self.use_split = plan

    # --- check -------------------------------------------------------------------------------

    def context(self, rule: Rule) -> Context:
        return Context(self.schema, self.variables, rule.id, self.config, self.cache, self.cache_lock)

    def run_rule(self, conn: Connection, rule: Rule) -> Result:
        with self.schema.using(conn):
            return self._run_rule(conn, rule)

    def _run_rule(self, conn: Connection, rule: Rule) -> Result:
        res = Result(rule)
        t0 = time.perf_counter()
        try:
            # Building the query reflects tables through this connection: in its own savepoint, so a
            # reflection that fails (a lock timeout) cannot abort the transaction the other rules share.
            with conn.begin_nested():
                check: Check = rule.kind.check(self.context(rule), rule.params)
        except MissingObject as exc:
            res.status, res.reason = "skipped", str(exc)
        except (RuleError, SQLAlchemyError) as exc:  # SQLAlchemyError: reflecting the schema failed
            res.status, res.reason = "error", db.mask_text(_explain(exc))
        except Exception as exc:  # a bug in a (third-party) kind: this rule fails, the run goes on
            res.status, res.reason = "error", _bug(rule, exc)
        else:
            try:
                # A savepoint per rule: one failing query must not poison the others' transaction.
                with conn.begin_nested():
                    res.violations = check.count(conn)
                    if res.violations:
                        res.examples = check.examples(conn, self.max_examples)
            except (SQLAlchemyError, RuleError) as exc:
                res.status, res.reason = "error", db.mask_text(_explain(exc))
            except Exception as exc:
                res.status, res.reason = "error", _bug(rule, exc)
            else:
                res.status = "fail" if res.violations else "pass"
        res.seconds = time.perf_counter() - t0
        return res

    def check(self) -> list[Result]:
        """Read-only check of every rule, planned and run in parallel by linter.planner."""
        from linter import planner

        if not self.rules:
            return []
        return planner.run(self, self.on_progress)

    def _export_snapshot(self, conn: Connection) -> str | None:
        # Parallel workers import the lead connection's snapshot: all rules see one state.
        if self.dialect == "postgresql":
            return str(conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one())
        return None

    # --- diff and fix --------------------------------------------------------------------------

    def fix_candidates(self, results: Sequence[Result], unsafe: bool) -> list[Result]:
        return [
            r
            for r in results
            if r.status == "fail" and r.rule.fix is not None and (r.rule.fix.safety == "safe" or unsafe)
        ]

    def steps(self, conn: Connection, rule: Rule) -> list[FixStep]:
        with self.schema.using(conn):
            return self._steps(conn, rule)

    def _steps(self, conn: Connection, rule: Rule) -> list[FixStep]:
        assert rule.fix is not None
        ctx = self.context(rule)
        if rule.fix.handler:
            handler = self.handlers.get(rule.fix.handler)
            if handler is None:
                known = ", ".join(sorted(self.handlers)) or "none"
                raise RuleError(f"fix handler {rule.fix.handler!r} is not registered (known: {known})")
            return list(handler(ctx=ctx, rule=rule, conn=conn))
        return rule.kind.fix(ctx, rule.params, rule.fix)

    def render(self, step: FixStep) -> str:
        # Every statement a fix runs is a ClauseElement; the Executable it is typed as has no compile().
        stmt = cast(sa.ClauseElement, step.statement)
        try:
            return str(stmt.compile(dialect=self.engine.dialect, compile_kwargs={"literal_binds": True}))
        except Exception:
            compiled = stmt.compile(dialect=self.engine.dialect)
            return f"{compiled}  -- parameters: {compiled.params}"

    def diff(self, results: Sequence[Result], unsafe: bool) -> list[Result]:
        """Fill ``Result.diff`` with the SQL each fix would run and the rows it would touch."""
        from linter.fix.cascade import Effects

        cands = self.fix_candidates(results, unsafe)
        with db.read_only(self.engine, self.timeouts) as conn:
            effects = Effects(conn, self.schema)
            for r in cands:
                try:
                    with conn.begin_nested():
                        r.diff = [
                            DiffStep(self.render(s), s.count(conn), s.summary, self._also(conn, effects, s))
                            for s in self.steps(conn, r.rule)
                        ]
                except (SQLAlchemyError, RuleError) as exc:
                    r.diff = []
                    r.reason = f"fix cannot be shown: {db.mask_text(_explain(exc))}"
                except Exception as exc:
                    r.diff = []
                    r.reason = f"fix cannot be shown: {_bug(r.rule, exc)}"
        return cands

    def _also(self, conn: Connection, effects: Any, step: FixStep) -> list[str]:
        """Rows a DELETE step makes the database delete or rewrite elsewhere (ON DELETE actions)."""
        from linter.fix.cascade import CascadeError
        from linter.fix.undo import UndoError, target_of

        if not isinstance(step.statement, sa.Delete):
            return []
        with self.schema.using(conn):
            try:
                table, where = target_of(self.schema, step.statement)
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

    def fix(
        self,
        results: Sequence[Result],
        unsafe: bool,
        before_commit: Callable[[Connection, list[Result]], None] | None = None,
        *,
        undo: UndoLog | None = None,
        quarantine: bool = False,
        before_changes: Callable[[Connection], None] | None = None,
    ) -> list[Result]:
        """Apply every candidate fix in ONE transaction, re-check every rule inside it, and commit
        only if each fixed rule now passes and no rule that passed now fails. Raises FixFailed
        (after rolling back) otherwise. Returns the results of the re-check.

        Every step runs through ``undo`` (:class:`linter.fix.undo.UndoLog`), which records how to
        reverse it before it runs and writes the undo script just before the commit. Rows a fix
        deletes go to quarantine tables when ``quarantine`` (or the rule's ``fix.quarantine``) is
        set; those tables are created before the transaction (see :mod:`linter.fix.quarantine`).
        ``before_changes`` runs inside the transaction before the first change (the SQLite backup)."""
        cands = self.fix_candidates(results, unsafe)
        if not cands:
            return list(results)
        if self.dialect == "mysql":
            self._refuse_ddl(cands)
        from linter.fix.undo import UndoLog

        if undo is None:
            undo = UndoLog(None, dialect=self.engine.dialect, schema=self.schema, target="", enabled=False)
        quarantined = {r.rule.id for r in cands if quarantine or getattr(r.rule.fix, "quarantine", False)}
        if quarantined:
            undo.quarantine.update(self._prepare_quarantine([r for r in cands if r.rule.id in quarantined]))
        before = {r.rule.id: r for r in results}
        committed = False
        try:
            with self._write() as conn:
                if before_changes:
                    before_changes(conn)
                for r in cands:
                    try:
                        with conn.begin_nested():
                            for step in self.steps(conn, r.rule):
                                if self.dialect == "mysql" and _is_ddl(step):
                                    raise RuleError(
                                        "its fix needs DDL, which MariaDB/MySQL would commit at once"
                                    )
                                with self.schema.using(conn):  # the undo may reflect a table
                                    r.fixed += undo.execute(
                                        conn, step, r.rule.id, quarantine=r.rule.id in quarantined
                                    )
                    except (
                        SQLAlchemyError,
                        RuleError,
                        OSError,
                    ) as exc:  # OSError: the undo log cannot be written
                        raise FixFailed(
                            f"fix rolled back, nothing was written: {r.rule.id} failed: "
                            f"{db.mask_text(_explain(exc))}"
                        ) from None
                    except Exception as exc:
                        raise FixFailed(
                            f"fix rolled back, nothing was written: {r.rule.id} failed: {_bug(r.rule, exc)}"
                        ) from None
                after = [self.run_rule(conn, rule) for rule in self.rules]
                for a in after:
                    b = before[a.rule.id]
                    a.fixed = b.fixed
                    if a.status == "error":
                        raise FixFailed(
                            f"fix rolled back, nothing was written: re-check of {a.rule.id} "
                            f"failed: {a.reason}"
                        )
                    if a.fixed and a.violations:
                        raise FixFailed(
                            f"fix rolled back, nothing was written: {a.rule.id} still has {a.violations} "
                            f"violation(s) after its fix"
                        )
                    if a.violations > b.violations and b.status in ("pass", "fail"):
                        fixed_ids = ", ".join(c.rule.id for c in cands)
                        raise FixFailed(
                            f"fix rolled back, nothing was written: fixing {fixed_ids} made {a.rule.id} fail "
                            f"({b.violations} → {a.violations} violations)"
                        )
                if before_commit:
                    before_commit(conn, after)
                try:
                    # The undo script is on disk before the commit: a committed fix always has one.
                    undo.finish()
                except RuleError as exc:
                    raise FixFailed(f"fix rolled back, nothing was written: {exc}") from None
                try:
                    conn.commit()
                except BaseException:
                    undo.remove()
                    raise
                committed = True
        except SQLAlchemyError as exc:
            # Taking the write lock (SQLite BEGIN IMMEDIATE), setting timeouts or committing failed.
            raise FixFailed(f"fix rolled back, nothing was written: {db.mask_text(_explain(exc))}") from None
        finally:
            if not committed:
                undo.discard()
        return after

    def _prepare_quarantine(self, cands: Sequence[Result]) -> dict[str, sa.Table]:
        """Create (in a committed step of its own, before the fix transaction) the quarantine
        tables of every table the candidates' fixes delete from."""
        tables: dict[str, sa.Table] = {}
        with db.read_only(self.engine, self.timeouts) as conn:
            for r in cands:
                try:
                    steps = self.steps(conn, r.rule)
                except Exception:
                    continue  # the fix itself reports this inside the transaction
                for s in steps:
                    target = getattr(s.statement, "table", None)
                    if not isinstance(s.statement, sa.Delete) or not isinstance(target, sa.TableClause):
                        continue
                    if not isinstance(target, sa.Table):  # a plugin's lightweight sa.table()
                        try:
                            with self.schema.using(conn):
                                target = self.schema.table(target.name)
                        except MissingObject:
                            continue
                    tables[target.name] = target
        try:
            from linter.fix.quarantine import prepare as quarantine_tables

            return quarantine_tables(self.engine, list(tables.values()))
        except SQLAlchemyError as exc:
            raise FixFailed(
                "fix not started, nothing was written: cannot create quarantine tables: "
                f"{db.mask_text(_explain(exc))}"
            ) from None

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with db.writable(self.engine, self.timeouts) as conn:
            yield conn

    def _refuse_ddl(self, cands: Sequence[Result]) -> None:
        from linter.kinds.sql import SqlFix, is_ddl

        for r in cands:
            fix = r.rule.fix
            if isinstance(fix, SqlFix) and any(is_ddl(s) for s in fix.statements):
                raise DblintError(
                    f"{r.rule.id}: its fix runs DDL, which MariaDB/MySQL commits at once and cannot "
                    "roll back; refusing to start a fix that could be half-applied (run it by hand, "
                    "or deselect the rule)"
                )


def _is_ddl(step: FixStep) -> bool:
    from linter.kinds.sql import is_ddl

    stmt = step.statement
    if isinstance(stmt, sa.TextClause):
        return is_ddl(stmt.text)
    return isinstance(stmt, sa.schema.ExecutableDDLElement)


def summarize(results: Sequence[Result]) -> dict[str, int]:
    return {
        "rules": len(results),
        "failed": sum(r.status == "fail" for r in results),
        "violations": sum(r.violations for r in results),
        "fixed": sum(r.fixed for r in results),
        "errors": sum(r.status == "error" for r in results),
        "skipped": sum(r.status == "skipped" for r in results),
        "passed": sum(r.status == "pass" for r in results),
    }


__all__ = ["DBAPIError", "FixFailed", "Result", "Runner", "summarize"]
