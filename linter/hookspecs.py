"""Every dblint hook, grouped by the phase in which the engine calls it.

Built-in kinds, rule packs and output formats register through exactly these hooks, so a
third-party pack (entry point group ``dblint``) can do everything a built-in can. Hook
implementations are marked with :data:`hookimpl`::

    from linter.hookspecs import hookimpl

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
    from linter.kinds.base import Kind
    from linter.report.base import Formatter

PROJECT = "dblint"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# --- Loading: what a plugin contributes -------------------------------------------------------


@hookspec
def dblint_kinds() -> Iterable[type[Kind[Any, Any]]]:
    """Return the check kinds this plugin provides (subclasses of :class:`linter.kinds.base.Kind`).

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
    transaction (and, read-only, for ``--diff``) with the rule's :class:`linter.kinds.base.Context`,
    the :class:`linter.load.rules.Rule` and the connection (to read from, never to write with), and
    returns the list of :class:`linter.kinds.base.FixStep` to execute (set-based DML), so
    ``--diff`` can show them and ``--fix`` runs them.
    """


# --- Reporting: how results are written --------------------------------------------------------


@hookspec
def dblint_formats() -> dict[str, type[Formatter]]:
    """Return output formats by name (``--format NAME``): subclasses of
    :class:`linter.report.base.Formatter`."""
