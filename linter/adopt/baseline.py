"""Adopting dblint on a legacy database: baselines and suppressions.

A *baseline* (``dblint check --write-baseline FILE``) records every violation of today by
(rule, table, key); ``--baseline FILE`` then reports only violations that are not in it, and says
how many of its entries are fixed now so the file can shrink. A *suppression* (config
``suppress:``) accepts violations for good, by rule, table or key, with a required reason.

Counts and examples come from the database as usual. Only a failing rule that has baseline entries
or table/key suppressions is looked at row by row: its violation query is read again in pages of
:data:`PAGE` rows (:meth:`linter.kinds.base.Check.stream`) and filtered in Python, so memory holds
one page, the baseline's entries for that rule and the kept examples, never the whole result.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from linter import db
from linter.engine import Result, Runner
from linter.errors import ConfigError
from linter.kinds.base import Example
from linter.load.config import Suppression
from linter.load.rules import Rule

FORMAT_VERSION = 1
PAGE = 1000


def entry_key(table: str, key: dict[str, Any]) -> str:
    """Canonical text of one violation within a rule (table names compare case-insensitively)."""
    return json.dumps([(table or "").lower(), key], sort_keys=True, default=str)


def load(path: str | Path) -> dict[str, set[str]]:
    """rule id → canonical entry keys. A missing or malformed file is one clear error."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{p}: no such baseline file (create it with --write-baseline {p})") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{p}: not a dblint baseline: {exc}") from None
    if (
        not isinstance(doc, dict)
        or doc.get("dblint_baseline") != FORMAT_VERSION
        or not isinstance(doc.get("entries"), list)
    ):
        raise ConfigError(f"{p}: not a dblint baseline (version {FORMAT_VERSION})")
    out: dict[str, set[str]] = {}
    for i, e in enumerate(doc["entries"]):
        if (
            not isinstance(e, dict)
            or not isinstance(e.get("rule"), str)
            or not isinstance(e.get("key"), dict)
        ):
            raise ConfigError(f"{p}: entries[{i}] is not {{rule, table, key}}")
        out.setdefault(e["rule"], set()).add(entry_key(e.get("table") or "", e["key"]))
    return out


def _loose(a: Any, b: Any) -> bool:
    # A key written in YAML (5, "5") matches the database's value either way.
    return a == b or str(a) == str(b)


@dataclass
class Suppressions:
    entries: Sequence[Suppression] = ()

    def check_known(self, rules: Iterable[Rule]) -> None:
        ids = [r.id for r in rules]
        for i, s in enumerate(self.entries):
            if s.rule and not any(rid.startswith(s.rule.upper()) for rid in ids):
                raise ConfigError(f"suppress[{i}]: rule {s.rule} matches no loaded rule (see `dblint rules`)")

    def _for(self, rule_id: str) -> list[Suppression]:
        return [s for s in self.entries if not s.rule or rule_id.startswith(s.rule.upper())]

    def whole_rule(self, rule_id: str) -> Suppression | None:
        return next((s for s in self._for(rule_id) if not s.table and not s.key), None)

    def partial(self, rule_id: str) -> list[Suppression]:
        return [s for s in self._for(rule_id) if s.table or s.key]

    @staticmethod
    def matches(s: Suppression, e: Example) -> bool:
        if s.table and s.table.lower() != (e.table or "").lower():
            return False
        return all(k in e.key and _loose(e.key[k], v) for k, v in (s.key or {}).items())


