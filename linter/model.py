"""The values that flow from the check stage to the formats: one rule's :class:`Outcome`, what a
fix would run (:class:`DiffStep`) and what a ``--fix`` did (:class:`FixOutcome`). Frozen: each
stage returns new values (``dataclasses.replace``) instead of writing into the previous stage's.
Formats read these and never query."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from linter.kinds.base import Finding
    from linter.load.rules import Rule


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    SKIPPED = "skipped"  # the rule cannot apply here (a table or column it needs is missing)
    ERROR = "error"  # the rule could not run (a query failed, a lock timeout, a bug in a kind)


@dataclass(frozen=True)
class DiffStep:
    """One statement a fix would run, and the rows it would touch (None: cannot be counted)."""

    sql: str
    rows: int | None
    summary: str
    also: tuple[str, ...] = ()  # what the database changes by itself (cascades)


@dataclass(frozen=True)
class Outcome:
    """One rule's result on one target."""

    rule: Rule
    status: Status = Status.PASS
    violations: int = 0
    examples: tuple[Finding, ...] = ()
    reason: str = ""  # why skipped / error; or why a pass needed no query
    fixed: int = 0  # rows the committed fix changed for this rule
    seconds: float = 0.0
    diff: tuple[DiffStep, ...] | None = None  # --diff: the statements of its fix
    how: str = ""  # how check computed it (shared scan, constraint, …): shown by --timings
    # Why the rule's fix cannot run on this target (a table or column it writes is missing, the
    # rule has table/key suppressions, …); None when it can, or the rule has no fix.
    fix_unavailable: str | None = None

    @property
    def fixable(self) -> bool:
        return self.rule.fix is not None and self.fix_unavailable is None

    @property
    def fix_safety(self) -> str | None:
        return self.rule.fix.safety if self.rule.fix else None


@dataclass(frozen=True)
class FixOutcome:
    """What ``--fix`` did on one target."""

    committed: bool
    # Why it rolled back (None when it committed or there was nothing to fix).
    error: str | None = None
    # "error": a statement, a lock or the undo failed (exit 2); "verify": the re-check inside the
    # transaction found a fixed rule still failing or another rule worse (findings remain, exit 1).
    failure: str | None = None
    fixed: dict[str, int] = field(default_factory=dict)  # rule id → rows changed (committed only)
    unsafe_left: int = 0  # failing rules whose (available) fix is unsafe and was not applied


def summarize(outcomes: Iterable[Outcome]) -> dict[str, int]:
    out = {"rules": 0, "failed": 0, "violations": 0, "fixed": 0, "errors": 0, "skipped": 0, "passed": 0}
    for o in outcomes:
        out["rules"] += 1
        out["failed"] += o.status == Status.FAIL
        out["violations"] += o.violations
        out["fixed"] += o.fixed
        out["errors"] += o.status == Status.ERROR
        out["skipped"] += o.status == Status.SKIPPED
        out["passed"] += o.status == Status.PASS
    return out
