"""``--statistics``: violations counted per rule, over every target, as Ruff does: instead of the
findings, one line per failing rule (count, id, ``[*]`` when ``--fix`` can repair it, title),
most violations first, then a total line. ``--format json`` gives the same as a JSON list."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from linter.errors import ConfigError
from linter.model import Outcome


def statistics(results: Iterable[Outcome]) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for r in results:
        if r.status != "fail":
            continue
        row = rows.setdefault(
            r.rule.id,
            {
                "code": r.rule.id,
                "title": r.rule.title,
                "severity": r.rule.severity,
                "count": 0,
                "fixable": r.fixable,
            },
        )
        row["count"] += r.violations
    return sorted(rows.values(), key=lambda d: (-d["count"], d["code"]))


def render(results: Iterable[Outcome], fmt: str) -> str:
    rows = statistics(results)
    if fmt == "json":
        return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    if fmt != "text":
        raise ConfigError(f"--statistics prints text or json, not {fmt}")
    cw = max((len(str(r["count"])) for r in rows), default=1)
    iw = max((len(r["code"]) for r in rows), default=4)
    lines = [
        f"{r['count']:>{cw}}\t{r['code']:<{iw}}\t{'[*]' if r['fixable'] else '[ ]'} {r['title']}\n"
        for r in rows
    ]
    total = sum(r["count"] for r in rows)
    fixable = sum(r["count"] for r in rows if r["fixable"])
    rules = f"{len(rows)} rule{'s' if len(rows) != 1 else ''}"
    lines.append(
        f"{total} violation{'s' if total != 1 else ''} in {rules}"
        + (f" ({fixable} fixable: [*])" if fixable else "")
        + "\n"
    )
    return "".join(lines)
