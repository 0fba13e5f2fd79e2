"""The exit code: ``--fail-on`` (which severities make a run fail) and ``--exit-zero``."""

from __future__ import annotations

from collections.abc import Sequence

from linter.engine import Result

SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}


def exit_code(
    results: Sequence[Result], *, fail_on: str = "info", exit_zero: bool = False, fix_failed: bool = False
) -> int:
    """2 when a rule could not run (whatever the flags: that is dblint failing, not the data);
    else 1 when a failing rule is at least as severe as ``fail_on`` (or a fix was rolled back),
    unless ``exit_zero``; else 0."""
    if any(r.status == "error" for r in results):
        return 2
    if exit_zero:
        return 0
    floor = SEVERITY_RANK[fail_on]
    failing = any(r.status == "fail" and SEVERITY_RANK[r.rule.severity] >= floor for r in results)
    return 1 if failing or fix_failed else 0
