"""``migration_state``: the migration files (Django, Alembic; read statically) against the
bookkeeping table (``django_migrations``, Alembic's version table, ``alembic_version`` unless
``env.py`` or the config renames it; one query), before ``migrate`` or
``alembic upgrade`` finds out the hard way.

``check`` names what is looked for:

- ``pending``             a migration file present but not applied (MIG001)
- ``missing_file``        a django_migrations row for a configured app whose file is gone (MIG002)
- ``inconsistent``        an applied migration whose dependency is not applied; for Alembic, a
                          revision recorded together with its own ancestor (MIG003)
- ``missing_dependency``  a dependency / down_revision naming a migration that does not exist (MIG004)
- ``multiple_leaves``     more than one leaf migration in an app, more than one Alembic head (MIG005)
- ``unknown_revision``    a version table row no script knows (MIG006)
- ``already_exists``      a pending migration creates a table, column or index the database
                          already has: the "already exists" crash, a ``--fake`` candidate (MIG007)

One violation is one migration (or one row, one dependency, one object). Rows in
django_migrations for apps the config does not list (Django's contrib apps) are not judged.
Fix (``missing_file`` only, unsafe): delete exactly the stale django_migrations rows.
"""

from __future__ import annotations

from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from dblint_migrations.readers import alembic_graph, django_graph, django_state, project
from linter import (
    Check,
    ComputedCheck,
    Context,
    Example,
    FixModel,
    FixStep,
    Kind,
    MissingObject,
    Params,
    RuleError,
)
from linter.kinds.base import count_of

CheckName = Literal[
    "pending",
    "missing_file",
    "inconsistent",
    "missing_dependency",
    "multiple_leaves",
    "unknown_revision",
    "already_exists",
]


class MigrationStateParams(Params):
    check: CheckName


class MigrationStateFix(FixModel):
    action: Literal["delete_stale_rows"] = "delete_stale_rows"


TITLES = {
    "pending": "every migration file is applied",
    "missing_file": "every applied migration still has its file",
    "inconsistent": "no applied migration has an unapplied dependency",
    "missing_dependency": "every migration dependency exists",
    "multiple_leaves": "one leaf migration per app, one Alembic head",
    "unknown_revision": "the database's Alembic revision is known to the scripts",
    "already_exists": "no pending migration creates something that already exists",
}


def _dj(key: django_graph.Key) -> str:
    return f"{key[0]}.{key[1]}"


