"""``--format sarif``: SARIF 2.1.0, for code-scanning dashboards (GitHub, GitLab, IDEs).

One SARIF ``run`` per target. Each violation example is one ``result`` whose logical location is
the table and row key; when a rule has more violations than examples, one more result says how
many were left out, so a dashboard never shows a partial count as the whole. Rules that could not
run become tool execution notifications and mark the run unsuccessful.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from linter.hookspecs import hookimpl
from linter.model import Outcome
from linter.report.base import Formatter, Report

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def fingerprint(rule_id: str, table: str, key: dict[str, Any]) -> str:
    """Stable across runs: the same violation (rule, table, key) has the same fingerprint."""
    raw = json.dumps([rule_id, table, key], sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def _key_text(key: dict[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in key.items())


def _rule_descriptor(r: Outcome) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": r.rule.id,
        "shortDescription": {"text": r.rule.title},
        "defaultConfiguration": {"level": LEVELS[r.rule.severity]},
        "properties": {"pack": r.rule.pack, "kind": r.rule.kind.name, "fixable": r.fixable},
    }
    if r.rule.spec.description:
        d["fullDescription"] = {"text": r.rule.spec.description.strip()}
    return d


def _results(r: Outcome, index: int, target: str) -> list[dict[str, Any]]:
    out = []
    artifact = {"artifactLocation": {"uri": target}}
    for e in r.examples:
        table = e.table or ""
        out.append(
            {
                "ruleId": r.rule.id,
                "ruleIndex": index,
                "level": LEVELS[r.rule.severity],
                "message": {"text": f"{r.rule.title}: {e.message}" if e.message else r.rule.title},
                "locations": [
                    {
                        "physicalLocation": artifact,
                        "logicalLocations": [
                            {
                                "name": _key_text(e.key) or table,
                                "fullyQualifiedName": f"{table}/{_key_text(e.key)}",
                                "kind": "row",
                            }
                        ],
                    }
                ],
                "partialFingerprints": {"dblintViolation/v1": fingerprint(r.rule.id, table, e.key)},
                "properties": {"table": table, "key": e.key},
            }
        )
    more = r.violations - len(r.examples)
    if more > 0:
        out.append(
            {
                "ruleId": r.rule.id,
                "ruleIndex": index,
                "level": LEVELS[r.rule.severity],
                "message": {
                    "text": f"{r.rule.title}: {more} more violation(s) not listed (raise --max-examples)"
                },
                "locations": [{"physicalLocation": artifact}],
                "properties": {"omitted": more},
            }
        )
    return out


class SarifFormatter(Formatter):
    name = "sarif"

    def render(self, report: Report) -> str:
        return json.dumps(self.document([self.run(report)]), indent=2, ensure_ascii=False) + "\n"

    def run(self, report: Report) -> dict[str, Any]:
        ran = [r for r in report.results if r.status != "skipped"]
        results: list[dict[str, Any]] = []
        for i, r in enumerate(ran):
            if r.status == "fail":
                results += _results(r, i, report.target)
        notes = [
            {
                "level": "error",
                "message": {"text": f"{r.rule.id} could not run: {r.reason}"},
                "descriptor": {"id": r.rule.id, "index": i},
            }
            for i, r in enumerate(ran)
            if r.status == "error"
        ]
        if report.fix_error:
            notes.append({"level": "error", "message": {"text": report.fix_error}})
        return {
            "tool": {
                "driver": {
                    "name": "dblint",
                    "version": report.version,
                    "informationUri": "https://pypi.org/project/dblint/",
                    "rules": [_rule_descriptor(r) for r in ran],
                }
            },
            "invocations": [{"executionSuccessful": not notes, "toolExecutionNotifications": notes}],
            "results": results,
            "properties": {"target": report.target, "mode": report.mode, "summary": report.summary},
        }

    @staticmethod
    def document(runs: list[dict[str, Any]]) -> dict[str, Any]:
        return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": runs}

    def join(self, docs: list[str]) -> str:
        if len(docs) <= 1:
            return "".join(docs)
        runs = [run for d in docs for run in json.loads(d)["runs"]]
        return json.dumps(self.document(runs), indent=2, ensure_ascii=False) + "\n"


@hookimpl
def dblint_formats() -> dict[str, type[Formatter]]:
    return {"sarif": SarifFormatter}
