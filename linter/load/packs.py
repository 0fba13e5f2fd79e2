"""Where a pack applies: what makes a database its application's.

A pack answers ``dblint_applies(database, config)`` with an :class:`Applies`; a pack that does not
implement it applies to every database. ``check``, ``--fix`` and ``dblint init`` all ask this one
question: a pack that does not apply to a target does not run there and is not in its summary
(``-v`` names it with the reason).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pluggy


@dataclass(frozen=True)
class DatabaseInfo:
    """What a pack may look at to decide whether a database is its application's: the dialect and
    the names of the tables and views in the checked schema (one catalog query, never the rows)."""

    dialect: str
    tables: frozenset[str]  # lower-case

    @classmethod
    def of(cls, dialect: str, names: Iterable[str]) -> DatabaseInfo:
        return cls(dialect, frozenset(n.lower() for n in names))

    def has_table(self, name: str) -> bool:
        return name.lower() in self.tables

    def missing(self, *names: str) -> list[str]:
        return [n for n in names if not self.has_table(n)]


@dataclass(frozen=True)
class Applies:
    """A pack's answer for one database: whether its rules run there, and why (shown by ``-v``,
    ``dblint init`` and the one line of a run in which no selected rule could run)."""

    applies: bool
    reason: str

    @classmethod
    def when_tables(cls, database: DatabaseInfo, *names: str, application: str) -> Applies:
        """Applies when every one of ``names`` is a table of ``database``."""
        missing = database.missing(*names)
        if missing:
            return cls(False, f"not a {application} database (no {', '.join(missing)} table)")
        return cls(True, f"a {application} database (has {', '.join(names)})")


EVERYWHERE = Applies(True, "applies to any database")


def applicability(pm: pluggy.PluginManager, database: DatabaseInfo, config: Any) -> dict[str, Applies]:
    """Every registered pack's answer for ``database``, by pack (plugin) name."""
    out: dict[str, Applies] = {}
    args = {"database": database, "config": config}
    for impl in pm.hook.dblint_applies.get_hookimpls():
        verdict = impl.function(*[args[a] for a in impl.argnames])
        out[impl.plugin_name] = verdict if isinstance(verdict, Applies) else EVERYWHERE
    return out
