"""The ``specify`` pack: consistency rules for Specify 7 collection databases (``SPEC…``).

What it adds to dblint, through the same hooks as any third-party pack:

- the ``specify_sql`` kind (:mod:`dblint_specify.kind`): the core ``sql`` kind plus the pack's
  reference datasets (:mod:`dblint_specify.datasets`) and SQL templates
  (:mod:`dblint_specify.templating`);
- the fix handlers several rules share (:mod:`dblint_specify.handlers`);
- its YAML rules (``rules/``);
- where it applies: a database with Specify's version table and its institution → division →
  discipline → collection hierarchy.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from dblint_specify.handlers import HANDLERS
from dblint_specify.kind import SpecifySql
from linter import Applies, Config, DatabaseInfo, FixStep, Kind, hookimpl

# Specify's version table, then the scoping hierarchy every Specify database has.
MARKER_TABLES = ("spversion", "institution", "division", "discipline", "collection")


@hookimpl
def dblint_kinds() -> list[type[Kind[Any, Any]]]:
    return [SpecifySql]


@hookimpl
def dblint_fix_handlers() -> dict[str, Callable[..., list[FixStep]]]:
    return dict(HANDLERS)


@hookimpl
def dblint_rule_files() -> list[Path]:
    return [Path(__file__).parent / "rules"]


@hookimpl
def dblint_applies(database: DatabaseInfo, config: Config) -> Applies:
    return Applies.when_tables(database, *MARKER_TABLES, application="Specify")
