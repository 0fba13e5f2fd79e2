"""The child process of :mod:`dblint_migrations.readers.django_state`
(``python -m dblint_migrations.readers.django_child``): reads a request (project root, applied
migrations) on stdin, sets Django up with the project's settings, and writes the applied and pending
schemas and what each pending migration creates as JSON on stdout.

Only the standard library and Django are imported here: the project's settings decide the rest.
"""

from __future__ import annotations

import json
import sys
from typing import Any

_TYPES = {
    "AutoField": "integer",
    "BigAutoField": "bigint",
    "SmallAutoField": "smallint",
    "IntegerField": "integer",
    "PositiveIntegerField": "integer",
    "BigIntegerField": "bigint",
    "PositiveBigIntegerField": "bigint",
    "SmallIntegerField": "smallint",
    "PositiveSmallIntegerField": "smallint",
    "CharField": "string",
    "SlugField": "string",
    "EmailField": "string",
    "URLField": "string",
    "FileField": "string",
    "ImageField": "string",
    "FilePathField": "string",
    "GenericIPAddressField": "string",
    "IPAddressField": "string",
    "TextField": "text",
    "BooleanField": "boolean",
    "NullBooleanField": "boolean",
    "DateField": "date",
    "DateTimeField": "datetime",
    "TimeField": "time",
    "DecimalField": "numeric",
    "FloatField": "float",
    "UUIDField": "uuid",
    "JSONField": "json",
    "BinaryField": "binary",
    "DurationField": "bigint",
}


def _field_type(f: Any) -> dict[str, Any]:
    internal = f.get_internal_type()
    if internal in ("ForeignKey", "OneToOneField"):
        t = _field_type(f.target_field)
        t["type"] = {"integer": "integer", "bigint": "bigint", "smallint": "smallint"}.get(
            t["type"], t["type"]
        )
        return t
    out: dict[str, Any] = {"type": _TYPES.get(internal, "other"), "django": internal}
    if out["type"] == "string":
        out["length"] = f.max_length or (39 if "IPAddress" in internal else None)
    if internal == "DecimalField":
        out["precision"], out["scale"] = f.max_digits, f.decimal_places
    return out


def _scalar(v: Any) -> Any:
    return v if isinstance(v, str | int | float | bool) or v is None else None


def _describe(apps: Any) -> dict[str, Any]:
    from django.db.models import NOT_PROVIDED, UniqueConstraint

    tables: dict[str, Any] = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if not meta.managed or meta.proxy or meta.swapped:
            continue
        cols, fks, uniques, indexes = [], [], [], []
        by_name = {}
        for f in meta.local_fields:
            if f.column is None:
                continue
            by_name[f.name] = f.column
            c = {"name": f.column, "nullable": bool(f.null), "pk": bool(f.primary_key), **_field_type(f)}
            if f.has_default() and not callable(f.default):
                c["default"] = _scalar(f.default)
            db_default = getattr(f, "db_default", NOT_PROVIDED)
            if db_default is not NOT_PROVIDED:
                c["server_default"] = str(getattr(db_default, "value", db_default))
            cols.append(c)
            if f.unique and not f.primary_key:
                uniques.append([f.column])
            if f.is_relation and f.remote_field and getattr(f, "db_constraint", False):
                target = f.remote_field.model._meta
                fks.append(
                    {
                        "columns": [f.column],
                        "ref_table": target.db_table,
                        "ref_columns": [f.target_field.column],
                    }
                )
            if f.db_index and not f.unique and not f.primary_key:
                indexes.append({"name": None, "columns": [f.column], "unique": False})
        for together in meta.unique_together:
            uniques.append([by_name[n] for n in together if n in by_name])
        for idx in meta.indexes:
            if idx.fields:
                indexes.append(
                    {
                        "name": idx.name,
                        "columns": [by_name[n.lstrip("-")] for n in idx.fields],
                        "unique": False,
                    }
                )
        for con in meta.constraints:
            if isinstance(con, UniqueConstraint) and con.fields and con.condition is None:
                uniques.append([by_name[n] for n in con.fields])
        tables[meta.db_table] = {"columns": cols, "fks": fks, "uniques": uniques, "indexes": indexes}
    return {"tables": tables}


def _objects(state: Any) -> set[tuple[str, str, str]]:
    """Tables, columns and named indexes of an unrendered ProjectState (cheap: no model classes)."""
    out: set[tuple[str, str, str]] = set()
    for (app, model), ms in state.models.items():
        opts = ms.options
        if opts.get("managed", True) is False or opts.get("proxy"):
            continue
        table = opts.get("db_table") or f"{app}_{model}"
        out.add(("table", table, table))
        for name, f in ms.fields.items():
            if f.many_to_many:
                if getattr(f.remote_field, "through", None) in (None, "") or getattr(f, "db_table", None):
                    t = f.db_table or f"{table}_{name}"
                    out.add(("table", t, t))
                continue
            col = f.db_column or (f"{name}_id" if f.is_relation else name)
            out.add(("column", table, col))
        for idx in opts.get("indexes", []):
            if idx.name:
                out.add(("index", table, idx.name))
        for con in opts.get("constraints", []):
            if getattr(con, "name", None):
                out.add(("index", table, con.name))
    return out


