"""The tables a failed Alembic batch upgrade leaves behind (``_alembic_tmp_<table>``), split by what
may be done with them, so one leftover is one finding under exactly one rule:

- MIG008 (``leftover_batch_table``): empty, and its original table still exists. Dropping it loses
  nothing: the safe fix drops it (the undo script re-creates it).
- MIG010 (``leftover_batch_rows``): it holds rows, or its original table is gone. Only a person can
  tell which copy is right; the unsafe fix drops the copy while the original exists, and renames the
  copy back when the original is gone (it is then the only copy of those rows).

Fixes are DDL: on MariaDB/MySQL, which commits DDL at once, they are unavailable (see the fix planner).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from dblint_migrations.readers.live import BATCH_PREFIX, Present
from linter import Context, Example, FixStep
from linter.kinds.sqlbuild import RenameTable


@dataclass(frozen=True)
class Leftover:
    real: str  # the leftover's name as the database spells it
    original: str
    rows: int
    original_exists: bool

    @property
    def safe_to_drop(self) -> bool:
        return self.rows == 0 and self.original_exists


def find(ctx: Context, conn: Connection) -> list[Leftover]:
    """Every leftover with its rows counted (one COUNT per leftover; there are rarely more than one)."""
    present = Present(conn, ctx)
    out = []
    for real in present.leftovers():
        original = real[len(BATCH_PREFIX) :]
        n = int(conn.execute(sa.select(sa.func.count()).select_from(ctx.table(real))).scalar_one())
        out.append(Leftover(real, original, n, present.has("table", original, original)))
    return out


def findings(ctx: Context, conn: Connection, *, holding: bool) -> list[Example]:
    """MIG008's findings (``holding=False``: safe to drop) or MIG010's (``holding=True``)."""
    out = []
    for lo in find(ctx, conn):
        if lo.safe_to_drop == holding:
            continue
        drop = f"DROP TABLE {conn.dialect.identifier_preparer.format_table(ctx.table(lo.real))}"
        why = (
            f"a failed Alembic batch upgrade (its copy-and-move of {lo.original}) left it behind, "
            f'and every retry fails with "table {lo.real} already exists"'
        )
        if not lo.original_exists:
            what = (
                f"{why}. {lo.original} itself is gone, so its {lo.rows} row(s) are the only copy of "
                f"{lo.original}'s: rename it back (ALTER TABLE {lo.real} RENAME TO {lo.original}), "
                "do not drop it"
            )
        elif lo.rows == 0:
            what = f"{why}. It is empty: dropping it is safe ({drop}), then run the upgrade again"
        else:
            what = (
                f"{why}. It holds {lo.rows} row(s), a copy of {lo.original}'s rows taken by the failed "
                f"upgrade while {lo.original} still has its own: compare them before dropping it ({drop})"
            )
        out.append(Example(lo.real, {"table": lo.real}, what))
    return out


def drop_empty(ctx: Context, rule: Any, conn: Connection) -> list[FixStep]:
    """MIG008's safe fix: drop the empty leftovers whose original table exists."""
    return [
        FixStep(sa.schema.DropTable(ctx.table(lo.real)), None, f"drop the empty leftover {lo.real}")
        for lo in find(ctx, conn)
        if lo.safe_to_drop
    ]


def restore(ctx: Context, rule: Any, conn: Connection) -> list[FixStep]:
    """MIG010's unsafe fix: drop a copy holding rows while its original exists; rename a copy back
    when its original is gone."""
    steps = []
    for lo in find(ctx, conn):
        if lo.safe_to_drop:
            continue
        t = ctx.table(lo.real)
        if lo.original_exists:
            step = FixStep(sa.schema.DropTable(t), None, f"drop {lo.real} ({lo.rows} copied row(s))")
        else:
            step = FixStep(RenameTable(t, lo.original), None, f"rename {lo.real} back to {lo.original}")
        steps.append(step)
    return steps


HANDLERS = {"drop_empty_batch_table": drop_empty, "restore_batch_table": restore}
