"""The plugin manager: dblint's own kinds and formats first, then every rule pack, built-in or
installed, through the entry point group ``dblint`` (the built-in packs are dblint's own entry
points: ``core``, ``specify``, ``migrations``).

A pack that fails to import is named and skipped with a warning instead of taking dblint down.
"""

from __future__ import annotations

import functools
import importlib
import warnings
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pluggy

from linter import hookspecs
from linter.errors import DblintError

if TYPE_CHECKING:
    from pydantic import BaseModel

    from linter.load.config import Config

# dblint's own plugins (like pytest's default plugins): the core kinds and the output formats.
BUILTIN_MODULES = (
    "linter.kinds.row_exists",
    "linter.kinds.not_null",
    "linter.kinds.unique",
    "linter.kinds.reference",
    "linter.kinds.sql",
    "linter.kinds.foreign_keys",
    "linter.kinds.primary_key",
    "linter.report.text",
    "linter.report.json",
    "linter.report.sarif",
    "linter.report.junit",
    "linter.report.github",
)
DIST = "dblint"  # the distribution whose entry points are the built-in packs


class PackLoadWarning(UserWarning):
    pass


def _entry_points() -> Iterable[metadata.EntryPoint]:
    return metadata.entry_points(group=hookspecs.PROJECT)


@functools.cache
def _builtin_entry_points() -> frozenset[tuple[str, str]]:
    # dblint's own entry points, read from its own dist-info once: asking each entry point for its
    # distribution's name parses that distribution's whole METADATA file (~1 ms each).
    try:
        eps = metadata.distribution(DIST).entry_points
    except metadata.PackageNotFoundError:
        return frozenset()
    return frozenset((ep.name, ep.value) for ep in eps if ep.group == hookspecs.PROJECT)


def _is_builtin(ep: metadata.EntryPoint) -> bool:
    return (ep.name, ep.value) in _builtin_entry_points()


def get_plugin_manager(disabled: Iterable[str] = (), *, builtin_only: bool = False) -> pluggy.PluginManager:
    """dblint's own plugins, then the packs of the ``dblint`` entry point group except ``disabled``
    (``builtin_only``: only the packs dblint itself ships)."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    disabled = set(disabled)
    for name in disabled:
        pm.set_blocked(name)

    for modname in BUILTIN_MODULES:
        pm.register(importlib.import_module(modname), name=modname)

    # One entry point at a time, so a broken pack is named and skipped instead of fatal; dblint's
    # own first, so an installed pack cannot take a built-in pack's name.
    for ep in sorted(_entry_points(), key=lambda ep: not _is_builtin(ep)):
        if ep.name in disabled or pm.has_plugin(ep.name) or pm.is_blocked(ep.name):
            continue
        if builtin_only and not _is_builtin(ep):
            continue
        try:
            if _is_builtin(ep):
                pm.register(ep.load(), name=ep.name)
            else:  # pluggy records the distribution: dblint rules shows its version
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
    return name, __version__  # a built-in pack is as new as dblint itself


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
        for p in cast("Iterable[Any]", impl.function() or ()):
            out.append((Path(p), pack, version))
    return sorted(out, key=lambda t: (t[1] != "core", t[1], str(t[0])))


# --- config sections (dblint_config_sections) -----------------------------------------------------


def collect_config_sections(pm: pluggy.PluginManager) -> dict[str, type[BaseModel]]:
    """Every loaded pack's config sections: top-level config key → the pydantic model validating it."""
    from linter.load.config import Config

    own = Config.own_keys()
    out: dict[str, type[BaseModel]] = {}
    owner: dict[str, str] = {}
    for impl in pm.hook.dblint_config_sections.get_hookimpls():
        for name, model in cast("Mapping[str, type[BaseModel]]", impl.function() or {}).items():
            if name in own:
                raise DblintError(
                    f"plugin {impl.plugin_name!r} registers config section {name!r}, one of dblint's own keys"
                )
            if name in out:
                raise DblintError(
                    f"plugin {impl.plugin_name!r} registers config section {name!r}, "
                    f"which plugin {owner[name]!r} already has"
                )
            out[name], owner[name] = model, impl.plugin_name
    return out


def disabled_sections(disabled: Iterable[str]) -> set[str] | None:
    """The config sections the disabled packs own, so that their sections are accepted unread.
    Asked only when the config has sections no loaded pack owns; None when a disabled pack cannot
    be asked (it fails to import, which may be why it is disabled): any section may then be its."""
    names: set[str] = set()
    wanted = set(disabled)
    for ep in _entry_points():
        if ep.name not in wanted:
            continue
        try:
            hook = getattr(ep.load(), "dblint_config_sections", None)
            names |= set(hook() or {}) if callable(hook) else set()
        except Exception:
            return None
    return names


def bind_config_sections(config: Config, pm: pluggy.PluginManager, disabled: Iterable[str]) -> None:
    """Validate the config's pack sections with the models of the loaded packs (see
    :meth:`linter.load.config.Config.bind_sections`); sections of disabled packs pass unread."""
    owned = collect_config_sections(pm)
    unowned = [k for k in config.pack_keys() if k not in owned]
    ignored: set[str] = set()
    if unowned and disabled:
        found = disabled_sections(disabled)
        ignored = set(unowned) if found is None else found
    config.bind_sections(owned, ignored)
