"""Where in the history a database is when its version table names a revision no script knows
(MIG006): only what can be shown, never a guess.

The evidence, in order:

1. the scripts: the tables and columns each revision leaves, as the ``op`` calls dblint reads
   (:mod:`.alembic_ops`) create and drop them, compared with the database's (restricted to the
   names the history mentions); the revisions whose sets are equal to the database's are the
   candidates, and the oldest is the one a stamp can start again from;
2. ``models.reference_url``: a database built by the migrations, whose own version table says at
   which revision it is, with exactly the database's tables and columns;
3. ``models.metadata``: the models' tables and columns equal the database's.

Without a match the advice says so and names no revision: ``alembic stamp`` to a wrong revision
makes the next upgrade skip or repeat migrations.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from dblint_migrations.config import models_section
from dblint_migrations.readers import alembic_graph, models, project
from dblint_migrations.readers.live import BATCH_PREFIX
from linter import Context
from linter.db import create_engine, parse_target

Names = frozenset[tuple[str, ...]]  # ("table", t) and ("column", t, c), lower case


def revision_schemas(g: alembic_graph.Graph) -> dict[str, Names]:
    """The tables and columns each revision leaves, from the op calls of it and its ancestors."""
    out: dict[str, Names] = {}
    for r in g.order():
        base: set[tuple[str, ...]] = set()
        for p in g.revisions[r].down:
            q = g.resolve(p)
            if q in out:
                base |= out[q]
        for op in g.revisions[r].ops.items:
            t = op.table.lower()
            if op.what == "create_table":
                base |= {("table", t)} | {("column", t, c.lower()) for c in op.columns}
            elif op.what == "add_column":
                base.add(("column", t, op.name.lower()))
            elif op.what == "drop_column":
                base.discard(("column", t, op.name.lower()))
            elif op.what == "drop_table":
                base = {n for n in base if n[1] != t}
        out[r] = frozenset(base)
    return out


def live_names(conn: Connection, ctx: Context) -> Names:
    insp = sa.inspect(conn)
    skip = project.bookkeeping(ctx)
    out: set[tuple[str, ...]] = set()
    for t in insp.get_table_names(schema=ctx.schema.schema):
        low = t.lower()
        if low in skip or low.startswith(BATCH_PREFIX):
            continue
        out.add(("table", low))
        out |= {("column", low, c["name"].lower()) for c in insp.get_columns(t, schema=ctx.schema.schema)}
    return frozenset(out)


def _from_scripts(g: alembic_graph.Graph, live: Names) -> str | None:
    schemas = revision_schemas(g)
    known: set[tuple[str, ...]] = set().union(*schemas.values()) if schemas else set()
    if not known:
        return None
    tables = {n[1] for n in known}
    mentioned = {n for n in live if n[1] in tables}  # the database's, where the history speaks
    cols = {(n[1], n[2]) for n in known if n[0] == "column"}
    mentioned = {n for n in mentioned if n[0] == "table" or (n[1], n[2]) in cols}
    matches = [r for r in g.order() if schemas[r] == mentioned]
    if len(matches) == 1:
        return (
            f"Its tables and columns are those revision {matches[0]} leaves (as the scripts' op calls "
            "create and drop them; types, constraints and indexes are not compared): if nothing else "
            f"changed, `alembic stamp --purge {matches[0]}`"
        )
    if matches:
        shown = ", ".join(matches[:5]) + (", …" if len(matches) > 5 else "")
        return (
            f"Its tables and columns are those revisions {shown} leave alike (what tells them apart is "
            f"not in op calls dblint reads): `alembic stamp --purge {matches[0]}`, then `alembic "
            "upgrade` redoes the rest (some of it may already be there)"
        )
    return None


def _from_reference(ctx: Context, live: Names, url: str) -> str | None:
    raw = url if "://" in url else str((project.root(ctx) / url).resolve())
    engine = create_engine(parse_target(raw))
    try:
        with engine.connect() as c:
            vt = project.version_table(ctx)
            insp = sa.inspect(c)
            if vt.name not in insp.get_table_names(schema=vt.schema):
                return None
            t = sa.table(vt.name, sa.column("version_num"), schema=vt.schema)
            revs = sorted(r[0] for r in c.execute(sa.select(t.c.version_num)))
            ref = _names_of(c, ctx)
    except sa.exc.SQLAlchemyError:
        return None
    finally:
        engine.dispose()
    if ref != live or len(revs) != 1:
        return None
    return (
        f"Its tables and columns are exactly those of models.reference_url, which is at revision "
        f"{revs[0]}: `alembic stamp --purge {revs[0]}`"
    )


def _names_of(conn: Connection, ctx: Context) -> Names:
    insp = sa.inspect(conn)
    skip = project.bookkeeping(ctx)
    out: set[tuple[str, ...]] = set()
    for t in insp.get_table_names():
        if t.lower() in skip:
            continue
        out.add(("table", t.lower()))
        out |= {("column", t.lower(), c["name"].lower()) for c in insp.get_columns(t)}
    return frozenset(out)


def advice(ctx: Context, conn: Connection, g: alembic_graph.Graph) -> str:
    """What to do about an unknown revision, from what can be shown (one or two sentences)."""
    live = live_names(conn, ctx)
    found = _from_scripts(g, live)
    m = models_section(ctx.config)
    if found is None and m is not None and m.reference_url:
        found = _from_reference(ctx, live, m.reference_url)
    if found is None and m is not None and m.metadata:
        try:
            md = models.target(ctx, conn, "pre").metadata
        except Exception:
            md = None
        heads = g.heads()
        if md is not None and len(heads) == 1:
            skip = project.bookkeeping(ctx)
            want: set[tuple[str, ...]] = {
                ("table", t.name.lower()) for t in md.tables.values() if t.name.lower() not in skip
            }
            want |= {
                ("column", t.name.lower(), c.name.lower())
                for t in md.tables.values()
                if t.name.lower() not in skip
                for c in t.columns
            }
            if want == live:
                found = (
                    f"Its tables and columns are exactly those of models.metadata: if the models are "
                    f"those of the head {heads[0]}, `alembic stamp --purge {heads[0]}`"
                )
    return found or (
        "No known revision's tables and columns match the database's, so no revision to stamp can be "
        "named: restore the missing script (from the code that upgraded this database)"
    )
