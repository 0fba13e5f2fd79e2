"""The pack's plugin module (entry point ``dblint = example``): what it adds to dblint.

- ``dblint_kinds``: the ``range`` kind, written against dblint's public API (everything comes from
  ``linter``, the package root) exactly as the built-in kinds are: params → ONE set-based SELECT
  of the violating rows (a :class:`QueryCheck`); fix → DML steps.
- ``dblint_rule_files``: ``rules.yaml`` beside this module (shipped inside the wheel).

It has no ``dblint_applies`` hook, so it applies to every database: a rule whose table is absent
is skipped, with the reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import model_validator

from linter import Check, Context, FixModel, FixStep, Kind, Params, QueryCheck, hookimpl


class RangeParams(Params):
    table: str
    column: str
    min: float | None = None
    max: float | None = None
    filter: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _bounds(self) -> RangeParams:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self


class RangeFix(FixModel):
    # clamp: move each value to the nearest bound; set_null: clear it.
    action: Literal["clamp", "set_null"]


class Range(Kind[RangeParams, RangeFix]):
    """``range``: non-NULL values of ``column`` lie within [``min``, ``max``] (bounds included).
    One violation is one row outside the range."""

    name = "range"
    Params = RangeParams
    Fix = RangeFix

    def title(self, params: RangeParams) -> str:
        lo = "-inf" if params.min is None else _num(params.min)
        hi = "+inf" if params.max is None else _num(params.max)
        return f"{params.table}.{params.column} lies within [{lo}, {hi}]"

    def tables(self, params: RangeParams) -> list[str]:
        return [params.table]

    def _parts(
        self, ctx: Context, p: RangeParams
    ) -> tuple[sa.Table, sa.Column[Any], list[sa.ColumnElement[bool]]]:
        t = ctx.table(p.table)  # raises MissingObject → the rule is skipped where the table is absent
        c = ctx.col(t, p.column)
        return t, c, ctx.filters(t, p.filter)

    def _outside(self, c: sa.Column[Any], p: RangeParams) -> tuple[sa.ColumnElement[bool] | None, ...]:
        below = c < sa.literal(p.min) if p.min is not None else None
        above = c > sa.literal(p.max) if p.max is not None else None
        return below, above

    def check(self, ctx: Context, params: RangeParams) -> Check:
        t, c, where = self._parts(ctx, params)
        outside = sa.or_(*[cond for cond in self._outside(c, params) if cond is not None])
        cond = sa.and_(outside, *where)
        pk = list(t.primary_key.columns) or [c]
        shown = {col.name: col for col in [*pk, c]}
        q = sa.select(*[col.label(n) for n, col in shown.items()]).where(cond)
        title = self.title(params).split(" lies ", 1)[1]
        return QueryCheck(
            query=q,
            table=t.name,
            key=[k.name for k in pk],
            message=lambda r: f"{c.name} = {_shown(r[c.name])} does not lie {title}",
            count_query=sa.select(sa.func.count()).select_from(t).where(cond),
        )

    def fix(self, ctx: Context, params: RangeParams, fix: RangeFix) -> list[FixStep]:
        t, c, where = self._parts(ctx, params)
        steps = []
        for cond, bound in zip(self._outside(c, params), (params.min, params.max), strict=True):
            if cond is None:
                continue
            value = None if fix.action == "set_null" else sa.literal(bound, type_=c.type)
            rows = sa.select(sa.func.count()).select_from(t).where(cond, *where)  # for --diff
            what = "NULL" if value is None else _num(bound)
            steps.append(
                FixStep(
                    sa.update(t).where(cond, *where).values({c.name: value}), rows, f"set {c.name} = {what}"
                )
            )
        return steps


def _shown(value: Any) -> str:
    return "NULL" if value is None else str(value)


def _num(x: float | None) -> str:
    return _shown(int(x)) if x is not None and float(x).is_integer() else _shown(x)


@hookimpl
def dblint_kinds() -> list[type[Kind[Any, Any]]]:
    return [Range]


@hookimpl
def dblint_rule_files() -> list[Path]:
    return [Path(__file__).parent / "rules.yaml"]