@dataclass
class Adoption:
    """Applies suppressions and a baseline to one target's results."""

    suppressions: Suppressions = field(default_factory=Suppressions)
    baseline: dict[str, set[str]] | None = None
    max_examples: int = 20

    # --- before the run: whole-rule suppressions do not run at all ------------------------------

    def split(self, rules: Sequence[Rule]) -> tuple[list[Rule], dict[str, Result]]:
        self.suppressions.check_known(rules)
        run, skipped = [], {}
        for r in rules:
            s = self.suppressions.whole_rule(r.id)
            if s is None:
                run.append(r)
            else:
                skipped[r.id] = Result(r, status="skipped", reason=f"suppressed in config: {s.reason}")
        return run, skipped

    @staticmethod
    def merge(rules: Sequence[Rule], results: Sequence[Result], skipped: dict[str, Result]) -> list[Result]:
        by_id = {r.rule.id: r for r in results}
        return [by_id.get(r.id) or skipped[r.id] for r in rules if r.id in by_id or r.id in skipped]

    # --- fix: suppressed rows are accepted, so --fix must not touch them ------------------------

    def fixable(self, results: Sequence[Result]) -> list[Result]:
        """Results to hand to ``Runner.fix``: a failing rule with table/key suppressions is shown
        as not failing (its count kept, so the re-check still notices it getting worse), because
        its set-based fix would also rewrite the suppressed rows."""
        return [
            dataclasses.replace(r, status="pass")
            if r.status == "fail" and self.suppressions.partial(r.rule.id)
            else r
            for r in results
        ]

    # --- after the run: hide what is suppressed or known -----------------------------------------

    def apply(self, runner: Runner, results: Sequence[Result]) -> tuple[list[Result], dict[str, Any]]:
        known_total = fixed_total = suppressed_total = 0
        out: list[Result] = []
        todo = [
            r
            for r in results
            if r.status == "fail"
            and (self.suppressions.partial(r.rule.id) or (self.baseline or {}).get(r.rule.id))
        ]
        filtered: dict[str, tuple[Result, int, int]] = {}
        if todo:
            with db.read_only(runner.engine, runner.timeouts) as conn:
                for r in todo:
                    filtered[r.rule.id] = self._filter(runner, conn, r)
        for r in results:
            base = (self.baseline or {}).get(r.rule.id, set())
            if r.rule.id in filtered:
                new, known, suppressed = filtered[r.rule.id]
                known_total += known
                suppressed_total += suppressed
                fixed_total += len(base) - known
                out.append(new)
            else:
                if r.status != "error":  # a rule that could not run says nothing about its entries
                    fixed_total += len(base)
                out.append(r)
        extra: dict[str, Any] = {}
        if self.baseline is not None:
            extra["baseline"] = {
                "entries": sum(len(v) for v in self.baseline.values()),
                "known": known_total,
                "fixed": fixed_total,
            }
        if suppressed_total or self.suppressions.entries:
            extra["suppressed"] = suppressed_total
        return out, extra

    def _filter(self, runner: Runner, conn: Any, r: Result) -> tuple[Result, int, int]:
        partial = self.suppressions.partial(r.rule.id)
        base = (self.baseline or {}).get(r.rule.id, set())
        check = r.rule.kind.check(runner.context(r.rule), r.rule.params)
        new = known = suppressed = 0
        examples: list[Example] = []
        with conn.begin_nested():
            for e in check.stream(conn, PAGE):
                if any(Suppressions.matches(s, e) for s in partial):
                    suppressed += 1
                elif entry_key(e.table, e.key) in base:
                    known += 1
                else:
                    new += 1
                    if len(examples) < self.max_examples:
                        examples.append(e)
        status = "fail" if new else "pass"
        return dataclasses.replace(r, status=status, violations=new, examples=examples), known, suppressed


def write(runner: Runner, results: Sequence[Result], path: str | Path, suppressions: Suppressions) -> int:
    """Stream every violation of every failing rule to ``path`` (sorted by rule, table, key, so
    the file diffs well); return the number of entries. Suppressed violations are left out."""
    p = Path(path)
    tmp = p.with_name(p.name + ".tmp")
    n = 0
    failing = sorted((r for r in results if r.status == "fail"), key=lambda r: r.rule.id)
    with db.read_only(runner.engine, runner.timeouts) as conn, tmp.open("w", encoding="utf-8") as fh:
        fh.write(f'{{"dblint_baseline": {FORMAT_VERSION}, "entries": [')
        for r in failing:
            partial = suppressions.partial(r.rule.id)
            check = r.rule.kind.check(runner.context(r.rule), r.rule.params)
            with conn.begin_nested():
                for e in check.stream(conn, PAGE):
                    if any(Suppressions.matches(s, e) for s in partial):
                        continue
                    entry = {"rule": r.rule.id, "table": e.table, "key": e.key}
                    fh.write(("," if n else "") + "\n  " + json.dumps(entry, ensure_ascii=False, default=str))
                    n += 1
        fh.write("\n]}\n")
    tmp.replace(p)  # a crash half way leaves the old baseline, not half a new one
    return n


def write_and_report(runner: Runner, results: Sequence[Result], path: str | Path, adopt: Adoption) -> None:
    """--write-baseline: write the file, say so on stderr, and report against it from now on."""
    import sys

    n = write(runner, results, path, adopt.suppressions)
    print(f"dblint: wrote {n} baseline entr{'y' if n == 1 else 'ies'} to {path}", file=sys.stderr)
    adopt.baseline = load(path)
