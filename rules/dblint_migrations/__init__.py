"""The ``migrations`` pack: a database against its project's migrations and models (``MIG…``,
``DRIFT…``, ``PRE…``), for Django and Alembic projects.

What it adds to dblint, through the same hooks as any third-party pack:

- the kinds ``migration_state``, ``drift`` and ``pre_migration`` (:mod:`dblint_migrations.kinds`),
  built on readers of migration files and model sources (:mod:`dblint_migrations.readers`);
- the config sections ``migrations:`` and ``models:`` (:mod:`dblint_migrations.config`);
- its YAML rules (``rules/``);
- where it applies: a configured project, or a database with Django's or Alembic's bookkeeping table.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from dblint_migrations import config as sections
from dblint_migrations.kinds import leftovers
from dblint_migrations.kinds.drift import Drift
from dblint_migrations.kinds.migration_state import MigrationState
from dblint_migrations.kinds.pre_migration import PreMigration
from dblint_migrations.readers.project import ALEMBIC_TABLE, DJANGO_TABLE
from linter import Applies, Config, DatabaseInfo, FixStep, Kind, hookimpl


@hookimpl
def dblint_kinds() -> list[type[Kind[Any, Any]]]:
    return [MigrationState, Drift, PreMigration]


@hookimpl
def dblint_rule_files() -> list[Path]:
    return [Path(__file__).parent / "rules"]


@hookimpl
def dblint_fix_handlers() -> dict[str, Callable[..., list[FixStep]]]:
    return dict(leftovers.HANDLERS)


@hookimpl
def dblint_config_sections() -> dict[str, type[BaseModel]]:
    return dict(sections.SECTIONS)


@hookimpl
def dblint_applies(database: DatabaseInfo, config: Config) -> Applies:
    keys = sections.configured(config)
    if keys:
        return Applies(True, f"configured: {', '.join(keys)}")
    # Without a config, Alembic's default version table name is all there is to go by.
    tables = [t for t in (DJANGO_TABLE, ALEMBIC_TABLE) if database.has_table(t)]
    if tables:
        return Applies(True, f"has {', '.join(tables)}")
    return Applies(False, f"no migrations configured and no {DJANGO_TABLE} or {ALEMBIC_TABLE} table")
