"""``drift``: the database against the schema the models describe (``models.metadata``,
``models.reference_url``, or the applied Django migrations), by reflection: the CKAN "diff two
pg_dumps" check, done on the live database.

``check``:

- ``missing_table``       a table of the models is not in the database (DRIFT001)
- ``missing_column``      a column of the models is not in its table (DRIFT002)
- ``extra``               a table or column in the database that the models do not have (DRIFT003)
- ``mismatch``            type, nullability or server default differ (DRIFT004)
- ``missing_constraint``  an index, unique key or foreign key of the models is not in the database (DRIFT005)

One fault, one finding: with a model source of the code's head (``models.metadata``,
``models.reference_url``) and an Alembic project, a difference that a pending revision makes (it
creates the missing table, alters the column, adds the unique key) is not reported: the database
is behind, not drifted, and MIG001 names the revision (PRE counts the rows that would stop it).
A leftover ``_alembic_tmp_<table>`` is MIG008's, not an extra table.

``exclude`` names tables to leave alone (the bookkeeping tables always are). Types are compared
by family across dialect spellings (VARCHAR(n) length, integer width except on SQLite, NUMERIC
precision/scale); primary-key columns are not compared for nullability or default.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy.engine import Connection

from dblint_migrations.config import models_section
from dblint_migrations.readers import compare, models, pending, project
from dblint_migrations.readers.live import BATCH_PREFIX
from linter import Check, ComputedCheck, Context, Example, Kind, Params


class DriftParams(Params):
    check: Literal["missing_table", "missing_column", "extra", "mismatch", "missing_constraint"]
    exclude: list[str] = []


TITLES = {
    "missing_table": "every table of the models exists",
    "missing_column": "every column of the models exists",
    "extra": "the database has no table or column the models lack",
    "mismatch": "column types, nullability and defaults match the models",
    "missing_constraint": "indexes, unique keys and foreign keys of the models exist",
}


class Drift(Kind[DriftParams, Any]):
    name = "drift"
    Params = DriftParams

    def title(self, params: DriftParams) -> str:
        return TITLES[params.check]

    def check(self, ctx: Context, params: DriftParams) -> Check:
        models.require(ctx)  # skipped, with the reason, when there is nothing to compare with

        def compute(conn: Connection) -> list[Example]:
            target = models.target(ctx, conn, "drift")
            live = compare.Live(conn, ctx)
            found = list(getattr(self, f"_{params.check}")(ctx, target, live, params))
            m = models_section(ctx.config)
            ahead = pending.alembic_pending(ctx, conn) if m and (m.metadata or m.reference_url) else None
            if ahead is None:
                return found
            return [e for e in found if pending.explained(ahead, params.check, e.key) is None]

        return ComputedCheck(compute)

    def _missing_table(self, ctx: Context, target: models.Target, live: compare.Live, p: DriftParams) -> Any:
        for t in compare.model_tables(ctx, target.metadata, p.exclude):
            if live.table(t.name) is None:
                yield Example(
                    t.name, {"table": t.name}, f"table is in {target.source} but not in the database"
                )

    def _missing_column(self, ctx: Context, target: models.Target, live: compare.Live, p: DriftParams) -> Any:
        for t in compare.model_tables(ctx, target.metadata, p.exclude):
            lt = live.table(t.name)
            if lt is None:
                continue
            for c in t.columns:
                if c.name.lower() not in lt.columns:
                    yield Example(
                        lt.name,
                        {"table": lt.name, "column": c.name},
                        f"column {c.name} ({compare._show(c.type)}) is in {target.source} but not in the "
                        "database",
                    )

    def _extra(self, ctx: Context, target: models.Target, live: compare.Live, p: DriftParams) -> Any:
        skip = {e.lower() for e in p.exclude} | project.bookkeeping(ctx)
        known = {t.name.lower(): t for t in target.metadata.tables.values()}
        for low, real in sorted(live.names.items()):
            if low in skip or low.startswith(BATCH_PREFIX):
                continue
            t = known.get(low)
            if t is None:
                yield Example(real, {"table": real}, f"table is in the database but not in {target.source}")
                continue
            cols = {c.name.lower() for c in t.columns}
            lt = live.table(real)
            assert lt is not None
            for cname, col in lt.columns.items():
                if cname not in cols:
                    yield Example(
                        real,
                        {"table": real, "column": col["name"]},
                        f"column {col['name']} is in the database but not in {target.source}",
                    )

    def _mismatch(self, ctx: Context, target: models.Target, live: compare.Live, p: DriftParams) -> Any:
        for t in compare.model_tables(ctx, target.metadata, p.exclude):
            lt = live.table(t.name)
            if lt is None:
                continue
            for c in t.columns:
                dc = lt.columns.get(c.name.lower())
                if dc is None:
                    continue
                diffs = []
                td = compare.type_difference(c.type, dc["type"], ctx.dialect)
                if td:
                    diffs.append(td)
                if not c.primary_key and c.name.lower() not in lt.pk:
                    if bool(c.nullable) != bool(dc.get("nullable", True)):
                        want = "nullable" if c.nullable else "NOT NULL"
                        have = "nullable" if dc.get("nullable", True) else "NOT NULL"
                        diffs.append(f"{want} in the models, {have} in the database")
                    md, dd = compare.norm_default(c.server_default), compare.norm_default(dc.get("default"))
                    if md != dd:
                        diffs.append(
                            f"default {md if md is not None else 'none'} in the models, "
                            f"{dd if dd is not None else 'none'} in the database"
                        )
                if diffs:
                    yield Example(lt.name, {"table": lt.name, "column": dc["name"]}, "; ".join(diffs))

    def _missing_constraint(
        self, ctx: Context, target: models.Target, live: compare.Live, p: DriftParams
    ) -> Any:
        for t in compare.model_tables(ctx, target.metadata, p.exclude):
            lt = live.table(t.name)
            if lt is None:
                continue
            present = set(lt.columns)
            for cols in compare.model_uniques(t):
                if set(compare.lower(cols)) <= present and not compare.has_unique(lt, cols):
                    yield Example(
                        lt.name,
                        {"table": lt.name, "unique": ",".join(cols)},
                        f"UNIQUE ({', '.join(cols)}) is in {target.source} but not in the database",
                    )
            for name, cols in compare.model_indexes(t):
                if set(compare.lower(cols)) <= present and not compare.has_index(lt, cols):
                    label = f"index {name} " if name else "index "
                    yield Example(
                        lt.name,
                        {"table": lt.name, "index": ",".join(cols)},
                        f"{label}on ({', '.join(cols)}) is in {target.source} but not in the database",
                    )
            for fk in compare.model_fks(t):
                cols = tuple(c.name for c in fk.columns)
                ref = fk.elements[0].target_fullname.rsplit(".", 2)[-2]
                if set(compare.lower(cols)) <= present and not compare.has_fk(lt, cols, ref):
                    yield Example(
                        lt.name,
                        {"table": lt.name, "foreign_key": ",".join(cols)},
                        f"FOREIGN KEY ({', '.join(cols)}) REFERENCES {ref} is in {target.source} but not in "
                        "the database",
                    )
