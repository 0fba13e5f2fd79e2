"""Planning a check run: the fewest, cheapest queries for the loaded rules, spread over connections.

1. Rules that a database constraint already guarantees (``Kind.guaranteed``) pass without a query.
2. Rules whose violations are "rows of table T meeting condition C" (``Check.scan``: ``not_null``
   and any third-party kind that sets it) are grouped by table: ONE scan per table computes every
   rule's count as one ``COUNT(*) FILTER (WHERE C)`` column (``SUM(CASE …)`` on MariaDB/MySQL).
   Examples are then fetched, with LIMIT, only for the rules that found violations.
3. Every other check runs as one query that returns the count and the first examples together
   (``COUNT(*) OVER ()`` beside ``LIMIT``): one pass over the data instead of a count and then an
   examples query (for ``unique`` that is one grouping, not two).
4. The resulting tasks, heaviest first, are shared by ``jobs`` connections (threads). On
   PostgreSQL every connection imports the lead's exported snapshot, so all rules see one state.

Only ``--max-examples`` rows per rule ever reach Python, so memory does not grow with the number
of violations.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from linter import db
from linter.errors import MissingObject, RuleError
from linter.kinds.base import Check, QueryCheck

if TYPE_CHECKING:
    from linter.engine import Result, Runner
    from linter.load.rules import Rule


@dataclass
class Task:
    """One query (a shared scan, or one rule's query) and the results it fills."""

    items: list[tuple[Result, Check]]
    table: sa.Table | None = None  # set for a shared scan
    cost: int = 1
    part: tuple[int, int] | None = None  # (k, n): part k of n of a split check


def plan(runner: Runner, rules: list[Rule], jobs: int = 1) -> tuple[list[Result], list[Task]]:
    """Build every rule's check (no query runs here except catalog reads for ``guaranteed``)."""
    from linter.engine import Result

    results: list[Result] = []
    scans: dict[int, Task] = {}
    tasks: list[Task] = []
    for rule in rules:
        res = Result(rule)
        results.append(res)
        t0 = time.perf_counter()
        ctx = runner.context(rule)
        why: str | None = None
        try:
            check: Check = rule.kind.check(ctx, rule.params)
        except MissingObject as exc:
            res.status, res.reason = "skipped", str(exc)
        except (RuleError, SQLAlchemyError) as exc:  # SQLAlchemyError: reflecting the schema failed
            from linter.engine import _explain

            res.status, res.reason = "error", db.mask_text(_explain(exc))
        except Exception as exc:  # a bug in a (third-party) kind: this rule fails, the run goes on
            from linter.engine import _bug

            res.status, res.reason = "error", _bug(rule, exc)
        else:
            if runner.use_constraints:
                try:
                    why = rule.kind.guaranteed(ctx, rule.params)
                except (SQLAlchemyError, MissingObject, RuleError):
                    why = None  # the catalog could not say: run the query instead
        res.seconds = time.perf_counter() - t0
        if res.status != "pass":
            continue
        if why:
            res.reason = res.how = f"guaranteed by constraint {why}"
            continue
        if isinstance(check, QueryCheck) and check.scan is not None and runner.use_scans:
            table, _ = check.scan
            task = scans.get(id(table))
            if task is None:
                task = scans[id(table)] = Task([], table)
                tasks.append(task)
            task.items.append((res, check))
        else:
            tasks.append(Task([(res, check)], cost=rule.kind.cost))
    if jobs > 1 and runner.use_split:
        tasks = _split(tasks, jobs)
    tasks.sort(key=lambda t: -t.cost)  # stable: rule order within a cost class
    return results, tasks


def _split(tasks: list[Task], jobs: int) -> list[Task]:
    """Split groupings (``Check.split_on``) into one part per connection, but only when there are
    fewer heavy queries than connections: otherwise the other connections have work anyway and the
    parts only add scans. Measured on bench/: at 1e6 rows a lone scoped unique rule took 1.0 + 1.2 s
    as halves on PostgreSQL against 1.8 s whole (SQLite 0.23 + 0.27 s CPU against 0.46 s), while the
    whole benchmark pack at 1e7 (three anti-joins beside it) took 25.7 s split against 23.9 s not."""
    heavy = [t for t in tasks if t.table is None]
    if len(heavy) >= jobs:
        return tasks
    out: list[Task] = []
    for t in tasks:
        res, check = t.items[0]
        if (
            t.table is None
            and isinstance(check, QueryCheck)
            and check.split_on is not None
            and check.probe is None
            and check.windowable
        ):
            res.how = f"split in {jobs} parts, count+examples in one query each"
            out += [Task(t.items, cost=t.cost, part=(k, jobs)) for k in range(jobs)]
        else:
            out.append(t)
    return out


def _hits(dialect: str, cond: sa.ColumnElement[bool]) -> sa.ColumnElement[Any]:
    if dialect == "mysql":  # no FILTER clause on MariaDB/MySQL
        return sa.func.sum(sa.case((cond, 1), else_=0))
    return sa.func.count().filter(cond)


def _plain(check: Check) -> bool:
    return isinstance(check, QueryCheck) and check.windowable


class Executor:
    def __init__(self, runner: Runner) -> None:
        self.runner = runner
        self.dialect = runner.dialect
        self.lock = threading.Lock()  # guards the results that split parts share

    def run(self, conn: Connection, task: Task) -> None:
        if task.table is not None:
            self._scan(conn, task)
        elif task.part is not None:
            self._part(conn, task)
        else:
            res, check = task.items[0]
            self._single(conn, res, check)

    def _part(self, conn: Connection, task: Task) -> None:
        """One part of a split check; the parts add up their counts and examples."""
        res, check = task.items[0]
        assert task.part is not None and isinstance(check, QueryCheck) and check.split_on is not None
        (k, n), key = task.part, check.split_on
        rem = key % n
        # Remainders of negative values are negative on every dialect; NULL keys go to part 0.
        cond = sa.or_(rem == 0, key.is_(None)) if k == 0 else sa.or_(rem == k, rem == k - n)
        t0 = time.perf_counter()
        try:
            with conn.begin_nested():
                count, examples, _ = check.windowed(conn, self.runner.max_examples, cond)
        except (SQLAlchemyError, RuleError) as exc:
            from linter.engine import _explain

            with self.lock:
                res.status, res.reason = "error", db.mask_text(_explain(exc))
        else:
            with self.lock:
                res.violations += count
                room = self.runner.max_examples - len(res.examples)
                res.examples.extend(examples[: max(0, room)])
        with self.lock:
            res.seconds += time.perf_counter() - t0
            if res.status != "error":
                res.status = "fail" if res.violations else "pass"

    def _single(self, conn: Connection, res: Result, check: Check) -> None:
        t0 = time.perf_counter()
        limit = self.runner.max_examples
        try:
            with conn.begin_nested():  # one failing query must not poison the others
                if self.runner.use_window:
                    res.violations, res.examples, res.how = check.count_and_examples(conn, limit)
                else:
                    res.violations = check.count(conn)
                    if res.violations:
                        res.examples = check.examples(conn, limit)
        except (SQLAlchemyError, RuleError) as exc:
            from linter.engine import _explain

            res.status, res.reason = "error", db.mask_text(_explain(exc))
        except Exception as exc:  # a bug in a (third-party) kind's count or examples
            from linter.engine import _bug

            res.status, res.reason = "error", _bug(res.rule, exc)
        else:
            res.status = "fail" if res.violations else "pass"
        res.seconds += time.perf_counter() - t0

    def _scan(self, conn: Connection, task: Task) -> None:
        assert task.table is not None
        t0 = time.perf_counter()
        cols = []
        for i, (_, check) in enumerate(task.items):
            assert isinstance(check, QueryCheck) and check.scan is not None  # only those are grouped
            cols.append(_hits(self.dialect, check.scan[1]).label(f"dblint_r{i}"))
        q = sa.select(*cols).select_from(task.table)
        try:
            with conn.begin_nested():
                row = conn.execute(q).one()
        except (SQLAlchemyError, RuleError):
            # One rule's condition broke the shared scan: run each alone, so the error is its own.
            for res, check in task.items:
                self._single(conn, res, check)
            return
        shared = time.perf_counter() - t0
        n = len(task.items)
        for i, (res, check) in enumerate(task.items):
            res.seconds += shared / n  # the scan's time, shared among its rules
            res.how = f"shared scan of {task.table.name} ({n} rule{'s' if n > 1 else ''})"
            res.violations = int(row[i] or 0)
            res.status = "fail" if res.violations else "pass"
            if res.violations and self.runner.max_examples > 0:
                t1 = time.perf_counter()
                try:
                    with conn.begin_nested():
                        res.examples = check.examples(conn, self.runner.max_examples)
                except (SQLAlchemyError, RuleError) as exc:
                    from linter.engine import _explain

                    res.status, res.reason = "error", db.mask_text(_explain(exc))
                res.seconds += time.perf_counter() - t1


def run(runner: Runner, on_progress: Callable[[int, int, Any], None] | None = None) -> list[Result]:
    """Plan and execute a read-only check of ``runner.rules`` with ``runner.jobs`` connections."""
    jobs = runner.jobs
    memory = runner.dialect == "sqlite" and runner.engine.url.database in (None, "", ":memory:")
    if memory:
        jobs = 1  # one in-memory database lives on one connection
    ex = Executor(runner)
    total = len(runner.rules)
    lock = threading.Lock()
    done = 0

    def progress(task: Task | None, finished: Task | None = None) -> None:
        nonlocal done
        if on_progress is None and finished is None:
            return
        with lock:
            if finished is not None:
                if finished.part is None or finished.part[0] == 0:  # a split rule counts once
                    done += len(finished.items)
            if on_progress:
                on_progress(done, total, task.items[0][0].rule if task else None)

    work: queue.Queue[Task] = queue.Queue()
    errors: list[BaseException] = []

    def drain(conn: Connection) -> None:
        while True:
            try:
                task = work.get_nowait()
            except queue.Empty:
                return
            progress(task)
            ex.run(conn, task)
            progress(None, task)

    # Connect first, so an unreachable server says "cannot connect"; then plan. Planning reflects the
    # schema through the engine (its own connections, so a reflection that times out cannot abort
    # the shared snapshot), except in memory, where the engine's only connection IS the lead.
    with db.read_only(runner.engine, runner.timeouts) as lead:
        with runner.schema.using(lead) if memory else nullcontext():
            runner.schema.table_names()  # reflect once, before any thread starts
            results, tasks = plan(runner, runner.rules, jobs)
        jobs = max(1, min(jobs, len(tasks)))
        queued = {id(res) for t in tasks for res, _ in t.items}
        done = sum(id(r) not in queued for r in results)  # settled without a query
        for t in tasks:
            work.put(t)
        snapshot = runner._export_snapshot(lead) if jobs > 1 else None

        def worker() -> None:
            try:
                with db.read_only(runner.engine, runner.timeouts, snapshot=snapshot) as conn:
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
    return results
