"""Suppressions (config ``suppress:``): violations accepted for good, by rule (id or prefix), by
table, by row key, or a combination, each with a required reason."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from linter.errors import ConfigError
from linter.kinds.base import Finding
from linter.load.config import Suppression
from linter.load.rules import Rule


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
    def matches(s: Suppression, e: Finding) -> bool:
        if s.table and s.table.lower() != (e.table or "").lower():
            return False
        return all(k in e.key and _loose(e.key[k], v) for k, v in (s.key or {}).items())
