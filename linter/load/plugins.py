"""The plugin manager: built-in plugins first, then installed packs (entry point group ``dblint``).

Built-ins go through the same hooks as third-party packs; a pack that fails to import is named and
skipped with a warning instead of taking dblint down.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any, cast

import pluggy

from linter import hookspecs
from linter.errors import DblintError

BUILTIN_MODULES = (
    "linter.kinds.row_exists",
    "linter.kinds.not_null",
    "linter.kinds.unique",
    "linter.kinds.reference",
    "linter.kinds.sql",
    "linter.kinds.foreign_keys",
    "linter.kinds.primary_key",
    "linter.kinds.migration_state",
    "linter.kinds.drift",
    "linter.kinds.pre_migration",
    "linter.report.text",
    "linter.report.json",
    "linter.report.sarif",
    "linter.report.junit",
    "linter.report.github",
)


def builtin_rules_dir() -> Path:
    """Where the built-in YAML packs live: inside the wheel, or beside the package in a checkout."""
    here = Path(__file__).resolve().parent.parent
    installed = here / "rules"
    return installed if installed.is_dir() else here.parent / "rules"


@dataclass
class BuiltinPack:
    """A folder of ``rules/``: its YAML files, plus its ``plugin.py`` when the pack needs code."""

    name: str
    folder: Path

    @hookspecs.hookimpl
    def dblint_rule_files(self) -> list[Path]:
        return [self.folder]


class PackLoadWarning(UserWarning):
    pass


def _load_pack_module(pack: str, path: Path) -> ModuleType:
    # Packs' code sits beside their YAML; load it by path so a source checkout and a wheel agree.
    modname = f"dblint_pack_{pack}"
    if modname in sys.modules:
        return sys.modules[modname]
    spec = importlib.util.spec_from_file_location(modname, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module
    spec.loader.exec_module(module)
    return module


def _entry_points() -> Iterable[metadata.EntryPoint]:
    return metadata.entry_points(group=hookspecs.PROJECT)


def get_plugin_manager(disabled: Iterable[str] = (), *, entrypoints: bool = True) -> pluggy.PluginManager:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    disabled = set(disabled)
    for name in disabled:
        pm.set_blocked(name)

    for modname in BUILTIN_MODULES:
        pm.register(importlib.import_module(modname), name=modname)

    rules_dir = builtin_rules_dir()
    for folder in sorted(p for p in rules_dir.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))):
        if folder.name in disabled:
            continue
        pm.register(BuiltinPack(folder.name, folder), name=folder.name)
        plugin_py = folder / "plugin.py"
        if plugin_py.exists():
            pm.register(_load_pack_module(folder.name, plugin_py), name=f"{folder.name}.plugin")

    if entrypoints:
        # One entry point at a time, so a broken pack is named and skipped instead of fatal.
        for ep in _entry_points():
            if ep.name in disabled or pm.has_plugin(ep.name) or pm.is_blocked(ep.name):
                continue
            try:
                pm.load_setuptools_entrypoints(hookspecs.PROJECT, name=ep.name)
            except Exception as exc:
                dist = ep.dist.name if ep.dist else "?"
                if pm.has_plugin(ep.name):
                    pm.unregister(name=ep.name)
                warnings.warn(
                    f"rule pack {ep.name!r} ({dist}) failed to load and was skipped: {exc}",
                    PackLoadWarning,
                    stacklevel=2,
                )
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise DblintError(_unknown_hook_message(pm, exc.plugin)) from None
    return pm


def _unknown_hook_message(pm: pluggy.PluginManager, plugin: object) -> str:
    # Name the pack (not the module repr) and every hook of it that no spec matches.
    name = pm.get_name(plugin) or getattr(plugin, "__name__", repr(plugin))
    known = {n for n in dir(pm.hook) if n.startswith(f"{hookspecs.PROJECT}_")}
    unknown = sorted(
        n
        for n in dir(plugin)
        if n.startswith(f"{hookspecs.PROJECT}_")
        and getattr(getattr(pm.hook, n, None), "spec", None) is None
        and pm.parse_hookimpl_opts(plugin, n) is not None
    )
    specs = ", ".join(sorted(n for n in known if getattr(pm.hook, n).spec is not None))
    return (
        f"plugin {name!r} implements an unknown hook: {', '.join(unknown) or '?'} "
        f"(dblint's hooks: {specs}; --disable-pack {name} skips it)"
    )


def pack_of(pm: pluggy.PluginManager, plugin: object) -> tuple[str, str]:
    """(pack name, version) of a registered plugin, for ``dblint rules``."""
    from linter import __version__

    name = pm.get_name(plugin) or "?"
    for p, dist in pm.list_plugin_distinfo():
        if p is plugin:
            return name, dist.version
    return name, __version__


def collect_kinds(pm: pluggy.PluginManager) -> dict[str, Any]:
    kinds: dict[str, Any] = {}
    for impl in pm.hook.dblint_kinds.get_hookimpls():
        for cls in cast("Iterable[Any]", impl.function() or ()):
            if cls.name in kinds and type(kinds[cls.name]) is not cls:
                raise DblintError(
                    f"plugin {impl.plugin_name!r} registers kind {cls.name!r}, "
                    "which another plugin already has"
                )
            kinds[cls.name] = cls()
    return kinds


def collect_formats(pm: pluggy.PluginManager) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for mapping in reversed(pm.hook.dblint_formats()):  # built-ins first; later plugins may add
        out.update(mapping or {})
    return out


def collect_handlers(pm: pluggy.PluginManager) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for impl in pm.hook.dblint_fix_handlers.get_hookimpls():
        for name, fn in cast("dict[str, Any]", impl.function() or {}).items():
            if name in out:
                raise DblintError(f"plugin {impl.plugin_name!r} registers fix handler {name!r} twice")
            out[name] = fn
    return out


def rule_sources(pm: pluggy.PluginManager) -> list[tuple[Path, str, str]]:
    """(path, pack, version) for every rule file or folder a plugin ships."""
    out = []
    for impl in pm.hook.dblint_rule_files.get_hookimpls():
        pack, version = pack_of(pm, impl.plugin)
        if isinstance(impl.plugin, BuiltinPack):
            pack = impl.plugin.name
        for p in cast("Iterable[Any]", impl.function() or ()):
            out.append((Path(p), pack, version))
    return sorted(out, key=lambda t: (t[1] != "core", t[1], str(t[0])))
