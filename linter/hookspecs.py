"""Every dblint hook, grouped by the phase in which the engine calls it.

Built-in kinds, rule packs and output formats register through exactly these hooks and the same
entry point group (``dblint``), so a third-party pack can do everything a built-in can. Hook
implementations are marked with :data:`hookimpl`::

    from linter import hookimpl

    @hookimpl
    def dblint_rule_files():
        return [Path(__file__).parent / "rules.yaml"]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from pydantic import BaseModel

    from linter.kinds.base import Kind
    from linter.load.config import Config
    from linter.load.packs import Applies, DatabaseInfo
    from linter.report.base import Formatter

PROJECT = "dblint"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# --- Registration: what a plugin contributes (once, when dblint loads) ---------------------------


@hookspec
def dblint_kinds() -> Iterable[type[Kind[Any, Any]]]:
    """Return the check kinds this plugin provides (subclasses of :class:`linter.Kind`).

    A kind's ``name`` is what rule files write under ``kind:``; names must be unique across
    all plugins.
    """


@hookspec
def dblint_rule_files() -> Iterable[Path]:
    """Return the YAML rule files (or folders of ``*.yaml`` files) this plugin ships.

    The plugin that returns a file is that file's *pack*: ``dblint rules`` shows it, and
    ``--disable-pack`` turns it off.
    """


@hookspec
def dblint_fix_handlers() -> dict[str, Callable[..., Any]]:
    """Return named Python fix handlers that rules refer to with ``fix: {handler: NAME}``.

    A handler is called as ``handler(ctx=ctx, rule=rule, conn=conn)`` inside the engine's fix
    transaction (and, read-only, for ``--diff``) with the rule's :class:`linter.Context`,
    the :class:`linter.load.rules.Rule` and the connection (to read from, never to write with), and
    returns the list of :class:`linter.FixStep` to execute (set-based DML), so
    ``--diff`` can show them and ``--fix`` runs them.
    """


@hookspec
def dblint_config_sections() -> dict[str, type[BaseModel]]:
    """Return the config sections this pack owns: top-level keys of ``dblint.yaml`` (or
    ``[tool.dblint]``) and the pydantic model that validates each.

    Errors in a section name the config file and line, as for dblint's own keys; kinds read their
    validated section with ``ctx.config.section(NAME)`` (None when the config has none).
    """


# --- Applicability: where a pack's rules run (once per target, before planning) -----------------


@hookspec
def dblint_applies(database: DatabaseInfo, config: Config) -> Applies | None:
    """Say whether this pack's rules apply to ``database`` (a :class:`linter.DatabaseInfo`: its
    dialect and table names) with ``config``: return :class:`linter.Applies` with a reason, e.g.
    ``Applies.when_tables(database, "spversion", "discipline", application="Specify")``.

    A pack that does not implement this hook applies to every database. Where a pack does not
    apply, its rules do not run and are not in the summary; ``-v`` and ``dblint init`` say why.
    """


# --- Reporting: how results are written --------------------------------------------------------


@hookspec
def dblint_formats() -> dict[str, type[Formatter]]:
    """Return output formats by name (``--format NAME``): subclasses of
    :class:`linter.Formatter`."""
