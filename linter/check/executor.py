"""Running a :class:`~linter.check.planner.Plan`: on one connection (the re-check inside the fix
transaction, an in-memory SQLite database), or on ``jobs`` read-only connections in threads, each
taking the heaviest task left. On PostgreSQL every worker imports the lead connection's exported
snapshot, so all rules see one state of the database.

Each task runs in a savepoint of its own, so one failing query cannot poison the transaction the
other rules share; a shared scan that fails is re-run rule by rule, so the error is that rule's.
Only ``max_examples`` rows per rule ever reach Python."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field, replace

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from linter import db
from linter.check import planner
from linter.check.outcome import settle
from linter.check.planner import Plan, PlanOptions, Task
from linter.kinds.base import Check, Finding, QueryCheck
from linter.load.rules import Rule
from linter.model import Outcome, Status
from linter.targets.target import Target

Progress = Callable[[int, int, Rule | None], None]


@dataclass
class _Tally:
    """What the tasks of one rule found so far (split parts add up)."""

    violations: int = 0
    examples: list[Finding] = field(default_factory=list)
    seconds: float = 0.0
    how: str = ""
    error: tuple[Status, str] | None = None


class Executor:
    def __init__(self, max_examples: int, on_progress: Progress | None = None) -> None:
        self.max_examples = max_examples
        self.on_progress = on_progress
        self._lock = threading.Lock()
        self._tallies: dict[str, _Tally] = {}
        self._done = 0
        self._total = 0

    # --- entry points ---------------------------------------------------------------------------

    def run_on(self, conn: Connection, plan: Plan) -> list[Outcome]:
        """Every task on ``conn``, one after the other."""
        self._start(plan)
        for task in plan.tasks:
            self._task(conn, task, plan)
        return self._outcomes(plan)

    def run(
        self, engine: Engine, timeouts: db.Timeouts, plan: Plan, lead: Connection, jobs: int
    ) -> list[Outcome]:
        """The tasks on ``lead`` and ``jobs - 1`` more read-only connections (threads)."""
        self._start(plan)
        jobs = max(1, min(jobs, len(plan.tasks)))
        work: queue.Queue[Task] = queue.Queue()
        for t in plan.tasks:
            work.put(t)
        snapshot = _export_snapshot(lead) if jobs > 1 else None
        errors: list[BaseException] = []

        def drain(conn: Connection) -> None:
            while True:
                try:
                    task = work.get_nowait()
                except queue.Empty:
                    return
                self._task(conn, task, plan)

        def worker() -> None:
            try:
                with db.read_only(engine, timeouts, snapshot=snapshot) as conn:
                    drain(conn)
            except BaseException as exc:  # surfaced below, in the main thread
                errors.append(exc)

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(jobs - 1)]
        for th in threads:
            th.start()
        drain(lead)  # the lead connection works too: one connection fewer to open
        for th in threads:
            th.join()
        if errors:
            raise errors[0]
        return self._outcomes(plan)

    # --- bookkeeping ----------------------------------------------------------------------------

    def _start(self, plan: Plan) -> None:
        self._tallies = {}
        self._total = len(plan.rules)
        self._done = len(plan.rules) - len({r.id for t in plan.tasks for r, _ in t.items})
        self._progress(None)

    def _progress(self, rule: Rule | None, finished: int = 0) -> None:
        if self.on_progress is None:
            return
        with self._lock:
            self._done += finished
            self.on_progress(self._done, self._total, rule)

    def _tally(self, rule: Rule) -> _Tally:
        with self._lock:
            return self._tallies.setdefault(rule.id, _Tally())

    def _outcomes(self, plan: Plan) -> list[Outcome]:
        out = []
        for rule in plan.rules:
            settled = plan.settled.get(rule.id)
            if settled is not None:
                out.append(settled)
                continue
            t = self._tallies.get(rule.id, _Tally())
            seconds = t.seconds + plan.build_seconds.get(rule.id, 0.0)
            if t.error is not None:
                out.append(Outcome(rule, t.error[0], reason=t.error[1], seconds=seconds))
                continue
            status = Status.FAIL if t.violations else Status.PASS
            out.append(Outcome(rule, status, t.violations, tuple(t.examples), seconds=seconds, how=t.how))
        return out

    # --- one task -------------------------------------------------------------------------------

    def _task(self, conn: Connection, task: Task, plan: Plan) -> None:
        first = task.items[0][0]
        self._progress(first)
        if task.table is not None:
            self._scan(conn, task)
        elif task.part is not None:
            self._part(conn, task)
        else:
            self._single(conn, first, task.items[0][1], plan.options.window)
        # a split rule counts once, when its first part is done
        self._progress(first, len(task.items) if task.part is None or task.part[0] == 0 else 0)

    def _single(self, conn: Connection, rule: Rule, check: Check, window: bool) -> None:
        tally = self._tally(rule)
        t0 = time.perf_counter()
        try:
            with conn.begin_nested():
                if window:
                    n, examples, how = check.count_and_examples(conn, self.max_examples)
                else:
                    n, how = check.count(conn), "count, then examples"
                    examples = check.examples(conn, self.max_examples) if n else []
        except Exception as exc:
            tally.error = settle(rule, exc)
        else:
            tally.violations, tally.examples, tally.how = n, list(examples), how
        tally.seconds += time.perf_counter() - t0

    def _part(self, conn: Connection, task: Task) -> None:
        """One part of a split check; the parts add up their counts and examples."""
        rule, check = task.items[0]
        assert task.part is not None and isinstance(check, QueryCheck) and check.split_on is not None
        (k, n), key = task.part, check.split_on
        rem = key % n
        # Remainders of negative values are negative on every dialect; NULL keys go to part 0.
        cond = sa.or_(rem == 0, key.is_(None)) if k == 0 else sa.or_(rem == k, rem == k - n)
        tally = self._tally(rule)
        t0 = time.perf_counter()
        try:
            with conn.begin_nested():
                count, examples, _ = check.windowed(conn, self.max_examples, cond)
        except Exception as exc:
            with self._lock:
                tally.error = settle(rule, exc)
        else:
            with self._lock:
                tally.violations += count
                room = self.max_examples - len(tally.examples)
                tally.examples.extend(examples[: max(0, room)])
                tally.how = f"split in {n} parts, count+examples in one query each"
        with self._lock:
            tally.seconds += time.perf_counter() - t0

    def _scan(self, conn: Connection, task: Task) -> None:
        assert task.table is not None
        items = self._joining(conn, task)
        if not items:
            return
        t0 = time.perf_counter()
        cols = []
        for i, (_, check) in enumerate(items):
            assert isinstance(check, QueryCheck) and check.scan is not None  # only those are grouped
            cols.append(_hits(conn, check.scan[1]).label(f"dblint_r{i}"))
        try:
            with conn.begin_nested():
                row = conn.execute(sa.select(*cols).select_from(task.table)).one()
        except Exception:
            # One rule's condition broke the shared scan: run each alone, so the error is its own.
            for rule, check in items:
                self._single(conn, rule, check, window=True)
            return
        shared = time.perf_counter() - t0
        n = len(items)
        for i, (rule, check) in enumerate(items):
            tally = self._tally(rule)
            tally.seconds += shared / n  # the scan's time, shared among its rules
            tally.how = f"shared scan of {task.table.name} ({n} rule{'s' if n > 1 else ''})"
            tally.violations = int(row[i] or 0)
            if tally.violations and self.max_examples > 0:
                t1 = time.perf_counter()
                try:
                    with conn.begin_nested():
                        tally.examples = check.examples(conn, self.max_examples)
                except Exception as exc:
                    tally.error = settle(rule, exc)
                tally.seconds += time.perf_counter() - t1

    def _joining(self, conn: Connection, task: Task) -> list[tuple[Rule, Check]]:
        """The rules that join the shared scan; a conditional one (``scan_if``) that its query does
        not let in (or that fails) runs alone, now, on this connection."""
        out: list[tuple[Rule, Check]] = []
        for rule, check in task.items:
            assert isinstance(check, QueryCheck)
            if check.scan_if is not None:
                try:
                    with conn.begin_nested():
                        ok = bool(conn.execute(check.scan_if).scalar())
                except Exception:
                    ok = False
                if not ok:
                    self._single(conn, rule, check, window=True)
                    continue
            out.append((rule, check))
        return out


def check_target(
    target: Target,
    rules: Sequence[Rule],
    options: PlanOptions,
    max_examples: int,
    on_progress: Progress | None = None,
) -> tuple[list[Outcome], Plan]:
    """Plan and run a read-only check of ``rules`` on ``target`` with ``options.jobs`` connections.

    Connects first, so an unreachable server says "cannot connect"; then plans. Planning reflects
    the schema through the engine (its own connections, so a reflection that times out cannot abort
    the shared snapshot), except in memory, where the engine's only connection IS the lead."""
    if target.in_memory:
        options = replace(options, jobs=1)
    with db.read_only(target.engine, target.timeouts) as lead:
        with target.schema.using(lead) if target.in_memory else nullcontext():
            target.schema.table_names()  # reflect once, before any thread starts
            plan = planner.plan(rules, target.context, options)
        ex = Executor(max_examples, on_progress)
        if options.jobs == 1:
            with target.schema.using(lead):
                return ex.run_on(lead, plan), plan
        return ex.run(target.engine, target.timeouts, plan, lead, options.jobs), plan


def recheck(target: Target, conn: Connection, rules: Sequence[Rule], max_examples: int) -> list[Outcome]:
    """Every rule again, on ``conn`` (inside the fix transaction), through the same planner and
    executor as ``check``; no constraint shortcut: every rule's query runs on the changed data."""
    with target.schema.using(conn):
        plan = planner.plan(rules, target.context, PlanOptions(constraints=False, jobs=1))
        return Executor(max_examples).run_on(conn, plan)


def _hits(conn: Connection, cond: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    if db.dialect_of(conn) == "mysql":  # no FILTER clause on MariaDB/MySQL
        return sa.func.sum(sa.case((cond, 1), else_=0))
    return sa.func.count().filter(cond)


def _export_snapshot(conn: Connection) -> str | None:
    # Parallel workers import the lead connection's snapshot: all rules see one state.
    if db.dialect_of(conn) == "postgresql":
        return str(conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one())
    return None
