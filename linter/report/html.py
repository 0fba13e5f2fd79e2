"""``--format html``: one self-contained page to open in a browser or attach to a ticket.

No script, font, image or stylesheet is fetched (the CSS is inline; a Content-Security-Policy
forbids anything else), so the page looks the same offline and leaks nothing. It opens with a
summary by pack and severity, then each failing rule (description, examples, and with ``--diff``
the SQL its fix would run) in a ``<details>`` block: thousands of findings stay one screen of
headings until a rule is opened. Every value from the database is HTML-escaped."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from linter.model import Outcome, Status
from linter.report.base import Formatter, Report
from linter.report.text_names import where
from linter.report.text_summary import summary

SEVERITIES = ("error", "warning", "info")
OPEN_RULES = 20  # failing rules shown open; the rest start folded

CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1c1e21;background:#f6f7f9}
header{background:#22272e;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}
header p{margin:4px 0 0;color:#c9d1d9}main{padding:8px 24px 40px;max-width:1200px}
section.target{margin-top:18px}h2{font-size:18px;margin:18px 0 8px;word-break:break-all}
table{border-collapse:collapse;background:#fff;margin:6px 0 12px}
th,td{border:1px solid #d8dee4;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef1f4}td.n{text-align:right;font-variant-numeric:tabular-nums}
details{background:#fff;border:1px solid #d8dee4;border-radius:6px;margin:8px 0;padding:0 12px}
summary{cursor:pointer;padding:8px 0;font-weight:600}summary .t{font-weight:400}
.sev{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600;color:#fff}
.error{background:#cf222e}.warning{background:#bf8700}.info{background:#0969da}.pass{background:#1a7f37}
.desc{white-space:pre-wrap;margin:4px 0 10px}pre{background:#f0f2f4;padding:8px;overflow:auto}
.note{color:#57606a}.summaryline{font-weight:600;margin:8px 0}code{word-break:break-all}
"""


def _sev(severity: str) -> str:
    return f'<span class="sev {escape(severity)}">{escape(severity)}</span>'


def by_pack(results: Sequence[Outcome]) -> str:
    """Failing rules and their violations per pack and severity, with the passes and others."""
    packs = sorted({r.rule.pack or "local" for r in results})
    head = "".join(f"<th>{_sev(s)}</th>" for s in SEVERITIES)
    rows = []
    for pack in packs:
        mine = [r for r in results if (r.rule.pack or "local") == pack]
        cells = []
        for s in SEVERITIES:
            failing = [r for r in mine if r.status == Status.FAIL and r.rule.severity == s]
            n = sum(r.violations for r in failing)
            cells.append(f'<td class="n">{f"{n} in {len(failing)}" if failing else "–"}</td>')
        passed = sum(r.status == Status.PASS for r in mine)
        other = sum(r.status in (Status.SKIPPED, Status.ERROR) for r in mine)
        rows.append(
            f"<tr><td>{escape(pack)}</td>{''.join(cells)}<td class='n'>{passed}</td>"
            f"<td class='n'>{other}</td></tr>"
        )
    return (
        "<table><tr><th>pack</th>"
        + head
        + "<th>passed</th><th>skipped / could not run</th></tr>"
        + "".join(rows)
        + "</table><p class='note'>cells: violations in failing rules</p>"
    )


def rule_block(r: Outcome, n: int) -> str:
    desc = (r.rule.spec.description or "").strip()
    more = r.violations - len(r.examples)
    rows = "".join(
        f"<tr><td><code>{escape(where(e.table, e.key))}</code></td>"
        f"<td>{escape(e.message or r.rule.title)}</td></tr>"
        for e in r.examples
    )
    parts = [
        f"<details{' open' if n < OPEN_RULES else ''} id='{escape(r.rule.id)}'><summary>"
        f"{escape(r.rule.id)} {_sev(r.rule.severity)} <span class='t'>{escape(r.rule.title)} — "
        f"{r.violations} violation{'s' if r.violations != 1 else ''}</span></summary>",
        f"<p class='note'>pack {escape(r.rule.pack or 'local')} · kind {escape(r.rule.kind.name)} · "
        + (
            f"{escape(r.fix_safety or '')} fix"
            + (f" (unavailable here: {escape(r.fix_unavailable)})" if r.fix_unavailable else "")
            if r.rule.fix is not None
            else "no fix: repair by hand"
        )
        + "</p>",
    ]
    if desc:
        parts.append(f"<div class='desc'>{escape(desc)}</div>")
    if rows:
        parts.append(f"<table><tr><th>row</th><th>what is wrong</th></tr>{rows}</table>")
    if more > 0:
        parts.append(f"<p class='note'>… {more} more (raise --max-examples to see them)</p>")
    if r.diff is not None:
        parts.append(_diff(r))
    parts.append("</details>")
    return "".join(parts)


def _diff(r: Outcome) -> str:
    if not r.diff:
        return f"<p class='note'>fix: {escape(r.fix_unavailable or r.reason or 'no statements')}</p>"
    out = ["<p><b>The SQL its fix would run</b></p>"]
    for s in r.diff:
        rows = "? rows" if s.rows is None else f"{s.rows} row{'s' if s.rows != 1 else ''}"
        head = f"-- {s.summary}: {rows}" if s.summary else f"-- {rows}"
        also = "".join(f"\n--   {line}" for line in s.also)
        out.append(f"<pre>{escape(head + also)}\n{escape(s.sql.strip().rstrip(';'))};</pre>")
    return "".join(out)


class HtmlFormatter(Formatter):
    name = "html"
    machine = True  # no terminal colour, no progress line: it goes to a file

    def render(self, report: Report) -> str:
        failing = [r for r in report.results if r.status == Status.FAIL]
        errors = [r for r in report.results if r.status == Status.ERROR]
        skipped = [r for r in report.results if r.status == Status.SKIPPED]
        line = summary(
            report.results,
            mode=report.mode,
            unsafe=report.unsafe,
            verbose=True,
            fix_error=report.fix_error,
            extra=report.extra,
            unsafe_left=report.unsafe_left,
        )
        out = [
            f"<section class='target'><h2>{escape(report.target)}</h2>",
            f"<p class='summaryline'>{escape(line)}</p>",
            by_pack(report.results),
        ]
        if report.fix_error:
            out.append(f"<p><span class='sev error'>fix rolled back</span> {escape(report.fix_error)}</p>")
        out += [rule_block(r, n) for n, r in enumerate(failing)]
        if errors:
            out.append("<h3>Could not run</h3><table><tr><th>rule</th><th>why</th></tr>")
            out += [f"<tr><td>{escape(r.rule.id)}</td><td>{escape(r.reason)}</td></tr>" for r in errors]
            out.append("</table>")
        if skipped or report.not_applicable:
            out.append(f"<details><summary>Not run here ({len(skipped)} skipped rules)</summary><table>")
            out += [f"<tr><td>{escape(r.rule.id)}</td><td>{escape(r.reason)}</td></tr>" for r in skipped]
            out += [
                f"<tr><td>pack {escape(p)}</td><td>does not apply: {escape(why)}</td></tr>"
                for p, why in sorted(report.not_applicable.items())
            ]
            out.append("</table></details>")
        out.append("</section>")
        return "\n".join(out) + "\n"

    def join(self, docs: list[str]) -> str:
        from linter import __version__

        return (
            "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
            "style-src 'unsafe-inline'\">"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>dblint report</title><style>{CSS}</style></head><body>"
            f"<header><h1>dblint report</h1><p>dblint {escape(__version__)}</p></header><main>\n"
            + "".join(docs)
            + "</main></body></html>\n"
        )
