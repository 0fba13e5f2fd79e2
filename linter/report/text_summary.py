"""The text format's closing lines: what ran, what failed, what a fix would repair, counted in
words that say whether a number is rules or rows (violations). The same sentence serves one target
and the combined total over several."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from linter.model import Outcome, Status
from linter.report.text_names import plural


def ran_line(results: Sequence[Outcome]) -> str:
    """``Ran 9 rules: 7 failed with 10 violations, 2 passed.`` (or ``No rule ran.``)."""
    failed = [r for r in results if r.status == Status.FAIL]
    passed = sum(r.status == Status.PASS for r in results)
    errors = sum(r.status == Status.ERROR for r in results)
    ran = len(failed) + passed + errors
    if not ran:
        return "No rule ran."
    parts = []
    if failed:
        violations = sum(r.violations for r in failed)
        parts.append(f"{len(failed)} failed with {plural(violations, 'violation')}")
    if passed:
        parts.append(f"{passed} passed")
    if errors:
        parts.append(f"{errors} could not run")
    return f"Ran {plural(ran, 'rule')}: {', '.join(parts)}."


def not_run_line(results: Sequence[Outcome], suppressed_rows: int, verbose: bool) -> str:
    skipped = [r for r in results if r.status == Status.SKIPPED]
    off = sum(r.reason.startswith("suppressed in config") for r in skipped)
    parts = []
    if len(skipped) - off:
        parts.append(f"{plural(len(skipped) - off, 'rule')} skipped" + ("" if verbose else " (-v says why)"))
    if off:
        parts.append(f"{plural(off, 'rule')} suppressed in config")
    if suppressed_rows:
        parts.append(f"{plural(suppressed_rows, 'violation')} suppressed in config")
    return "; ".join(parts) + "." if parts else ""


def fixable_line(results: Iterable[Outcome], unsafe: bool) -> str:
    """``--fix repairs 3 violations of 2 rules; --unsafe-fixes adds 4 violations of 1 rule.``"""
    failing = [r for r in results if r.status == Status.FAIL and r.fixable]
    safe = [r for r in failing if r.fix_safety == "safe" or unsafe]
    rest = [r for r in failing if r not in safe]
    parts = []
    if safe:
        flag = "--fix --unsafe-fixes" if unsafe else "--fix"
        parts.append(f"{flag} repairs {_count(safe)}")
    if rest:
        if safe:
            parts.append(f"--unsafe-fixes adds {_count(rest)}")
        else:
            parts.append(f"--fix --unsafe-fixes repairs {_count(rest)}")
    return "; ".join(parts) + "." if parts else ""


def _count(rules: Sequence[Outcome]) -> str:
    return f"{plural(sum(r.violations for r in rules), 'violation')} of {plural(len(rules), 'rule')}"


def baseline_lines(base: dict[str, Any] | None) -> list[str]:
    if not base:
        return []
    out = [f"Baseline: {base['known']} known violation(s) hidden."]
    if base["fixed"]:
        out.append(
            f"{base['fixed']} baseline entr{'y is' if base['fixed'] == 1 else 'ies are'} fixed now: "
            "shrink the file with --write-baseline."
        )
    return out


def summary(
    results: Sequence[Outcome],
    *,
    mode: str,
    unsafe: bool,
    verbose: bool,
    fix_error: str | None = None,
    extra: dict[str, Any] | None = None,
    unsafe_left: int = 0,
) -> str:
    extra = extra or {}
    parts = []
    if mode == "fix" and not fix_error:
        parts.append(f"Fixed {plural(sum(r.fixed for r in results), 'row')}.")
    parts.append(ran_line(results))
    parts.append(not_run_line(results, int(extra.get("suppressed") or 0), verbose))
    parts += baseline_lines(extra.get("baseline"))
    if mode == "check":
        parts.append(fixable_line(results, unsafe))
    elif mode == "fix" and unsafe_left:
        parts.append(f"{plural(unsafe_left, 'more rule')} can be fixed with --fix --unsafe-fixes.")
    return " ".join(p for p in parts if p)


def show_fixes(results: Sequence[Outcome], mode: str) -> list[str]:
    """``--show-fixes``: after --fix the rows each rule's fix changed; otherwise the fix each
    failing rule has (``[*]`` safe, ``[!]`` unsafe, ``[ ]`` unavailable here, with why)."""
    if mode == "fix":
        done = [r for r in results if r.fixed]
        return (
            ["Fixed:"] + [f"  {r.rule.id} {plural(r.fixed, 'row')}: {r.rule.title}" for r in done]
            if done
            else []
        )
    lines = []
    for r in results:
        if r.status != Status.FAIL or r.rule.fix is None:
            continue
        mark = "[ ]" if not r.fixable else "[*]" if r.fix_safety == "safe" else "[!]"
        why = f" (unavailable here: {r.fix_unavailable})" if r.fix_unavailable else ""
        lines.append(f"  {mark} {r.rule.id} {r.fix_safety} fix, {plural(r.violations, 'violation')}{why}")
    return ["Fixes ([*] --fix, [!] --fix --unsafe-fixes):", *lines] if lines else []
