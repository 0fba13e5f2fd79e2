"""The ``migration_state`` checks of a Django project: the configured apps' migration files (read
statically, or by Django's own loader where a file computes its dependencies) against
``django_migrations``. One root cause, one finding: a dependency naming a missing migration
(MIG004) or a file whose dependencies cannot be read (MIG009) makes its app's leaves unknowable,
so MIG005 does not report the leaf the missing edge leaves behind; and Django's loader, which
refuses such a graph, is not asked (MIG007 says why once)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Connection

from dblint_migrations.readers import django_ops, django_state, project
from dblint_migrations.readers.django_graph import Graph, Key
from dblint_migrations.readers.live import Present
from linter import Context, Example, MissingObject


def _dj(key: Key) -> str:
    return f"{key[0]}.{key[1]}"


def pending(ctx: Context, conn: Connection, g: Graph) -> list[Example]:
    return [
        Example(
            project.DJANGO_TABLE,
            {"app": k[0], "migration": k[1]},
            f"not applied: `python manage.py migrate {k[0]}` applies it",
        )
        for k in g.plan()
        if k not in g.applied
    ]


def missing_file(ctx: Context, conn: Connection, g: Graph) -> list[Example]:
    # A deleted file another migration still depends on is MIG004's finding (restore it): its row
    # is not stale, and deleting it would be the wrong repair.
    depended = {dep for _, dep in g.missing}
    out = []
    for app, name in g.stale_rows():
        if (app, name) in depended:
            continue
        folder = project.rel(ctx, g.apps[app])
        out.append(
            Example(
                project.DJANGO_TABLE,
                {"app": app, "migration": name},
                f"recorded as applied but {folder}/{name}.py does not exist: restore the file, or delete "
                "the row "
                f"(DELETE FROM django_migrations WHERE app = '{app}' AND name = '{name}'; "
                f"dblint check --select MIG002 --fix --unsafe-fixes does exactly that)",
            )
        )
    return out


def inconsistent(ctx: Context, conn: Connection, g: Graph) -> list[Example]:
    out = []
    recorded_apps = {a for a, _ in g.recorded}
    for k in g.plan():
        if k not in g.applied:
            continue
        for p in g.parents.get(k, []):
            if p not in g.applied:
                out.append(_inconsistent(k, p))
        for dep in g.external.get(k, []):
            # An app dblint does not read the files of: its rows are the only evidence.
            ok = dep[0] in recorded_apps if dep[1] in ("__first__", "__latest__") else dep in g.recorded
            if not ok:
                out.append(_inconsistent(k, dep))
    return out


def _inconsistent(k: Key, p: Key) -> Example:
    return Example(
        project.DJANGO_TABLE,
        {"app": k[0], "migration": k[1], "dependency": _dj(p)},
        f"applied, but its dependency {_dj(p)} is not: `migrate` raises InconsistentMigrationHistory. "
        f"If {_dj(p)}'s changes are in the database, record it (INSERT INTO django_migrations (app, name, "
        f"applied) VALUES ('{p[0]}', '{p[1]}', CURRENT_TIMESTAMP)); otherwise unapply {_dj(k)} first",
    )


def missing_dependency(ctx: Context, conn: Connection, g: Graph) -> list[Example]:
    return [
        Example(
            project.DJANGO_TABLE,
            {"app": k[0], "migration": k[1], "missing": _dj(dep)},
            f"depends on {_dj(dep)}, which does not exist: Django raises NodeNotFoundError; "
            f"restore that file or edit the dependencies of {project.rel(ctx, g.nodes[k].path)}",
        )
        for k, dep in sorted(g.missing)
    ]


def multiple_leaves(ctx: Context, conn: Connection, g: Graph) -> list[Example]:
    unknown = g.unknown_edges()
    out = []
    for app in sorted(g.apps):
        if app in unknown:
            continue
        leaves = g.leaves(app)
        if len(leaves) > 1:
            names = ", ".join(n for _, n in leaves)
            for a, n in leaves:
                out.append(
                    Example(
                        project.DJANGO_TABLE,
                        {"app": a, "migration": n},
                        f"one of {len(leaves)} leaf migrations of {app} ({names}): `migrate` refuses "
                        f"conflicting migrations; run `python manage.py makemigrations --merge {app}`",
                    )
                )
    if unknown and not out:  # never a pass that left an app out
        raise MissingObject(f"cannot tell the leaf migrations of {'; '.join(unknown.values())}")
    return out


def unreadable(ctx: Context, conn: Connection, g: Graph) -> list[Example]:
    why = django_state.not_read(ctx)
    return [
        Example(
            project.DJANGO_TABLE,
            {"app": k[0], "migration": k[1]},
            f"{project.rel(ctx, g.files[k].path)}:{what}: dblint reads migration files without running "
            f"them, so its dependencies are unknown and {k[0]}'s leaves are not judged ({why}); with "
            "migrations.django.settings, Django's own loader reads it",
        )
        for k, what in g.unreadable.items()
    ]


def _static_steps(g: Graph) -> list[dict[str, Any]] | None:
    """What each pending migration creates, read from the files (django_ops); None when a
    migration's operations cannot be read that way (then Django's loader is asked)."""
    tables = django_ops.Tables()
    steps: list[dict[str, Any]] = []
    for k in g.plan():
        ops = g.nodes[k].operations
        if ops is None:
            return None
        try:
            created = tables.apply(k[0], ops)
        except (django_ops.Unknown, ValueError):
            return None
        if k not in g.applied:
            new = {t for kind, t, _ in created if kind == "table"}  # their columns are part of them
            kept = sorted({c for c in created if c[0] == "table" or c[1] not in new})
            steps.append({"app": k[0], "name": k[1], "creates": kept})
    return steps


def already_exists(ctx: Context, conn: Connection, g: Graph) -> list[Example]:
    if django_state.unavailable(ctx) is not None:
        return []
    refused = django_state.refusal(g)
    if refused:
        raise MissingObject(f"Django's migration loader refuses this graph: {refused}")
    steps = _static_steps(g)
    if steps is None:
        steps = django_state.load(ctx, g.recorded).steps
    present = Present(conn, ctx)
    out = []
    for step in steps:
        for kind, table, name in step["creates"]:
            if present.has(kind, table, name):
                app, mig = step["app"], step["name"]
                where = f"{table}.{name}" if kind == "column" else name
                out.append(
                    Example(
                        table,
                        {"app": app, "migration": mig, kind: where},
                        f"pending migration {app}.{mig} creates {kind} {where}, which already exists: "
                        "it would fail. If the database already has all of its changes, record it with "
                        f"`python manage.py migrate {app} {mig} --fake` (fakes the pending ones before it "
                        "too)",
                    )
                )
    return out


CHECKS: dict[str, Callable[[Context, Connection, Graph], list[Example]]] = {
    "pending": pending,
    "missing_file": missing_file,
    "inconsistent": inconsistent,
    "missing_dependency": missing_dependency,
    "multiple_leaves": multiple_leaves,
    "unreadable": unreadable,
    "already_exists": already_exists,
}
