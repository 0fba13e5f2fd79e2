"""``--format text``: for people. One line per violation example, then a summary line."""

from __future__ import annotations

from linter.hookspecs import hookimpl
from linter.model import Outcome
from linter.report.base import Formatter, Report

COLORS = {"error": "31", "warning": "33", "info": "36", "pass": "32", "skipped": "2", "dim": "2", "bold": "1"}


def _key(key: dict[str, object]) -> str:
    return ",".join(f"{k}={v}" for k, v in key.items()) or "-"


class TextFormatter(Formatter):
    name = "text"
    machine = False

    def render(self, report: Report) -> str:
        c = (lambda s, k: f"\033[{COLORS[k]}m{s}\033[0m") if report.color else (lambda s, k: s)
        lines: list[str] = []
        for r in report.results:
            if r.status == "fail":
                group = None
                for e in r.examples:
                    head = f"{report.target} {c(r.rule.id, 'bold')} {c(r.rule.severity, r.rule.severity)}"
                    if e.group:  # grouped examples: a heading per group, the examples indented under it
                        if e.group != group:
                            lines.append(f"{head} {e.group}")
                        group = e.group
                        lines.append(f"    {e.table or '-'} {_key(e.key)} {e.message}")
                    else:
                        lines.append(f"{head} {e.table or '-'} {_key(e.key)} {e.message}")
                more = r.violations - len(r.examples)
                if more > 0:
                    lines.append(c(f"  … {r.rule.id}: {more} more (raise --max-examples to see them)", "dim"))
            elif r.status == "error":
                lines.append(
                    f"{report.target} {c(r.rule.id, 'bold')} {c('error', 'error')} - - "
                    f"could not run: {r.reason}"
                )
            elif r.status == "skipped" and report.verbose:
                lines.append(c(f"{report.target} {r.rule.id} skipped: {r.reason}", "skipped"))
            if r.diff is not None:
                lines += self._diff(r)
        if report.fix_error:
            lines.append(c(report.fix_error, "error"))
        if report.verbose:
            for pack, why in sorted(report.not_applicable.items()):
                lines.append(c(f"{report.target} pack {pack} does not apply here: {why}", "skipped"))
        if report.quiet:  # --quiet: the findings and nothing else
            return "".join(line + "\n" for line in lines)
        lines.append(self._summary(report, c))
        return "\n".join(lines) + "\n"

    def _diff(self, r: Outcome) -> list[str]:
        out = [f"--- {r.rule.id} ({r.fix_safety} fix): {r.rule.title}"]
        if not r.diff:
            out.append(f"    {r.fix_unavailable or r.reason or 'no statements'}")
        for s in r.diff or []:
            rows = "? rows" if s.rows is None else f"{s.rows} row{'s' if s.rows != 1 else ''}"
            out.append(f"-- {s.summary}: {rows}" if s.summary else f"-- {rows}")
            out += [f"--   {line}" for line in s.also]
            out.append(s.sql.strip().rstrip(";") + ";")
        return out

    def _summary(self, report: Report, c: object) -> str:
        s = report.summary
        paint = c  # type: ignore[assignment]
        parts = []
        if report.mode == "fix" and not report.fix_error:
            parts.append(f"Fixed {s['fixed']} row(s).")
        if s["violations"]:
            parts.append(f"Found {s['violations']} violation(s) in {s['failed']} of {s['rules']} rule(s).")
        else:
            parts.append(f"All {s['passed']} checked rule(s) passed.")
        extra = []
        if s["skipped"]:
            extra.append(
                f"{s['skipped']} not applicable here" + ("" if report.verbose else ": -v lists them")
            )
        if s["errors"]:
            extra.append(f"{s['errors']} could not run")
        suppressed = report.extra.get("suppressed")
        if suppressed:
            extra.append(f"{suppressed} suppressed in config")
        if extra:
            parts.append("(" + ", ".join(extra) + ")")
        base = report.extra.get("baseline")
        if base:
            parts.append(f"Baseline: {base['known']} known violation(s) hidden.")
            if base["fixed"]:
                parts.append(
                    f"{base['fixed']} baseline entr{'y is' if base['fixed'] == 1 else 'ies are'} fixed now: "
                    "shrink the file with --write-baseline."
                )
        if report.mode == "check":
            failing = [r for r in report.results if r.status == "fail" and r.fixable]
            safe = sum(1 for r in failing if r.fix_safety == "safe")
            unsafe = len(failing) - safe
            if safe:
                parts.append(f"{safe} rule(s) fixable with --fix.")
            if unsafe and not report.unsafe:
                parts.append(f"{unsafe} more with --fix --unsafe-fixes.")
        elif report.mode == "fix" and report.unsafe_left:
            parts.append(f"{report.unsafe_left} rule(s) fixable with --fix --unsafe-fixes.")
        line = " ".join(parts)
        kind = "error" if s["violations"] or s["errors"] else "pass"
        return paint(line, kind)  # type: ignore[operator]


@hookimpl
def dblint_formats() -> dict[str, type[Formatter]]:
    return {"text": TextFormatter}