def _db_creates(app: str, operations: list[Any], state: Any) -> set[tuple[str, str, str]]:
    """What the operations create in the database: only Django's own CreateModel, AddField,
    AddIndex and AddConstraint count (inside SeparateDatabaseAndState, its database operations);
    state-only moves, RunSQL/RunPython and custom operations (which may check before creating)
    are not claimed. ``state`` is advanced as the migration advances it."""
    from django.db.migrations import operations as ops

    counted = (ops.CreateModel, ops.AddField, ops.AddIndex, ops.AddConstraint)
    out: set[tuple[str, str, str]] = set()
    for op in operations:
        if type(op) is ops.SeparateDatabaseAndState:
            out |= _db_creates(app, op.database_operations, state.clone())
            for sop in op.state_operations:
                sop.state_forwards(app, state)
            continue
        before = _objects(state)
        op.state_forwards(app, state)
        if type(op) in counted:
            out |= _objects(state) - before
    return out


def _adds_not_null(app: str, migration: Any, state: Any) -> list[list[str]]:
    """[table, column] of the NOT NULL fields without a default (nor db_default) that the
    migration's AddField operations add to models that exist before it (PRE005)."""
    from django.db.migrations.operations import AddField
    from django.db.models import NOT_PROVIDED

    out = []
    for op in migration.operations:
        if not isinstance(op, AddField):
            continue
        f = op.field
        if f.null or f.many_to_many or f.primary_key or f.has_default():
            continue
        if getattr(f, "db_default", NOT_PROVIDED) is not NOT_PROVIDED:
            continue
        ms = state.models.get((app, op.model_name_lower))
        if ms is None:
            continue
        table = ms.options.get("db_table") or f"{app}_{op.model_name_lower}"
        out.append([table, f.db_column or (f"{op.name}_id" if f.is_relation else op.name)])
    return out


def _files(keys: list[list[str]]) -> dict[str, Any]:
    """The dependencies, replaces and run_before of migrations dblint could not read statically,
    as Django's loader (which runs the files) sees them."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, load=False)
    loader.load_disk()
    out: dict[str, Any] = {}
    for app, name in keys:
        m = loader.disk_migrations.get((app, name))
        if m is not None:
            out[f"{app}.{name}"] = {
                a: [list(t) for t in getattr(m, a, []) or []]
                for a in ("dependencies", "replaces", "run_before")
            }
    return out


def _main() -> None:
    req = json.load(sys.stdin)
    sys.path.insert(0, req["root"])
    import django

    django.setup()
    if req.get("files") is not None:
        json.dump({"files": _files(req["files"])}, sys.stdout)
        return
    from django.db import connection
    from django.db.migrations import loader as loader_mod

    applied = {tuple(k) for k in req["applied"]}

    class Recorder:  # the rows dblint read: Django never touches the database
        def __init__(self, connection: Any) -> None:
            pass

        def applied_migrations(self) -> dict[tuple[str, str], None]:
            return dict.fromkeys(applied)

    loader_mod.MigrationRecorder = Recorder  # type: ignore[misc,assignment]
    loader = loader_mod.MigrationLoader(connection, ignore_no_migrations=True)
    graph = loader.graph
    done = [k for k in loader.applied_migrations if k in graph.nodes]
    applied_state = loader.project_state(nodes=done, at_end=True) if done else loader.project_state(nodes=[])
    out: dict[str, Any] = {
        "applied": _describe(applied_state.apps),
        "pending": _describe(loader.project_state().apps),
    }

    plan: list[tuple[str, str]] = []
    for leaf in sorted(graph.leaf_nodes()):
        for k in graph.forwards_plan(leaf):
            if k not in plan and k not in loader.applied_migrations:
                plan.append(k)
    state = loader.project_state(nodes=done, at_end=True) if done else loader.project_state(nodes=[])
    steps = []
    for k in plan:
        adds = _adds_not_null(k[0], graph.nodes[k], state)
        created = sorted(_db_creates(k[0], graph.nodes[k].operations, state.clone()))
        state = graph.nodes[k].mutate_state(state, preserve=False)
        # A column of a table the same migration creates is part of that table, not a separate clash.
        new_tables = {t for kind, t, _ in created if kind == "table"}
        created = [c for c in created if c[0] == "table" or c[1] not in new_tables]
        steps.append({"app": k[0], "name": k[1], "creates": created, "adds_not_null": adds})
    out["steps"] = steps
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    _main()
