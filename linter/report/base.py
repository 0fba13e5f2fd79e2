"""What a format receives: the whole run as data. A format never queries the database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from linter import __version__
from linter.model import Outcome, summarize


@dataclass
class Report:
    target: str  # password masked
    results: Sequence[Outcome]
    mode: str = "check"  # check | fix | diff
    unsafe: bool = False
    fix_error: str | None = None
    max_examples: int = 20
    verbose: bool = False
    color: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    version: str = __version__
    quiet: bool = False  # --quiet: only the violations, no summary
    # Packs whose rules do not apply to this target, with the reason (-v lists them).
    not_applicable: dict[str, str] = field(default_factory=dict)
    # Failing rules whose unsafe fix is available but was not applied (needs --unsafe-fixes).
    unsafe_left: int = 0
    show_fixes: bool = False  # --show-fixes: list each failing rule's fix (or, after --fix, what it did)

    @property
    def summary(self) -> dict[str, int]:
        return summarize(self.results)


class Formatter:
    """Subclass, set ``name``, implement :meth:`render`. ``machine`` formats get no colour and no
    progress output."""

    name: ClassVar[str]
    machine: ClassVar[bool] = True

    def render(self, report: Report) -> str:
        raise NotImplementedError

    def join(self, docs: list[str]) -> str:
        """One output from the documents of several targets (formats with one root override)."""
        return "".join(docs)

    def total(self, reports: Sequence[Report]) -> str:
        """What follows the joined documents of several targets (text: a combined summary)."""
        return ""


def result_dict(r: Outcome) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": r.rule.id,
        "title": r.rule.title,
        "severity": r.rule.severity,
        "status": r.status,
        "violations": r.violations,
        "fixable": r.fixable,
        "fix_safety": r.fix_safety,
        "fixed": r.fixed,
        "fix_unavailable": r.fix_unavailable,
        "reason": r.reason,
        "kind": r.rule.kind.name,
        "pack": r.rule.pack,
        "seconds": round(r.seconds, 6),
        "examples": [
            {
                "table": e.table,
                "key": e.key,
                "message": e.message or r.rule.title,  # a sql rule's row may carry only its key
                **({"group": e.group} if e.group else {}),
            }
            for e in r.examples
        ],
    }
    if r.diff is not None:
        d["diff"] = [
            {"sql": s.sql, "rows": s.rows, "summary": s.summary, **({"also": s.also} if s.also else {})}
            for s in r.diff
        ]
    return d
