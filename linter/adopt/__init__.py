"""Adopting dblint on a legacy database: suppressions (:mod:`.suppressions`) and baselines
(:mod:`.baseline`), applied to one target's outcomes by :class:`Adoption`.

Counts and examples come from the database as usual. Only a failing rule that has baseline entries
or table/key suppressions is looked at row by row: its check is streamed again in pages
(:meth:`linter.kinds.base.Check.stream`, which every check supports) and filtered in Python, so
memory holds one page, the baseline's entries for that rule and the kept examples, never the whole
result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.engine import Connection

from linter.adopt.baseline import PAGE, entry_key
from linter.adopt.suppressions import Suppressions
from linter.check.outcome import settle
from linter.kinds.base import Check, Finding
from linter.load.rules import Rule
from linter.model import Outcome, Status


@dataclass
class Adoption:
    """Suppressions and a baseline, applied to one target's outcomes."""

    suppressions: Suppressions = field(default_factory=Suppressions)
    baseline: dict[str, set[str]] | None = None
    max_examples: int = 20

    def split(self, rules: Sequence[Rule]) -> tuple[list[Rule], dict[str, Outcome]]:
        """Before the run: whole-rule suppressions do not run at all."""
        self.suppressions.check_known(rules)
        run, skipped = [], {}
        for r in rules:
            s = self.suppressions.whole_rule(r.id)
            if s is None:
                run.append(r)
            else:
                skipped[r.id] = Outcome(r, Status.SKIPPED, reason=f"suppressed in config: {s.reason}")
        return run, skipped

    def blocked(self, rules: Sequence[Rule]) -> dict[str, str]:
        """Rules whose fix must not run: suppressed rows are accepted, and a set-based fix would
        rewrite them too."""
        why = "not fixed: the rule has table/key suppressions in the config (fix it by hand, or narrow them)"
        return {r.id: why for r in rules if self.suppressions.partial(r.id)}

    def apply(
        self, conn: Connection | None, outcomes: Sequence[Outcome], checks: Mapping[str, Check]
    ) -> tuple[list[Outcome], dict[str, Any]]:
        """Hide what is suppressed or known: ``conn`` reads the failing rules that need filtering
        (None when :meth:`needs_reading` said none do)."""
        known_total = fixed_total = suppressed_total = 0
        out: list[Outcome] = []
        for o in outcomes:
            base = (self.baseline or {}).get(o.rule.id, set())
            if self._reads(o):
                assert conn is not None
                new, known, suppressed = self._filter(conn, o, checks[o.rule.id], base)
                known_total += known
                suppressed_total += suppressed
                fixed_total += len(base) - known
                out.append(new)
            else:
                if o.status != Status.ERROR:  # a rule that could not run says nothing about its entries
                    fixed_total += len(base)
                out.append(o)
        extra: dict[str, Any] = {}
        if self.baseline is not None:
            extra["baseline"] = {
                "entries": sum(len(v) for v in self.baseline.values()),
                "known": known_total,
                "fixed": fixed_total,
            }
        if suppressed_total or self.suppressions.entries:
            extra["suppressed"] = suppressed_total
        return out, extra

    def needs_reading(self, outcomes: Sequence[Outcome]) -> bool:
        return any(self._reads(o) for o in outcomes)

    def _reads(self, o: Outcome) -> bool:
        return o.status == Status.FAIL and bool(
            self.suppressions.partial(o.rule.id) or (self.baseline or {}).get(o.rule.id)
        )

    def _filter(self, conn: Connection, o: Outcome, check: Check, base: set[str]) -> tuple[Outcome, int, int]:
        try:
            with conn.begin_nested():
                return self._count(conn, o, check, base)
        except Exception as exc:  # the rule could not be read again: its outcome says so, the run goes on
            status, reason = settle(o.rule, exc)
            return (
                replace(o, status=status, reason=f"cannot apply the baseline or suppressions: {reason}"),
                0,
                0,
            )

    def _count(self, conn: Connection, o: Outcome, check: Check, base: set[str]) -> tuple[Outcome, int, int]:
        partial = self.suppressions.partial(o.rule.id)
        new = known = suppressed = 0
        examples: list[Finding] = []
        for e in check.stream(conn, PAGE):
            if any(Suppressions.matches(s, e) for s in partial):
                suppressed += 1
            elif entry_key(e.table, e.key) in base:
                known += 1
            else:
                new += 1
                if len(examples) < self.max_examples:
                    examples.append(e)
        status = Status.FAIL if new else Status.PASS
        return replace(o, status=status, violations=new, examples=tuple(examples)), known, suppressed
