"""The ``migration_state`` checks of an Alembic project: its revision scripts (read statically)
against the version table. One root cause, one finding: a revision no script knows (MIG006) makes
what is pending unknowable, so MIG001 and MIG007 say that once instead of listing; a
down_revision naming a missing script (MIG004) makes the heads unknowable, so MIG005 says that
instead of reporting the head the missing edge leaves behind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from dblint_migrations.readers import alembic_graph, position, project
from dblint_migrations.readers.live import Present
from linter import Context, Example, MissingObject


@dataclass
class State:
    """The scripts and the version table's rows, as one rule's transaction sees them."""

    graph: alembic_graph.Graph
    rows: list[str]
    table: project.VersionTable

    @property
    def unknown(self) -> list[str]:
        return [r for r in self.rows if self.graph.resolve(r) is None]

    def position(self) -> set[str]:
        """The applied revisions; MissingObject when the database's position is unknown."""
        unknown = self.unknown
        if unknown:
            raise MissingObject(
                f"cannot tell which revisions are pending: {self.table.shown} holds {', '.join(unknown)}, "
                "which no script knows (MIG006 names it), so the database's place in the history is unknown"
            )
        return self.graph.ancestors(self.rows)


def require_complete(ctx: Context, g: alembic_graph.Graph) -> None:
    """MissingObject when a script cannot be read: the history dblint sees then lacks a revision or
    an edge, so pending revisions, heads and unknown rows would be guesses."""
    if g.unreadable:
        path, what = next(iter(sorted(g.unreadable.items())))
        more = f" (and {len(g.unreadable) - 1} more)" if len(g.unreadable) > 1 else ""
        raise MissingObject(
            f"{project.rel(ctx, path)}:{what}{more}: the revision history is incomplete without it, "
            "so this cannot be told (MIG009 names the scripts)"
        )


def unreadable(ctx: Context, conn: Connection, s: State) -> list[Example]:
    """MIG009 for Alembic: each revision script dblint cannot read without running it, once."""
    return [
        Example(
            s.table.name,
            {"script": project.rel(ctx, path)},
            f"{project.rel(ctx, path)}:{what}: dblint reads revision scripts without running them, so "
            "this script's revision and its place in the history are unknown; write revision, "
            "down_revision, branch_labels and depends_on as literals (as `alembic revision` does)",
        )
        for path, what in sorted(s.graph.unreadable.items())
    ]


def state(conn: Connection, ctx: Context, g: alembic_graph.Graph) -> State:
    return State(g, project.alembic_rows(conn, ctx), project.version_table(ctx))


def pending(ctx: Context, conn: Connection, s: State) -> list[Example]:
    applied, g = s.position(), s.graph
    out = []
    for r in g.order():
        if r in applied:
            continue
        branch = g.head_of(r)
        target = g.upgrade_target(branch[0]) if len(branch) == 1 else "heads"
        out.append(
            Example(
                s.table.name,
                {"revision": r, "head": ",".join(branch)},
                f"not applied ({project.rel(ctx, g.revisions[r].path)}): "
                f"`alembic upgrade {target}` applies it",
            )
        )
    return out


def inconsistent(ctx: Context, conn: Connection, s: State) -> list[Example]:
    g, vt, out = s.graph, s.table, []
    for r in s.rows:
        for other in s.rows:
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


def missing_dependency(ctx: Context, conn: Connection, s: State) -> list[Example]:
    g = s.graph
    return [
        Example(
            s.table.name,
            {"revision": r, "missing": p},
            f'refers to revision {p}, which no script has: Alembic fails with "Revision {p} referenced from '
            f'{r} is not present"; restore it or fix down_revision/depends_on in '
            f"{project.rel(ctx, g.revisions[r].path)}",
        )
        for r, p in sorted(g.missing())
    ]


def multiple_leaves(ctx: Context, conn: Connection, s: State) -> list[Example]:
    g = s.graph
    broken = [(r, p) for r, p in sorted(g.missing()) if p in g.revisions[r].down]
    if broken:  # the revision whose parent is missing starts a line of its own: no head can be trusted
        r, p = broken[0]
        raise MissingObject(
            f"cannot tell the heads: revision {r}'s down_revision {p} is missing (MIG004), so where it "
            "joins the history is unknown"
        )
    out = []
    for group in g.conflicting_heads():
        labels = sorted(g.branch_labels(group[0]))
        on = f"branch {', '.join(labels)}" if labels else "the history"
        for h in group:
            out.append(
                Example(
                    s.table.name,
                    {"revision": h},
                    f"one of {len(group)} heads of {on} ({', '.join(group)}): `alembic upgrade head` fails "
                    'with "Multiple head revisions"; run `alembic merge '
                    + " ".join(group)
                    + " -m merge`, or point one down_revision at the other head",
                )
            )
    return out


def unknown_revision(ctx: Context, conn: Connection, s: State) -> list[Example]:
    unknown = s.unknown
    if not unknown:
        return []
    advice = position.advice(ctx, conn, s.graph)
    return [
        Example(
            s.table.name,
            {"revision": r},
            f"{s.table.shown} holds {r}, which no script in {project.rel(ctx, s.graph.location)} knows: "
            f"Alembic fails with \"Can't locate revision identified by '{r}'\". {advice}",
        )
        for r in unknown
    ]


def already_exists(ctx: Context, conn: Connection, s: State) -> list[Example]:
    applied, g = s.position(), s.graph
    present = Present(conn, ctx)
    out = []
    for r in g.order():
        if r in applied:
            continue
        for kind, table, name, line in g.revisions[r].ops.creates():
            if present.has(kind, table, name):
                where = f"{table}.{name}" if kind == "column" else name
                out.append(
                    Example(
                        table,
                        {"revision": r, kind: where},
                        f"pending revision {r} ({project.rel(ctx, g.revisions[r].path)}:{line}) creates "
                        f"{kind} {where}, which already exists: `alembic upgrade` would fail. If the "
                        f"database already has all of {r}'s changes, `alembic stamp {r}`",
                    )
                )
    return out


CHECKS: dict[str, Callable[[Context, Connection, State], list[Example]]] = {
    "pending": pending,
    "inconsistent": inconsistent,
    "missing_dependency": missing_dependency,
    "multiple_leaves": multiple_leaves,
    "unknown_revision": unknown_revision,
    "already_exists": already_exists,
    "unreadable": unreadable,
}