class MigrationState(Kind[MigrationStateParams, MigrationStateFix]):
    name = "migration_state"
    Params = MigrationStateParams
    Fix = MigrationStateFix

    def title(self, params: MigrationStateParams) -> str:
        return TITLES[params.check]

    def check(self, ctx: Context, params: MigrationStateParams) -> Check:
        project.migrations_config(ctx)  # skipped, with the reason, when nothing is configured
        which = params.check
        if which == "missing_file" and project.django_apps(ctx) is None:
            raise MissingObject(
                "MIG002 reads django_migrations; for Alembic's version table see unknown_revision (MIG006)"
            )
        if which == "unknown_revision" and project.migrations_config(ctx).alembic is None:
            raise MissingObject("no migrations.alembic configured (the version table is Alembic's)")
        if which == "already_exists":
            if project.django_apps(ctx) is not None and project.migrations_config(ctx).alembic is None:
                django_state.require(ctx)  # skipped when Django or its settings are not available

        def compute(conn: Connection) -> list[Example]:
            out: list[Example] = []
            dj = project.django_graph_for(conn, ctx)
            if dj is not None:
                out += getattr(self, f"_django_{which}")(ctx, conn, dj)
            al = project.alembic(ctx)
            if al is not None and which != "missing_file":
                out += getattr(self, f"_alembic_{which}")(ctx, conn, al, project.alembic_rows(conn, ctx))
            return out

        return ComputedCheck(compute)

    # --- Django ---------------------------------------------------------------------------------

    def _django_pending(self, ctx: Context, conn: Connection, g: django_graph.Graph) -> list[Example]:
        return [
            Example(
                project.DJANGO_TABLE,
                {"app": k[0], "migration": k[1]},
                f"not applied: `python manage.py migrate {k[0]}` applies it",
            )
            for k in g.plan()
            if k not in g.applied
        ]

    def _django_missing_file(self, ctx: Context, conn: Connection, g: django_graph.Graph) -> list[Example]:
        out = []
        for app, name in g.stale_rows():
            folder = project.rel(ctx, g.apps[app])
            out.append(
                Example(
                    project.DJANGO_TABLE,
                    {"app": app, "migration": name},
                    f"recorded as applied but {folder}/{name}.py does not exist: restore the file, or "
                    "delete the row "
                    f"(DELETE FROM django_migrations WHERE app = '{app}' AND name = '{name}'; "
                    f"dblint check --select MIG002 --fix --unsafe-fixes does exactly that)",
                )
            )
        return out

    def _django_inconsistent(self, ctx: Context, conn: Connection, g: django_graph.Graph) -> list[Example]:
        out = []
        recorded_apps = {a for a, _ in g.recorded}
        for k in g.plan():
            if k not in g.applied:
                continue
            for p in g.parents.get(k, []):
                if p not in g.applied:
                    out.append(self._inconsistent(k, p))
            for dep in g.external.get(k, []):
                # An app dblint does not read the files of: its rows are the only evidence.
                ok = dep[0] in recorded_apps if dep[1] in ("__first__", "__latest__") else dep in g.recorded
                if not ok:
                    out.append(self._inconsistent(k, dep))
        return out

    def _inconsistent(self, k: django_graph.Key, p: django_graph.Key) -> Example:
        return Example(
            project.DJANGO_TABLE,
            {"app": k[0], "migration": k[1]},
            f"applied, but its dependency {_dj(p)} is not: `migrate` raises InconsistentMigrationHistory. "
            f"If {_dj(p)}'s changes are in the database, record it (INSERT INTO django_migrations (app, "
            "name, applied) "
            f"VALUES ('{p[0]}', '{p[1]}', CURRENT_TIMESTAMP)); otherwise unapply {_dj(k)} first",
        )

    def _django_missing_dependency(
        self, ctx: Context, conn: Connection, g: django_graph.Graph
    ) -> list[Example]:
        return [
            Example(
                project.DJANGO_TABLE,
                {"app": k[0], "migration": k[1]},
                f"depends on {_dj(dep)}, which does not exist: Django raises NodeNotFoundError; "
                f"restore that file or edit the dependencies of {project.rel(ctx, g.nodes[k].path)}",
            )
            for k, dep in sorted(g.missing)
        ]

    def _django_multiple_leaves(self, ctx: Context, conn: Connection, g: django_graph.Graph) -> list[Example]:
        out = []
        for app in sorted(g.apps):
            leaves = g.leaves(app)
            if len(leaves) > 1:
                names = ", ".join(n for _, n in leaves)
                for a, n in leaves:
                    out.append(
                        Example(
                            project.DJANGO_TABLE,
                            {"app": a, "migration": n},
                            f"one of {len(leaves)} leaf migrations of {app} ({names}): `migrate` refuses "
                            "conflicting "
                            f"migrations; run `python manage.py makemigrations --merge {app}`",
                        )
                    )
        return out

    def _django_unknown_revision(
        self, ctx: Context, conn: Connection, g: django_graph.Graph
    ) -> list[Example]:
        return []  # django_migrations rows without a file are MIG002

    def _django_already_exists(self, ctx: Context, conn: Connection, g: django_graph.Graph) -> list[Example]:
        if django_state.unavailable(ctx) is not None:
            return []
        state = django_state.load(ctx, g.recorded)
        present = _Present(conn, ctx)
        out = []
        for step in state.steps:
            for kind, table, name in step["creates"]:
                if present.has(kind, table, name):
                    app, mig = step["app"], step["name"]
                    where = f"{table}.{name}" if kind == "column" else name
                    out.append(
                        Example(
                            table,
                            {"app": app, "migration": mig, kind: where},
                            f"pending migration {app}.{mig} creates {kind} {where}, which already exists: "
                            "it would fail. "
                            f"If the database already has all of its changes, record it with "
                            f"`python manage.py migrate {app} {mig} --fake` (fakes the pending ones before "
                            "it too)",
                        )
                    )
        return out

    # --- Alembic --------------------------------------------------------------------------------

    def _alembic_pending(
        self, ctx: Context, conn: Connection, g: alembic_graph.Graph, rows: list[str]
    ) -> list[Example]:
        applied = g.ancestors(rows)
        heads = g.heads()
        vt = project.version_table(ctx)
        out = []
        for r in g.order():
            if r in applied:
                continue
            branch = g.head_of(r)
            target = "head" if len(heads) == 1 else (branch[0] if len(branch) == 1 else "heads")
            out.append(
                Example(
                    vt.name,
                    {"revision": r, "head": ",".join(branch)},
                    f"not applied ({project.rel(ctx, g.revisions[r].path)}): `alembic upgrade {target}` "
                    "applies it",
                )
            )
        return out

    def _alembic_missing_file(self, *a: Any) -> list[Example]:
        return []

    def _alembic_inconsistent(
        self, ctx: Context, conn: Connection, g: alembic_graph.Graph, rows: list[str]
    ) -> list[Example]:
        vt = project.version_table(ctx)
        out = []
        for r in rows:
            for other in rows:
                if other != r and r in g.ancestors([other]):
                    out.append(
                        Example(
                            vt.name,
                            {"revision": r},
                            f"{vt.shown} holds {r} and also its descendant {other}: Alembic fails with "
                            f'"Requested revision {other} overlaps with other requested revisions {r}"; '
                            f"delete the row for {r} (DELETE FROM {vt.sql(conn)} WHERE version_num = '{r}')",
                        )
                    )
                    break
        return out

    def _alembic_missing_dependency(
        self, ctx: Context, conn: Connection, g: alembic_graph.Graph, rows: list[str]
    ) -> list[Example]:
        vt = project.version_table(ctx)
        return [
            Example(
                vt.name,
                {"revision": r, "missing": p},
                f'refers to revision {p}, which no script has: Alembic fails with "Revision {p} referenced '
                "from "
                f'{r} is not present"; restore it or fix down_revision/depends_on in '
                f"{project.rel(ctx, g.revisions[r].path)}",
            )
            for r, p in sorted(g.missing())
        ]

    def _alembic_multiple_leaves(
        self, ctx: Context, conn: Connection, g: alembic_graph.Graph, rows: list[str]
    ) -> list[Example]:
        heads = g.heads()
        if len(heads) < 2:
            return []
        vt = project.version_table(ctx)
        return [
            Example(
                vt.name,
                {"revision": h},
                f"one of {len(heads)} heads ({', '.join(heads)}): `alembic upgrade head` fails with "
                '"Multiple head revisions"; run `alembic merge heads -m merge`, or point one '
                "down_revision at the other head",
            )
            for h in heads
        ]

    def _alembic_unknown_revision(
        self, ctx: Context, conn: Connection, g: alembic_graph.Graph, rows: list[str]
    ) -> list[Example]:
        heads = g.heads()
        stamp = heads[0] if len(heads) == 1 else "<revision>"
        vt = project.version_table(ctx)
        return [
            Example(
                vt.name,
                {"revision": r},
                f"{vt.shown} holds {r}, which no script in {project.rel(ctx, g.location)} knows: "
                f"Alembic fails with \"Can't locate revision identified by '{r}'\"; restore the script, "
                f"or, if the schema matches a known revision, `alembic stamp --purge {stamp}`",
            )
            for r in rows
            if g.resolve(r) is None
        ]

    def _alembic_already_exists(
        self, ctx: Context, conn: Connection, g: alembic_graph.Graph, rows: list[str]
    ) -> list[Example]:
        applied = g.ancestors(rows)
        present = _Present(conn, ctx)
        out = []
        for r in g.order():
            if r in applied:
                continue
            for kind, table, name, line in g.revisions[r].creates.items:
                if present.has(kind, table, name):
                    where = f"{table}.{name}" if kind == "column" else name
                    out.append(
                        Example(
                            table,
                            {"revision": r, kind: where},
                            f"pending revision {r} ({project.rel(ctx, g.revisions[r].path)}:{line}) creates "
                            f"{kind} {where}, "
                            "which already exists: `alembic upgrade` would fail. If the database already "
                            "has all of "
                            f"{r}'s changes, `alembic stamp {r}`",
                        )
                    )
        return out

    # --- fix ------------------------------------------------------------------------------------

    def fix(self, ctx: Context, params: MigrationStateParams, fix: MigrationStateFix) -> list[FixStep]:
        if params.check != "missing_file":
            raise RuleError(
                f"migration_state check {params.check!r} has no fix; its message says what to run by hand"
            )
        apps = project.django_apps(ctx)
        if apps is None:
            raise RuleError("no migrations.django configured")
        files = django_graph.build(
            apps, (), project.cached(ctx, "django_files", lambda: django_graph.read_all(apps))
        ).known_names
        t = sa.table(
            ctx.schema.real_name(project.DJANGO_TABLE),
            sa.column("app"),
            sa.column("name"),
            schema=ctx.schema.schema,
        )
        # Exactly MIG002's rows: a configured app's rows whose name is neither a file nor replaced by one.
        where = sa.or_(
            *[sa.and_(t.c.app == app, t.c.name.not_in(sorted(files(app)) or [""])) for app in sorted(apps)]
        )
        return [
            FixStep(
                sa.delete(t).where(where),
                count_of(sa.select(sa.literal(1)).select_from(t).where(where)),
                "delete the django_migrations rows whose migration file is gone",
            )
        ]


class _Present:
    """What the live database has (catalog reads, per table, on demand)."""

    def __init__(self, conn: Connection, ctx: Context) -> None:
        self.insp = sa.inspect(conn)
        self.schema = ctx.schema.schema
        self.tables = {n.lower(): n for n in self.insp.get_table_names(schema=self.schema)}
        self._cols: dict[str, set[str]] = {}
        self._idx: dict[str, set[str]] = {}

    def has(self, kind: str, table: str, name: str) -> bool:
        real = self.tables.get(table.lower())
        if real is None:
            return False
        if kind == "table":
            return True
        if kind == "column":
            if real not in self._cols:
                self._cols[real] = {
                    c["name"].lower() for c in self.insp.get_columns(real, schema=self.schema)
                }
            return name.lower() in self._cols[real]
        if real not in self._idx:
            names = {i["name"] for i in self.insp.get_indexes(real, schema=self.schema) if i.get("name")}
            names |= {
                u["name"] for u in self.insp.get_unique_constraints(real, schema=self.schema) if u.get("name")
            }
            self._idx[real] = {n.lower() for n in names if n}
        return name.lower() in self._idx[real]
