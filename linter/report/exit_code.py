"""The exit code: ``--fail-on`` (which severities make a run fail) and ``--exit-zero``.

- 2: dblint could not do what was asked: a rule could not run, a fix rolled back because of an
  error (a failing statement, a lock timeout, a refused write, the undo), or no selected rule could
  run on the target at all (with ``--exit-zero``: 0, and the same one-line message);
- 1: findings remain (a failing rule at least as severe as ``--fail-on``, or a fix the re-check
  rolled back), unless ``--exit-zero``;
- 0: otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence

from linter.model import FixOutcome, Outcome, Status

SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}


def exit_code(
    outcomes: Sequence[Outcome],
    *,
    fail_on: str = "info",
    exit_zero: bool = False,
    fix: FixOutcome | None = None,
    nothing_ran: bool = False,
) -> int:
    if any(o.status == Status.ERROR for o in outcomes) or (fix is not None and fix.failure == "error"):
        return 2
    if nothing_ran:
        return 0 if exit_zero else 2
    if exit_zero:
        return 0
    floor = SEVERITY_RANK[fail_on]
    failing = any(o.status == Status.FAIL and SEVERITY_RANK[o.rule.severity] >= floor for o in outcomes)
    return 1 if failing or (fix is not None and fix.failure == "verify") else 0
