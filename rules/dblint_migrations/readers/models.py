"""The schema the models describe, as a SQLAlchemy ``MetaData``, from one of:

- ``models.metadata: "package.module:Base.metadata"``: imported, with the config's folder on sys.path;
- ``models.reference_url``: a database built by the migrations (the CKAN check), reflected;
- ``migrations.django.settings``: Django's migration state (applied state for DRIFT, the state after
  every pending migration for PRE), see :mod:`dblint_migrations.readers.django_state`.

An explicit ``models`` source wins over Django's state.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass, field
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from dblint_migrations.config import ModelsConfig, models_section
from dblint_migrations.readers import ProjectError, django_state, project
from linter import Context, MissingObject
from linter.db import create_engine, mask_url, parse_target  # a reference database is opened like a target


@dataclass
class Target:
    metadata: sa.MetaData
    source: str
    # (table, column) -> a scalar default the models declare (for PRE001's fix)
    defaults: dict[tuple[str, str], Any] = field(default_factory=dict)


def _models_cfg(ctx: Context) -> ModelsConfig | None:
    return models_section(ctx.config)


def configured(ctx: Context) -> str | None:
    """Why no target schema can be had, or None."""
    m = _models_cfg(ctx)
    if m is not None and (m.metadata or m.reference_url):
        return None
    if django_state.settings(ctx) is not None:
        return django_state.unavailable(ctx)
    return "no model schema configured (models.metadata, models.reference_url, or migrations.django.settings)"


def require(ctx: Context) -> None:
    reason = configured(ctx)
    if reason:
        raise MissingObject(reason)


def target(ctx: Context, conn: Connection, stage: str) -> Target:
    """The schema to compare with: ``stage`` is "drift" (what the database should be now) or
    "pre" (what it must become)."""
    require(ctx)
    m = _models_cfg(ctx)
    metadata, reference = (m.metadata, m.reference_url) if m is not None else (None, None)
    if metadata:
        return project.cached(ctx, "models:metadata", lambda: import_metadata(ctx, metadata))
    if reference:
        return project.cached(ctx, "models:reference", lambda: reflect_reference(ctx, reference))
    rows = project.django_rows(conn, ctx)
    state = django_state.load(ctx, rows)
    if stage == "drift":
        return from_description(state.applied, "the schema of the applied Django migrations")
    return from_description(state.pending, "the schema after all Django migrations")


def import_metadata(ctx: Context, path: str) -> Target:
    modname, _, attrs = path.partition(":")
    root = str(project.root(ctx))
    if root in sys.path:
        sys.path.remove(root)
    sys.path.insert(0, root)
    _forget_other(modname.partition(".")[0], root)
    try:
        obj: Any = importlib.import_module(modname)
        for a in attrs.split("."):
            obj = getattr(obj, a)
    except Exception as exc:
        raise ProjectError(
            f"models.metadata {path!r} cannot be imported: {type(exc).__name__}: {exc}"
        ) from None
    if not isinstance(obj, sa.MetaData):
        obj = getattr(obj, "metadata", obj)  # a declarative Base names its MetaData
    if not isinstance(obj, sa.MetaData):
        raise ProjectError(f"models.metadata {path!r} is a {type(obj).__name__}, not a SQLAlchemy MetaData")
    defaults = {}
    for t in obj.tables.values():
        for c in t.columns:
            d = c.default
            if d is not None and getattr(d, "is_scalar", False):
                defaults[(t.name, c.name)] = cast(sa.ColumnDefault, d).arg
    return Target(obj, path, defaults)


def _forget_other(top: str, root: str) -> None:
    """A module of that name imported from another project (several configs in one process, as in
    tests) must not stand in for this project's."""
    mod = sys.modules.get(top)
    where = getattr(mod, "__file__", None) or next(iter(getattr(mod, "__path__", []) or []), None)
    if mod is not None and where and not str(where).startswith(root):
        for name in [n for n in sys.modules if n == top or n.startswith(top + ".")]:
            del sys.modules[name]
        importlib.invalidate_caches()


def reflect_reference(ctx: Context, url: str) -> Target:
    raw = url if "://" in url else str((project.root(ctx) / url).resolve())
    engine = create_engine(parse_target(raw))
    md = sa.MetaData()
    try:
        with engine.connect() as c:
            skip = project.bookkeeping(ctx)
            names = [n for n in sa.inspect(c).get_table_names() if n.lower() not in skip]
            md.reflect(c, only=names)
    except sa.exc.SQLAlchemyError as exc:
        raise ProjectError(
            f"models.reference_url: cannot reflect {mask_url(engine.url)}: {exc.__class__.__name__}"
        ) from None
    finally:
        engine.dispose()
    return Target(md, f"reference database {mask_url(engine.url)}")


def _sa_type(c: dict[str, Any]) -> sa.types.TypeEngine[Any]:
    t = c["type"]
    if t == "string":
        return sa.String(c.get("length"))
    if t == "numeric":
        return sa.Numeric(c.get("precision"), c.get("scale"))
    simple: dict[str, Any] = {
        "integer": sa.Integer,
        "bigint": sa.BigInteger,
        "smallint": sa.SmallInteger,
        "text": sa.Text,
        "boolean": sa.Boolean,
        "date": sa.Date,
        "datetime": sa.DateTime,
        "time": sa.Time,
        "float": sa.Float,
        "uuid": sa.Uuid,
        "json": sa.JSON,
        "binary": sa.LargeBinary,
    }
    return simple.get(t, sa.types.NullType)()


def from_description(desc: dict[str, Any], source: str) -> Target:
    """A MetaData from the plain description Django's side prints."""
    md = sa.MetaData()
    defaults: dict[tuple[str, str], Any] = {}
    for name, t in sorted(desc["tables"].items()):
        cols = []
        for c in t["columns"]:
            sd = c.get("server_default")
            cols.append(
                sa.Column(
                    c["name"],
                    _sa_type(c),
                    primary_key=c["pk"],
                    nullable=c["nullable"],
                    server_default=sa.text(sd) if sd is not None else None,
                    autoincrement=False,
                )
            )
            if c.get("default") is not None:
                defaults[(name, c["name"])] = c["default"]
        table = sa.Table(name, md, *cols)
        for u in t["uniques"]:
            if u:
                table.append_constraint(sa.UniqueConstraint(*u))
        for i, ix in enumerate(t["indexes"]):
            sa.Index(
                ix["name"] or f"dblint_ix_{name}_{i}",
                *[table.c[col] for col in ix["columns"]],
                unique=ix["unique"],
            )
    for name, t in sorted(desc["tables"].items()):
        table = md.tables[name]
        for fk in t["fks"]:
            if fk["ref_table"] in md.tables:
                table.append_constraint(
                    sa.ForeignKeyConstraint(
                        fk["columns"], [f"{fk['ref_table']}.{c}" for c in fk["ref_columns"]]
                    )
                )
    return Target(md, source, defaults)
