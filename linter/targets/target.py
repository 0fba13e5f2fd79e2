"""Opening a target: one database a run checks (a URL, an SQLite file, or the scratch copy of a
dump or fixture), with its engine, its schema resolver and what every rule's :class:`Context` is
built from (variables, the config, fix handlers, the run's shared cache)."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from linter import db
from linter.db.url import is_sqlite_file
from linter.errors import TargetError
from linter.kinds.base import Context
from linter.load.packs import DatabaseInfo
from linter.load.rules import Rule
from linter.targets.fixture_files import FixtureFile, open_fixture


@dataclass
class Target:
    url: sa.URL
    engine: Engine
    schema: db.Schema
    display: str  # how reports name it: a relative path, or the URL with the password masked
    timeouts: db.Timeouts
    config: Any = None
    variables: Mapping[str, Any] = field(default_factory=dict)
    handlers: Mapping[str, Any] = field(default_factory=dict)
    fixture: FixtureFile | None = None
    # One dict per target, shared by every rule's context (a migration graph, a model schema).
    cache: dict[str, Any] = field(default_factory=dict)
    cache_lock: Any = field(default_factory=threading.RLock)

    @property
    def dialect(self) -> str:
        return self.schema.dialect

    @property
    def in_memory(self) -> bool:
        """One in-memory SQLite database lives on one connection: no parallel connections."""
        return self.dialect == "sqlite" and self.url.database in (None, "", ":memory:")

    @property
    def scratch(self) -> bool:
        """A dump or JSON fixture loaded into a throwaway database (an undo of it would be no use)."""
        return self.fixture is not None and self.fixture.scratch is not None

    def context(self, rule: Rule) -> Context:
        return Context(self.schema, self.variables, rule.id, self.config, self.cache, self.cache_lock)

    def info(self) -> DatabaseInfo:
        """The dialect and table names (one catalog read, cached): what packs decide applicability on."""
        return DatabaseInfo.of(self.dialect, self.schema.table_names().values())

    def close(self) -> None:
        self.engine.dispose()
        if self.fixture is not None:
            self.fixture.close()


def resolve_url(raw: str | None, config: Any) -> sa.URL:
    """TARGET, else ``database.url`` of the config (a relative SQLite path is relative to the
    config's folder), else ``DBLINT_DATABASE_URL``."""
    from_config = config.database.url if config is not None else None
    text = raw or from_config or db.env_url()
    if not text:
        used = getattr(config, "shown_source", "")
        raise TargetError(
            "no database: give a TARGET (URL or SQLite file), database.url in the config "
            + (
                f"({used} has none)"
                if used
                else "(no dblint.yaml, .dblint.yaml or [tool.dblint] found here or above)"
            )
            + ", or DBLINT_DATABASE_URL"
        )
    # A relative path is relative to the config's folder when the config says it, and to the
    # working directory when a TARGET or DBLINT_DATABASE_URL does (as any path given in a shell).
    if raw is None and text == from_config and "://" not in text and not os.path.isabs(text):
        text = str((config.root / text).resolve())
    return db.parse_target(text)


def refuse_overwrite(flag: str, path: str | os.PathLike[str], targets: Sequence[str | None]) -> None:
    """A file dblint writes (``--output``, ``--write-baseline``, ``--undo-file``) is never a target
    of the run (an SQLite file, a dump or fixture), nor any existing SQLite database: a typo must
    not turn a report into the end of a database."""
    p = Path(path)
    for t in targets:
        if t is None:
            continue
        raw = t.split("://", 1)[1].lstrip("/") if t.startswith("sqlite") and "://" in t else t
        candidates = {Path(raw), Path("/" + raw)} if "://" in t else {Path(raw)}
        if any(c.exists() and p.exists() and os.path.samefile(c, p) for c in candidates):
            raise TargetError(f"{flag} {path} is the database being checked; choose another file")
    if p.is_file() and is_sqlite_file(p):
        raise TargetError(f"{flag} {path} is an SQLite database; dblint never writes over one")


def display_name(url: sa.URL) -> str:
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        try:  # relative to the working directory when inside it, else absolute (no ../../..)
            rel = os.path.relpath(url.database)
            return rel if not rel.startswith("..") else os.path.abspath(url.database)
        except ValueError:
            return str(url.database)
    return db.mask_url(url)


def open_target(
    raw: str | None,
    *,
    config: Any,
    variables: Mapping[str, Any],
    handlers: Mapping[str, Any],
    jobs: int,
    fix: bool = False,
) -> Target:
    """Open ``raw`` (a dump or JSON fixture becomes a scratch SQLite database, removed by
    :meth:`Target.close`). Nothing is connected yet: the check connects first, so an unreachable
    server says "cannot connect"."""
    fixture = open_fixture(raw, config, fix=fix)
    try:
        url = resolve_url(fixture.target, config)
        timeouts = db.Timeouts(config.database.statement_timeout, config.database.lock_timeout)
        engine = db.create_engine(url, pool_size=max(5, jobs + 1), timeouts=timeouts, writes=fix)
    except BaseException:
        fixture.close()
        raise
    return Target(
        url,
        engine,
        db.Schema(engine, config.database.schema_name),
        fixture.display or display_name(url),
        timeouts,
        config,
        variables,
        handlers,
        fixture,
    )
