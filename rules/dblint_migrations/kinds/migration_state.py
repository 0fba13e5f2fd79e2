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
- ``multiple_leaves``     more than one leaf migration in an app, more than one head of one
                          Alembic branch (MIG005)
- ``unknown_revision``    a version table row no script knows (MIG006)
- ``already_exists``      a pending migration creates a table, column or index the database
                          already has: the "already exists" crash, a ``--fake`` candidate (MIG007)
- ``leftover_batch_table`` an empty ``_alembic_tmp_<table>`` a failed batch upgrade left behind (MIG008)
- ``leftover_batch_rows``  such a table holding rows, or whose original is gone (MIG010; :mod:`.leftovers`)
- ``unreadable``          a Django migration whose dependencies cannot be read without running it,
                          and no settings to let Django's loader read it; an Alembic revision script
                          whose revision ids are computed, or that does not parse (MIG009)

One violation is one migration (or one row, one dependency, one object). Rows in
django_migrations for apps the config does not list (Django's contrib apps) are not judged. A
check that a root cause makes unknowable (an unknown Alembic revision, a missing graph node) is
skipped with that cause as its reason rather than listing its consequences (see
:mod:`.alembic_checks`, :mod:`.django_checks`).
The leftover batch tables' fixes are handlers (:mod:`.leftovers`). Fix of ``missing_file`` (unsafe):
delete exactly the stale django_migrations rows; refused when
an app's configured folder holds no migration file at all (a wrong path, not a stale history).
"""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from dblint_migrations.kinds import alembic_checks, django_checks, leftovers
from dblint_migrations.readers import django_graph, django_state, project
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
    "leftover_batch_table",
    "leftover_batch_rows",
    "unreadable",
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
    "multiple_leaves": "one leaf migration per app, one head per Alembic branch",
    "unknown_revision": "the database's Alembic revision is known to the scripts",
    "already_exists": "no pending migration creates something that already exists",
    "leftover_batch_table": "no empty table left behind by a failed Alembic batch upgrade",
    "leftover_batch_rows": "no table holding rows left behind by a failed Alembic batch upgrade",
    "unreadable": "every migration's dependencies can be read",
}

DJANGO_ONLY = {"missing_file"}
ALEMBIC_ONLY = {"unknown_revision", "leftover_batch_table", "leftover_batch_rows"}


class MigrationState(Kind[MigrationStateParams, MigrationStateFix]):
    name = "migration_state"
    Params = MigrationStateParams
    Fix = MigrationStateFix

    def title(self, params: MigrationStateParams) -> str:
        return TITLES[params.check]

    def check(self, ctx: Context, params: MigrationStateParams) -> Check:
        which = params.check
        cfg = project.migrations_config(ctx)  # skipped, with the reason, when nothing is configured
        if which in DJANGO_ONLY and cfg.django is None:
            raise MissingObject(
                "MIG002 reads django_migrations; for Alembic's version table see unknown_revision (MIG006)"
                if which == "missing_file"
                else "no migrations.django configured"
            )
        if which in ALEMBIC_ONLY and cfg.alembic is None:
            what = "version table is" if which == "unknown_revision" else "batch tables are"
            raise MissingObject(f"no migrations.alembic configured (the {what} Alembic's)")
        if which in ("leftover_batch_table", "leftover_batch_rows"):
            holding = which == "leftover_batch_rows"
            return ComputedCheck(lambda conn: leftovers.findings(ctx, conn, holding=holding))
        if which == "already_exists" and cfg.django is not None and cfg.alembic is None:
            django_state.require(ctx)  # skipped when Django or its settings are not available

        def compute(conn: Connection) -> list[Example]:
            out: list[Example] = []
            if cfg.django is not None and which not in ALEMBIC_ONLY:
                out += django_checks.CHECKS[which](ctx, conn, django_state.graph(conn, ctx))
            g = project.alembic(ctx)
            if g is not None and which not in DJANGO_ONLY:
                if which != "unreadable":
                    alembic_checks.require_complete(ctx, g)
                out += alembic_checks.CHECKS[which](ctx, conn, alembic_checks.state(conn, ctx, g))
            return out

        return ComputedCheck(compute)

    def fix(self, ctx: Context, params: MigrationStateParams, fix: MigrationStateFix) -> list[FixStep]:
        if params.check != "missing_file":
            raise RuleError(
                f"migration_state check {params.check!r} has no fix; its message says what to run by hand"
            )
        apps = project.django_apps(ctx)
        if apps is None:
            raise RuleError("no migrations.django configured")
        files = project.cached(ctx, "django_files", lambda: django_graph.read_all(apps))
        graph = django_graph.build(apps, (), files)
        empty = sorted(app for app in apps if not any(a == app for a, _ in graph.files))
        if empty:  # every row of the app would go: far likelier a wrong folder than a lost history
            folder = project.rel(ctx, apps[empty[0]])
            raise RuleError(
                f"migrations.django.apps.{empty[0]}: {folder} holds no migration file at all, so every "
                f"{empty[0]} row would be deleted; check the folder in the config (the fix deletes nothing)"
            )
        t = sa.table(
            ctx.schema.real_name(project.DJANGO_TABLE),
            sa.column("app"),
            sa.column("name"),
            schema=ctx.schema.schema,
        )
        # Exactly MIG002's rows: a configured app's rows whose name is neither a file nor replaced by
        # one, nor a missing file another migration depends on (MIG004's).
        depended = {dep for _, dep in graph.missing}

        def keep(app: str) -> list[str]:
            return sorted(graph.known_names(app) | {n for a, n in depended if a == app}) or [""]

        where = sa.or_(*[sa.and_(t.c.app == app, t.c.name.not_in(keep(app))) for app in sorted(apps)])
        return [
            FixStep(
                sa.delete(t).where(where),
                count_of(sa.select(sa.literal(1)).select_from(t).where(where)),
                "delete the django_migrations rows whose migration file is gone",
            )
        ]
