"""Loading: config, plugins, rules and variables put together (:class:`App`), the same way for every
command and for the pytest fixture. A check run (linter.run) takes an App and its options."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from linter.errors import ConfigError, shown
from linter.load import plugins, rules
from linter.load.config import Config
from linter.load.variables import convert


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
        _known_packs(config.disable_packs, f"{config.shown_source}: disable_packs")
        _known_packs(disabled_packs, "--disable-pack")
        pm = plugins.get_plugin_manager(disabled)
        # Packs' config sections (dblint_config_sections) can only be validated now that they are loaded.
        plugins.bind_config_sections(config, pm, disabled)
        kinds = plugins.collect_kinds(pm)
        sources = plugins.rule_sources(pm) if builtin_packs else []
        # Packs' rules are validated when a run selects them where their pack applies; the user's
        # own files (config, --rules) at once, so a mistake there is never hidden by --select.
        packs = {pack for _, pack, _ in sources}
        sources += [(p, "config", "") for p in config.rule_sources()]
        sources += [(Path(p), "local", "") for p in extra_rules]
        ruleset = rules.load(sources, kinds, lazy=packs - {"config", "local"})
        merged = dict(ruleset.variables)
        given = [(n, v, False) for n, v in config.vars.items()]
        given += [(n, v, True) for n, v in (variables or {}).items()]
        for name, value, text in given:
            if name not in ruleset.variables:
                known = ", ".join(sorted(ruleset.variables)) or "none"
                raise ConfigError(
                    f"unknown variable {shown(name)} (variables declared by the loaded rules: {known})"
                )
            # --var gives text: typed only as the rule file declares (the config's YAML has types).
            spec = ruleset.var_specs.get(name)
            merged[name] = convert(name, spec, value) if text and isinstance(value, str) else value
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
        from linter.targets.target import resolve_url

        return resolve_url(target, self.config)


def _known_packs(names: Iterable[str], where: str) -> None:
    """A misspelt pack name would silently disable nothing: refuse it, with "did you mean"."""
    import difflib
    from importlib import metadata

    names = list(names)
    if not names:
        return
    known = sorted({ep.name for ep in metadata.entry_points(group="dblint")})
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ConfigError(
                f"{where.lstrip(': ')}: no rule pack {shown(name)} ({hint}installed: {', '.join(known)})"
            )


def parse_vars(items: Iterable[str]) -> dict[str, Any]:
    """``--var NAME=VALUE`` as written: the text, typed later by the rule file's declaration
    (:mod:`linter.load.variables`); an empty VALUE is NULL."""
    out: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--var {shown(item)}: expected NAME=VALUE")
        out[name.strip()] = value if value.strip() else None
    return out


def display_target(url: Any) -> str:
    from linter.targets.target import display_name

    return display_name(url)


__all__ = ["App", "display_target", "parse_vars"]
