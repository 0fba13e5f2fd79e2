"""``--format json``: exactly one JSON document (the contract in the README)."""

from __future__ import annotations

import json

from linter.hookspecs import hookimpl
from linter.report.base import Formatter, Report, result_dict


class JsonFormatter(Formatter):
    name = "json"

    def render(self, report: Report) -> str:
        doc = {
            "dblint": report.version,
            "target": report.target,
            "mode": report.mode,
            "rules": [result_dict(r) for r in report.results],
            "summary": report.summary,
        }
        if report.fix_error:
            doc["fix_error"] = report.fix_error
        doc.update(report.extra)
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"

    def join(self, docs: list[str]) -> str:
        if len(docs) <= 1:
            return "".join(docs)
        return json.dumps({"targets": [json.loads(d) for d in docs]}, indent=2, ensure_ascii=False) + "\n"


@hookimpl
def dblint_formats() -> dict[str, type[Formatter]]:
    return {"json": JsonFormatter}
