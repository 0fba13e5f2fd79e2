"""Putting a run together from config, flags and plugins: used by the CLI and by the pytest
fixture, so both load rules exactly the same way."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from linter import db
from linter.engine import Result, Runner
from linter.errors import ConfigError, DblintError, TargetError, shown
from linter.load import plugins, rules
from linter.load.config import Config


@dataclass
class App:
    config: Config
    pm: Any
    kinds: dict[str, Any]
    ruleset: rules.RuleSet
    handlers: dict[str, Any]
    formats: dict[str, Any]
    variables: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(
        cls,
        config: Config,
        *,
        extra_rules: Sequence[str | Path] = (),
        disabled_packs: Sequence[str] = (),
        variables: Mapping[str, Any] | None = None,
        builtin_packs: bool = True,
    ) -> App:
        disabled = [*config.disable_packs, *disabled_packs]
        pm = plugins.get_plugin_manager(disabled)
        kinds = plugins.collect_kinds(pm)
        sources = plugins.rule_sources(pm) if builtin_packs else []
        sources += [(p, "config", "") for p in config.rule_sources()]
        sources += [(Path(p), "local", "") for p in extra_rules]
        ruleset = rules.load(sources, kinds)
        merged = dict(ruleset.variables)
        for name, value in [*config.vars.items(), *(variables or {}).items()]:
            if name not in ruleset.variables:
                known = ", ".join(sorted(ruleset.variables)) or "none"
                raise ConfigError(
                    f"unknown variable {shown(name)} (variables declared by the loaded rules: {known})"
                )
            merged[name] = value
        return cls(
            config,
            pm,
            kinds,
            ruleset,
            plugins.collect_handlers(pm),
            plugins.collect_formats(pm),
            merged,
        )

    def select(self, selected: Iterable[str] = (), ignored: Iterable[str] = ()) -> list[rules.Rule]:
        sel = rules.parse_codes(selected or self.config.select)  # --select replaces the config's select
        ign = rules.parse_codes([*self.config.ignore, *ignored])
        known = [r.id for r in self.ruleset.rules]
        for code in [*sel, *ign]:
            if code != "ALL" and not any(k.startswith(code) for k in known):
                raise ConfigError(f"{code} matches no loaded rule (see `dblint rules`)")
        return rules.select(self.ruleset.rules, sel, ign)

    def target_url(self, target: str | None) -> Any:
        raw = target or self.config.database.url or db.env_url()
        if not raw:
            raise TargetError(
                "no database: give a TARGET (URL or SQLite file), database.url in the config, "
                "or DBLINT_DATABASE_URL"
            )
        if target is None and "://" not in raw:
            raw = str((self.config.root / raw).resolve()) if not os.path.isabs(raw) else raw
        return db.parse_target(raw)

    def runner(
        self, target: str | None, rules_: Sequence[rules.Rule], *, jobs: int | None = None, **kw: Any
    ) -> Runner:
        url = self.target_url(target)
        timeouts = db.Timeouts(self.config.database.statement_timeout, self.config.database.lock_timeout)
        if jobs is None:
            # check only reads, so SQLite files run rules in parallel too (one connection each);
            # an in-memory SQLite database is narrowed to one connection by the planner.
            jobs = self.config.jobs or (os.cpu_count() or 1)
        engine = db.create_engine(url, pool_size=max(5, jobs + 1), timeouts=timeouts)
        return Runner(
            engine,
            rules_,
            variables=self.variables,
            handlers=self.handlers,
            timeouts=timeouts,
            max_examples=kw.pop("max_examples", self.config.max_examples),
            jobs=jobs,
            schema=self.config.database.schema_name,
            config=self.config,
            **kw,
        )


def parse_vars(items: Iterable[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--var {shown(item)}: expected NAME=VALUE")
        try:
            out[name.strip()] = yaml.safe_load(value) if value.strip() else None
        except yaml.YAMLError:
            out[name.strip()] = value
    return out


def display_target(url: Any) -> str:
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        try:
            return os.path.relpath(url.database)
        except ValueError:
            return str(url.database)
    return db.mask_url(url)


def exit_code(results: Sequence[Result]) -> int:
    if any(r.status == "error" for r in results):
        return 2
    return 1 if any(r.status == "fail" for r in results) else 0


__all__ = ["App", "DblintError", "display_target", "exit_code", "parse_vars"]
