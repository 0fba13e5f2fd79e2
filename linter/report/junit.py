"""``--format junit``: JUnit XML, which every CI server displays as test results.

One ``testsuite`` per target, one ``testcase`` per rule: a failing rule is a ``failure`` (its
examples in the body), a rule that could not run an ``error``, a skipped rule ``skipped``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from linter.hookspecs import hookimpl
from linter.report.base import Formatter, Report


def _key(key: dict[str, object]) -> str:
    return ",".join(f"{k}={v}" for k, v in key.items()) or "-"


class JunitFormatter(Formatter):
    name = "junit"

    def suite(self, report: Report) -> ET.Element:
        s = report.summary
        suite = ET.Element(
            "testsuite",
            name=report.target,
            tests=str(s["rules"]),
            failures=str(s["failed"]),
            errors=str(s["errors"]),
            skipped=str(s["skipped"]),
            time=f"{sum(r.seconds for r in report.results):.3f}",
        )
        for r in report.results:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"dblint.{r.rule.pack or 'local'}",
                name=f"{r.rule.id}: {r.rule.title}",
                time=f"{r.seconds:.3f}",
            )
            if r.status == "fail":
                lines = [f"{e.table or '-'} {_key(e.key)} {e.message or r.rule.title}" for e in r.examples]
                more = r.violations - len(r.examples)
                if more > 0:
                    lines.append(f"... {more} more (raise --max-examples to see them)")
                el = ET.SubElement(
                    case, "failure", message=f"{r.violations} violation(s)", type=r.rule.severity
                )
                el.text = "\n".join(lines)
            elif r.status == "error":
                ET.SubElement(case, "error", message=r.reason, type="error")
            elif r.status == "skipped":
                ET.SubElement(case, "skipped", message=r.reason)
        if report.fix_error:  # a rolled-back fix: said once, for the whole target
            ET.SubElement(suite, "system-err").text = report.fix_error
        return suite

    def render(self, report: Report) -> str:
        return self._document([self.suite(report)])

    def _document(self, suites: list[ET.Element]) -> str:
        root = ET.Element("testsuites", name="dblint")
        for attr in ("tests", "failures", "errors", "skipped"):
            root.set(attr, str(sum(int(s.get(attr, "0")) for s in suites)))
        root.extend(suites)
        ET.indent(root)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"

    def join(self, docs: list[str]) -> str:
        if len(docs) <= 1:
            return "".join(docs)
        return self._document([s for d in docs for s in ET.fromstring(d.split("\n", 1)[1])])


@hookimpl
def dblint_formats() -> dict[str, type[Formatter]]:
    return {"junit": JunitFormatter}
