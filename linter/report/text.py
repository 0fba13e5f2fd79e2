"""``--format text``: for people. One line per violation example, then a summary line.

A finding reads ``demo.sqlite: DEMO002 warning collectionobject[CollectionObjectID=2] CatalogNumber
is NULL``: the target (a file by its relative path; a server URL as a heading of its own, so no
line starts with 55 characters of URL), the rule, its severity, ``table[key]`` and what is wrong.
Names and values are escaped (``text_names``): a newline in the database never splits a line."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from linter.hookspecs import hookimpl
from linter.model import Outcome, Status
from linter.report import text_summary
from linter.report.base import Formatter, Report
from linter.report.text_names import escape, where

COLORS = {"error": "31", "warning": "33", "info": "36", "pass": "32", "skipped": "2", "dim": "2", "bold": "1"}
MAX_IDS = 8  # rule ids named on one grouped line (-v skips, shared errors) before "+N more"

Paint = Callable[[str, str], str]


def prefix(display: str) -> tuple[str, str | None]:
    """(the start of every line, a heading line or None): a file is named on each line, a server
    URL once above its findings."""
    if "://" in display:
        return "", escape(display)
    shown = escape(display)
    return (f'"{shown}": ' if " " in shown else f"{shown}: "), None


def ids(outcomes: Sequence[Outcome]) -> str:
    names = [o.rule.id for o in outcomes]
    more = len(names) - MAX_IDS
    return ", ".join(names[:MAX_IDS]) + (f" (+{more} more)" if more > 0 else "")


class TextFormatter(Formatter):
    name = "text"
    machine = False

    def render(self, report: Report) -> str:
        c: Paint = (lambda s, k: f"\033[{COLORS[k]}m{s}\033[0m") if report.color else (lambda s, k: s)
        at, heading = prefix(report.target)
        lines: list[str] = []
        for r in report.results:
            if r.status == Status.FAIL:
                lines += self._findings(r, at, c)
            if r.diff is not None:
                lines += self._diff(r)
        lines += self._errors(report, at, c)
        if report.fix_error:
            lines.append(c(escape(report.fix_error), "error"))
        if report.verbose:
            lines += self._skips(report, at, c)
        if report.show_fixes:
            lines += text_summary.show_fixes(report.results, report.mode)
        if report.quiet:  # --quiet: the findings and nothing else
            return "".join(
                line + "\n" for line in ([c(heading, "bold")] if heading and lines else []) + lines
            )
        if heading:
            lines.insert(0, c(heading, "bold"))
        lines.append(self._summary(report, c))
        return "\n".join(lines) + "\n"

    def total(self, reports: Sequence[Report]) -> str:
        """The combined summary after several targets' reports."""
        if len(reports) < 2 or reports[0].quiet:
            return ""
        every = [o for r in reports for o in r.results]
        first = reports[0]
        line = text_summary.summary(
            every,
            mode=first.mode,
            unsafe=first.unsafe,
            verbose=first.verbose,
            fix_error=next((r.fix_error for r in reports if r.fix_error), None),
            extra={"suppressed": sum(int(r.extra.get("suppressed") or 0) for r in reports)},
            unsafe_left=sum(r.unsafe_left for r in reports),
        )
        return f"Total over {len(reports)} targets: {line}\n"

    def _findings(self, r: Outcome, at: str, c: Paint) -> list[str]:
        out: list[str] = []
        head = f"{at}{c(r.rule.id, 'bold')} {c(r.rule.severity, r.rule.severity)}"
        group = None
        for e in r.examples:
            if e.group:  # grouped examples: a heading per group, the examples indented under it
                if e.group != group:
                    out.append(f"{head} {escape(e.group)}")
                group = e.group
                out.append(f"    {where(e.table, e.key)} {escape(e.message or r.rule.title)}")
            else:
                out.append(f"{head} {where(e.table, e.key)} {escape(e.message or r.rule.title)}")
        more = r.violations - len(r.examples)
        if more > 0:
            out.append(c(f"  … {r.rule.id}: {more} more (raise --max-examples to see them)", "dim"))
        return out

    def _errors(self, report: Report, at: str, c: Paint) -> list[str]:
        """One line per distinct reason: a broken config section is one line, not one per rule."""
        by_reason: dict[str, list[Outcome]] = {}
        for r in report.results:
            if r.status == Status.ERROR:
                by_reason.setdefault(r.reason, []).append(r)
        return [
            f"{at}{c(ids(rs), 'bold')} {c('error', 'error')} could not run: {escape(reason)}"
            for reason, rs in by_reason.items()
        ]

    def _skips(self, report: Report, at: str, c: Paint) -> list[str]:
        """-v: skipped rules grouped by cause, then the packs that do not apply."""
        by_reason: dict[str, list[Outcome]] = {}
        for r in report.results:
            if r.status == Status.SKIPPED:
                by_reason.setdefault(r.reason, []).append(r)
        lines = [c(f"{at}skipped {ids(rs)}: {escape(reason)}", "skipped") for reason, rs in by_reason.items()]
        for pack, why in sorted(report.not_applicable.items()):
            lines.append(c(f"{at}pack {pack} does not apply here: {escape(why)}", "skipped"))
        return lines

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

    def _summary(self, report: Report, c: Paint) -> str:
        line = text_summary.summary(
            report.results,
            mode=report.mode,
            unsafe=report.unsafe,
            verbose=report.verbose,
            fix_error=report.fix_error,
            extra=report.extra,
            unsafe_left=report.unsafe_left,
        )
        s = report.summary
        return c(line, "error" if s["violations"] or s["errors"] else "pass")


@hookimpl
def dblint_formats() -> dict[str, type[Formatter]]:
    from linter.report.html import HtmlFormatter  # the other format for people

    return {"text": TextFormatter, "html": HtmlFormatter}
