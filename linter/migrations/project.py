"""The project a run looks at, from the config: migration graphs (read once per run and shared by
every rule through ``Context.cache``) and the bookkeeping tables (read inside each rule's
read-only transaction, one query each, never cached: ``--fix`` re-checks after deleting rows)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from linter.errors import MissingObject
from linter.kinds.base import Check, Context, Example
from linter.migrations import alembic_graph, django_graph

T = TypeVar("T")

DJANGO_TABLE = "django_migrations"
ALEMBIC_TABLE = "alembic_version"
BOOKKEEPING = (DJANGO_TABLE, ALEMBIC_TABLE)


def cached(ctx: Context, key: str, build: Callable[[], T]) -> T:
    """``build()`` once per run (per key), shared by all rules and threads."""
    with ctx.cache_lock:
        if key not in ctx.cache:
            try:
                ctx.cache[key] = (True, build())
            except Exception as exc:  # remembered, so every rule reports the same one line
                ctx.cache[key] = (False, exc)
        ok, value = ctx.cache[key]
    if not ok:
        raise value
    return value  # type: ignore[no-any-return]


def root(ctx: Context) -> Path:
    return ctx.config.root if ctx.config is not None else Path.cwd()


def migrations_config(ctx: Context) -> Any:
    cfg = getattr(ctx.config, "migrations", None)
    if cfg is None or (cfg.django is None and cfg.alembic is None):
        raise MissingObject(
            "no migrations configured (migrations.django or migrations.alembic in dblint.yaml)"
        )
    return cfg


def django_apps(ctx: Context) -> dict[str, Path] | None:
    cfg = migrations_config(ctx).django
    if cfg is None:
        return None
    return {app: (root(ctx) / folder).resolve() for app, folder in cfg.apps.items()}


def alembic(ctx: Context) -> alembic_graph.Graph | None:
    cfg = migrations_config(ctx).alembic
    if cfg is None:
        return None

    def build() -> alembic_graph.Graph:
        base = root(ctx)
        ini = (base / cfg.ini).resolve() if cfg.ini else None
        loc = (base / cfg.script_location).resolve() if cfg.script_location else None
        location, versions = alembic_graph.script_location(ini, loc)
        return alembic_graph.read(location, versions)

    return cached(ctx, "alembic_graph", build)


def _has_table(conn: Connection, ctx: Context, name: str) -> str | None:
    """The real spelling of a bookkeeping table in this database, or None."""
    names = sa.inspect(conn).get_table_names(schema=ctx.schema.schema)
    return next((n for n in names if n.lower() == name), None)


def django_rows(conn: Connection, ctx: Context) -> set[django_graph.Key]:
    """Every (app, name) in django_migrations: one query. No table: nothing applied yet."""
    name = _has_table(conn, ctx, DJANGO_TABLE)
    if name is None:
        return set()
    t = sa.table(name, sa.column("app"), sa.column("name"), schema=ctx.schema.schema)
    return {(r[0], r[1]) for r in conn.execute(sa.select(t.c.app, t.c.name))}


def alembic_rows(conn: Connection, ctx: Context) -> list[str]:
    name = _has_table(conn, ctx, ALEMBIC_TABLE)
    if name is None:
        return []
    t = sa.table(name, sa.column("version_num"), schema=ctx.schema.schema)
    return sorted(r[0] for r in conn.execute(sa.select(t.c.version_num)))


def django_graph_for(conn: Connection, ctx: Context) -> django_graph.Graph | None:
    apps = django_apps(ctx)
    if apps is None:
        return None
    files = cached(ctx, "django_files", lambda: django_graph.read_all(apps))
    return django_graph.build(apps, django_rows(conn, ctx), files)


class FindingsCheck(Check):
    """Violations computed in Python from small inputs (migration files, the bookkeeping table,
    the catalog) rather than one row query: ``compute(conn)`` runs inside the rule's read-only
    transaction and returns the full list; the count is its length."""

    def __init__(self, compute: Callable[[Connection], list[Example]]) -> None:
        super().__init__(query=None, table="", key=[], message=lambda r: "")  # type: ignore[arg-type]
        self._compute = compute
        self._found: list[Example] | None = None

    def count(self, conn: Connection) -> int:
        self._found = self._compute(conn)
        return len(self._found)

    def examples(self, conn: Connection, limit: int) -> list[Example]:
        if self._found is None:
            self._found = self._compute(conn)
        return self._found[:limit]


def rel(ctx: Context, path: Path) -> str:
    try:
        return str(path.relative_to(root(ctx)))
    except ValueError:
        return str(path)
