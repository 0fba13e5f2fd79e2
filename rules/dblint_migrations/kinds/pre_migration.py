"""``pre_migration``: the rows that will make the next migration die half way, counted before it
runs. The target schema is the models (``models.metadata`` / ``reference_url``) or the state after
every pending Django migration; the live database is what the data must fit into.

``check``:

- ``not_null``     rows holding NULL in a column the models declare NOT NULL while the database
                   still allows NULL (PRE001; Covalent's "NOT NULL constraint failed")
- ``unique``       duplicate groups under a UNIQUE the models declare and the database lacks
                   (PRE002; "duplicate key value violates unique constraint")
- ``foreign_key``  rows whose value has no parent, for a foreign key the models declare and the
                   database lacks (PRE003; adding the constraint fails)
- ``fits``         values longer than the models' VARCHAR(n), or text that will not cast to the
                   models' integer/numeric type (PRE004)
- ``new_not_null`` a table with rows to which a pending migration adds a NOT NULL column without
                   a default (PRE005; counted per table, see :mod:`.new_columns`)

All offending rows of all columns are counted by ONE query (a UNION ALL of one set-based branch
per column or constraint); a finding's key is the row's primary key plus what it breaks (the
``column``, or the ``foreign_key``'s columns), so two faults of one row are two keys.

Fixes (unsafe; ``--unsafe-fixes``): ``action: set_default`` sets NULLs to the scalar default the
models declare (PRE001; columns without one are left, and the fix then rolls back); ``action:
keep_one`` keeps one row per duplicate group by ``order_by`` (default: primary key), deleting the
others (PRE002).
"""

from __future__ import annotations

from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from dblint_migrations.kinds import new_columns
from dblint_migrations.readers import compare, models
from linter import Check, Context, DeferredCheck, FixModel, FixStep, Kind, MissingObject, Params, RuleError
from linter.kinds import sqlbuild
from linter.kinds.base import count_of, fmt
from linter.kinds.unique import Unique, UniqueFix, UniqueParams

TEXT = sa.String(255)


class PreParams(Params):
    check: Literal["not_null", "unique", "foreign_key", "fits", "new_not_null"]
    exclude: list[str] = []


class PreFix(FixModel):
    action: Literal["set_default", "keep_one"]
    keep: Literal["first", "last"] = "first"
    order_by: list[str] = []


TITLES = {
    "not_null": "no NULLs in columns the models declare NOT NULL",
    "unique": "no duplicates under UNIQUE keys the models declare",
    "foreign_key": "no orphans under foreign keys the models declare",
    "fits": "values fit the models' column lengths and types",
    "new_not_null": "no new NOT NULL column without a default on a table with rows",
}


def _row(
    t: sa.Table, key_cols: list[Any], extra: dict[str, str], detail: sa.ColumnElement[Any] | str
) -> list[sa.ColumnElement[Any]]:
    """:func:`sqlbuild.row` whose key also names what the row breaks (``extra``: name -> value)."""
    names = [k.name for k in key_cols] + list(extra)
    parts: list[sa.ColumnElement[Any]] = [sa.cast(k, TEXT) for k in key_cols]
    parts += [sa.literal(v, TEXT) for v in extra.values()]
    return [
        sa.literal(t.name, TEXT).label("table"),
        sa.literal(",".join(names), TEXT).label("key_names"),
        sqlbuild.concat(parts).label("key"),
        (sa.literal(detail, TEXT) if isinstance(detail, str) else detail).label("detail"),
    ]


def _pk(t: sa.Table, fallback: list[Any]) -> list[Any]:
    return list(t.primary_key.columns) or fallback


def _fk_parts(fk: sa.ForeignKeyConstraint) -> tuple[list[str], str, list[str]]:
    cols = [c.name for c in fk.columns]
    targets = [e.target_fullname.rsplit(".", 2) for e in fk.elements]
    return cols, targets[0][-2], [t[-1] for t in targets]


