"""The project a run looks at, from the config: migration graphs and Alembic's version table name
(read once per run and shared by every rule through ``Context.cache``) and the bookkeeping tables
(read inside each rule's read-only transaction, one query each, never cached: ``--fix`` re-checks
after deleting rows)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from dblint_migrations.config import AlembicConfig, MigrationsConfig, migrations_section
from dblint_migrations.readers import alembic_graph, django_graph
from linter import Context, MissingObject

T = TypeVar("T")

DJANGO_TABLE = "django_migrations"
ALEMBIC_TABLE = "alembic_version"  # Alembic's default; env.py or the config may rename it


@dataclass(frozen=True)
class VersionTable:
    """Alembic's version table: its name, and its schema (None: the checked schema)."""

    name: str
    schema: str | None = None

    @property
    def shown(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name

    def sql(self, conn: Connection) -> str:
        """The name as this database's SQL spells it (quoted where needed), for messages."""
        return conn.dialect.identifier_preparer.format_table(sa.table(self.name, schema=self.schema))


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


def migrations_config(ctx: Context) -> MigrationsConfig:
    cfg = migrations_section(ctx.config)
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


def _alembic_location(ctx: Context, cfg: AlembicConfig) -> tuple[Path, list[Path], bool]:
    """(script folder, version folders, recursive) of migrations.alembic."""

    def build() -> tuple[Path, list[Path], bool]:
        base = root(ctx)
        ini = (base / cfg.ini).resolve() if cfg.ini else None
        loc = (base / cfg.script_location).resolve() if cfg.script_location else None
        return alembic_graph.script_location(ini, loc)

    return cached(ctx, "alembic_location", build)


def alembic(ctx: Context) -> alembic_graph.Graph | None:
    cfg = migrations_config(ctx).alembic
    if cfg is None:
        return None
    return cached(ctx, "alembic_graph", lambda: alembic_graph.read(*_alembic_location(ctx, cfg)))


def version_table(ctx: Context) -> VersionTable:
    """Alembic's version table: ``migrations.alembic.version_table`` / ``version_table_schema``
    from the config, else the string literals ``env.py`` gives ``context.configure(...)`` (read
    with ``ast``, never run), else ``alembic_version`` in the checked schema. Without
    ``migrations.alembic``: ``alembic_version``."""
    mig = migrations_section(ctx.config)
    cfg = mig.alembic if mig is not None else None
    if cfg is None:
        return VersionTable(ALEMBIC_TABLE)

    def build() -> VersionTable:
        # A key in the config wins; version_table_schema even as null (then: the checked schema).
        given = {"version_table"} if cfg.version_table is not None else set()
        given |= {"version_table_schema"} & cfg.model_fields_set
        env: dict[str, str | None] = {}
        if len(given) < 2:
            location = _alembic_location(ctx, cfg)[0]
            path = location / "env.py"
            keys = [k for k in alembic_graph.ENV_KEYS if k not in given]
            env = alembic_graph.env_settings(path, rel(ctx, path), keys)
        name = cfg.version_table or env.get("version_table") or ALEMBIC_TABLE
        schema = (
            cfg.version_table_schema if "version_table_schema" in given else env.get("version_table_schema")
        )
        return VersionTable(name, schema)

    return cached(ctx, "alembic_version_table", build)


def bookkeeping(ctx: Context) -> set[str]:
    """Lower-case names of the bookkeeping tables that schema comparisons (DRIFT, PRE, a reference
    database) leave alone: django_migrations and Alembic's version table."""
    return {DJANGO_TABLE, version_table(ctx).name.lower()}


def _has_table(conn: Connection, ctx: Context, name: str, schema: str | None = None) -> str | None:
    """The real spelling of a bookkeeping table in this database (in ``schema``, default the
    checked one), or None."""
    insp = sa.inspect(conn)
    if schema is None:
        schema = ctx.schema.schema
    elif schema != ctx.schema.schema and schema not in insp.get_schema_names():
        return None  # (MySQL cannot list the tables of a database that does not exist)
    names = insp.get_table_names(schema=schema)
    return name if name in names else next((n for n in names if n.lower() == name.lower()), None)


def django_rows(conn: Connection, ctx: Context) -> set[django_graph.Key]:
    """Every (app, name) in django_migrations: one query. No table: nothing applied yet."""
    name = _has_table(conn, ctx, DJANGO_TABLE)
    if name is None:
        return set()
    t = sa.table(name, sa.column("app"), sa.column("name"), schema=ctx.schema.schema)
    return {(r[0], r[1]) for r in conn.execute(sa.select(t.c.app, t.c.name))}


def alembic_rows(conn: Connection, ctx: Context) -> list[str]:
    """Every version_num in Alembic's version table: one query. No table: nothing applied yet."""
    vt = version_table(ctx)
    schema = vt.schema if vt.schema is not None else ctx.schema.schema
    name = _has_table(conn, ctx, vt.name, schema)
    if name is None:
        return []
    t = sa.table(name, sa.column("version_num"), schema=schema)
    return sorted(r[0] for r in conn.execute(sa.select(t.c.version_num)))


def django_graph_for(conn: Connection, ctx: Context) -> django_graph.Graph | None:
    apps = django_apps(ctx)
    if apps is None:
        return None
    files = cached(ctx, "django_files", lambda: django_graph.read_all(apps))
    return django_graph.build(apps, django_rows(conn, ctx), files)


def rel(ctx: Context, path: Path) -> str:
    try:
        return str(path.relative_to(root(ctx)))
    except ValueError:
        return str(path)