class PreMigration(Kind[PreParams, PreFix]):
    name = "pre_migration"
    Params = PreParams
    Fix = PreFix

    def title(self, params: PreParams) -> str:
        return TITLES[params.check]

    def check(self, ctx: Context, params: PreParams) -> Check:
        if params.check == "new_not_null":
            return new_columns.check(ctx, params.exclude)
        models.require(ctx)

        def build(conn: Connection) -> Check:
            target = models.target(ctx, conn, "pre")
            with ctx.cache_lock:
                ctx.cache["pre_migration:target"] = target  # for the fix, in the same run
            live = compare.Live(conn, ctx)
            branches = list(getattr(self, f"_{params.check}")(ctx, target, live, params))
            return sqlbuild.union_check(branches)

        return DeferredCheck(build)

    # Each generator yields one SELECT (table, key, detail) per column or constraint.

    def _pairs(self, ctx: Context, target: models.Target, live: compare.Live, p: PreParams) -> Any:
        for t in compare.model_tables(ctx, target.metadata, p.exclude):
            lt = live.table(t.name)
            if lt is not None:
                yield t, lt, ctx.table(lt.name)

    def _not_null(self, ctx: Context, target: models.Target, live: compare.Live, p: PreParams) -> Any:
        for t, lt, db in self._pairs(ctx, target, live, p):
            for c in t.columns:
                dc = lt.columns.get(c.name.lower())
                if c.nullable or c.primary_key or dc is None or not dc.get("nullable", True):
                    continue
                col = ctx.col(db, c.name)
                detail = f"{col.name} is NULL, but {target.source} declares it NOT NULL"
                yield sa.select(*_row(db, _pk(db, [col]), {"column": col.name}, detail)).where(col.is_(None))

    def _unique(self, ctx: Context, target: models.Target, live: compare.Live, p: PreParams) -> Any:
        for t, lt, db in self._pairs(ctx, target, live, p):
            for cols in compare.model_uniques(t):
                if not set(compare.lower(cols)) <= set(lt.columns) or compare.has_unique(lt, cols):
                    continue
                dcols = [ctx.col(db, c) for c in cols]
                shown = ", ".join(c.name for c in dcols)
                detail = sa.cast(sa.func.count(), TEXT) + sa.literal(  # the key shows the values
                    f" rows share this ({shown}): the UNIQUE ({shown}) of {target.source} cannot be added",
                    TEXT,
                )
                yield (
                    sa.select(*sqlbuild.row(db, dcols, detail))
                    .where(*[c.is_not(None) for c in dcols])
                    .group_by(*dcols)
                    .having(sa.func.count() > 1)
                )

    def _foreign_key(self, ctx: Context, target: models.Target, live: compare.Live, p: PreParams) -> Any:
        for t, lt, db in self._pairs(ctx, target, live, p):
            for fk in compare.model_fks(t):
                cols, ref, refcols = _fk_parts(fk)
                parent = live.table(ref)
                if parent is None or not set(compare.lower(tuple(cols))) <= set(lt.columns):
                    continue
                if compare.has_fk(lt, tuple(cols), ref) or not set(c.lower() for c in refcols) <= set(
                    parent.columns
                ):
                    continue
                try:
                    yield self._orphans(ctx, db, parent.name, cols, refcols)
                except MissingObject:
                    continue

    def _orphans(self, ctx: Context, child: sa.Table, ref: str, cols: list[str], refcols: list[str]) -> Any:
        """The rows of ``child`` whose ``cols`` have no parent row, keyed by primary key and FK."""
        parent: Any = ctx.table(ref)
        if parent is child:
            parent = parent.alias("dblint_parent")
        ccols = [ctx.col(child, c) for c in cols]
        pcols = [ctx.col(parent, c) for c in refcols]
        exists = sa.exists().where(*[pc == c for c, pc in zip(ccols, pcols, strict=True)]).correlate(child)
        detail = (
            sa.literal(f"{', '.join(c.name for c in ccols)} = ", TEXT)
            + sqlbuild.concat([sa.cast(c, TEXT) for c in ccols])
            + sa.literal(f" has no row in {ref}({', '.join(refcols)})", TEXT)
        )
        key = _row(child, _pk(child, ccols), {"foreign_key": ",".join(c.name for c in ccols)}, detail)
        return sa.select(*key).where(*[c.is_not(None) for c in ccols], ~exists)

    def _fits(self, ctx: Context, target: models.Target, live: compare.Live, p: PreParams) -> Any:
        for t, lt, db in self._pairs(ctx, target, live, p):
            for c in t.columns:
                dc = lt.columns.get(c.name.lower())
                if dc is None:
                    continue
                col = ctx.col(db, c.name)
                want, have = compare.family(c.type, ctx.dialect), compare.family(dc["type"], ctx.dialect)
                if want is None or have is None:
                    continue
                cond, detail = None, None
                if (
                    want[0] == "string"
                    and want[1]
                    and have[0] == "string"
                    and (have[1] is None or have[1] > want[1])
                ):
                    n = want[1]
                    length = sa.func.char_length(col) if ctx.dialect != "sqlite" else sa.func.length(col)
                    cond = length > n
                    detail = (
                        sa.literal(f"{col.name} holds ", TEXT)
                        + sa.cast(length, TEXT)
                        + sa.literal(f" characters; {target.source} allows {n}", TEXT)
                    )
                elif want[0] in ("integer", "numeric") and have[0] == "string":
                    cond = sa.and_(col.is_not(None), ~self._castable(ctx, col, want[0]))
                    detail = (
                        sa.literal(f"{col.name} = '", TEXT)
                        + sa.cast(sa.func.substr(col, 1, 60), TEXT)
                        + sa.literal(
                            f"' is not {'an integer' if want[0] == 'integer' else 'a number'} "
                            f"({compare._show(c.type)} in {target.source})",
                            TEXT,
                        )
                    )
                if cond is not None and detail is not None:
                    yield sa.select(*_row(db, _pk(db, [col]), {"column": col.name}, detail)).where(cond)

    def _castable(self, ctx: Context, col: Any, kind: str) -> sa.ColumnElement[bool]:
        pattern = (
            r"^\s*[-+]?[0-9]+\s*$"
            if kind == "integer"
            else r"^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$"
        )
        if ctx.dialect == "postgresql":
            return col.op("~", is_comparison=True)(pattern)
        if ctx.dialect == "mysql":
            return col.op("REGEXP", is_comparison=True)(pattern.replace(r"\s", "[[:space:]]"))
        # SQLite has no REGEXP: after an optional sign, digits only (integer), or digits with at
        # least one digit among points and exponents (numeric; approximate, e.g. '1.2.3' passes).
        body = sa.func.ltrim(sa.func.trim(col), "+-")
        glob = body.op("GLOB", is_comparison=True)
        if kind == "integer":
            return sa.and_(body != "", ~glob("*[^0-9]*"))
        return sa.and_(~glob("*[^0-9.eE+-]*"), glob("*[0-9]*"))

    # --- fixes ----------------------------------------------------------------------------------

    def fix(self, ctx: Context, params: PreParams, fix: PreFix) -> list[FixStep]:
        target: models.Target | None = ctx.cache.get("pre_migration:target")
        if target is None:
            raise RuleError("the fix needs the target schema the check computed")
        if params.check == "not_null" and fix.action == "set_default":
            return self._set_defaults(ctx, target, params)
        if params.check == "unique" and fix.action == "keep_one":
            return self._keep_one(ctx, target, params, fix)
        raise RuleError(f"pre_migration check {params.check!r} has no fix {fix.action!r}")

    def _set_defaults(self, ctx: Context, target: models.Target, p: PreParams) -> list[FixStep]:
        steps = []
        for t in compare.model_tables(ctx, target.metadata, p.exclude):
            if not ctx.schema.has_table(t.name):
                continue
            db = ctx.table(t.name)
            for c in t.columns:
                if c.nullable or c.primary_key:
                    continue
                value = target.defaults.get((t.name, c.name))
                if value is None:
                    continue
                try:
                    col = ctx.col(db, c.name)
                except MissingObject:
                    continue
                where = col.is_(None)
                steps.append(
                    FixStep(
                        sa.update(db).where(where).values({col.name: sa.literal(value, col.type)}),
                        count_of(sa.select(sa.literal(1)).select_from(db).where(where)),
                        f"set {db.name}.{col.name} = {fmt(value)} where NULL (the models' default)",
                    )
                )
        return steps

    def _keep_one(self, ctx: Context, target: models.Target, p: PreParams, fix: PreFix) -> list[FixStep]:
        steps: list[FixStep] = []
        unique = Unique()
        for t in compare.model_tables(ctx, target.metadata, p.exclude):
            if not ctx.schema.has_table(t.name):
                continue
            db = ctx.table(t.name)
            names = {c.name.lower() for c in db.columns}
            for cols in compare.model_uniques(t):
                if not set(compare.lower(cols)) <= names:
                    continue
                order = [o for o in fix.order_by if o.lower() in names]
                steps += unique.fix(
                    ctx,
                    UniqueParams(table=db.name, columns=list(cols)),
                    UniqueFix(keep=fix.keep, order_by=order),
                )
        return steps
