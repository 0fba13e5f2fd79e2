"""Values in rule params, turned into SQLAlchemy expressions (never into SQL text).

- a scalar (string, number, boolean, null) is a bound parameter;
- ``"{Column}"`` names a column of the ``for_each`` row (``"{{x}}"`` is the literal text ``{x}``);
- ``{var: NAME}`` is a pack or command-line variable (``--var NAME=VALUE``);
- ``{func: now}`` is one of a few SQL functions (:data:`FUNCS`).

Filters (``filter: {column: value}``) compare by equality, ``null`` meaning IS NULL and a list
meaning IN; ``{ne: v}``, ``{lt: v}``, ``{le: v}``, ``{gt: v}``, ``{ge: v}``, ``{in: [..]}``,
``{not_in: [..]}`` and ``{like: pattern}`` say otherwise. A filter entry whose ``{var: ..}`` is unset
(null) is dropped, so one rule serves "all disciplines" and ``--var discipline_id=3`` alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa

from linter.errors import RuleError, shown

_REF = re.compile(r"^\{([^{}]+)\}$")
FUNCS: dict[str, Callable[[], sa.ColumnElement[Any]]] = {
    "now": lambda: sa.func.current_timestamp(),
    "current_timestamp": lambda: sa.func.current_timestamp(),
    "current_date": lambda: sa.func.current_date(),
}
OPS = {"eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "like"}
UNSET = object()


def column_ref(value: Any) -> str | None:
    """The column named by a ``"{Column}"`` template, else None."""
    if isinstance(value, str):
        m = _REF.match(value)
        if m:
            return m.group(1)
    return None


def resolve_var(value: Any, variables: Mapping[str, Any]) -> Any:
    if isinstance(value, Mapping) and set(value) == {"var"}:
        name = value["var"]
        if name not in variables:
            raise RuleError(
                f"variable {shown(name)} is not defined (declare it under vars: or pass --var NAME=...)"
            )
        v = variables[name]
        return UNSET if v is None else v
    return value


def literal(value: Any, type_: Any = None) -> sa.ColumnElement[Any]:
    if isinstance(value, str):
        value = value.replace("{{", "{").replace("}}", "}")
    if value is None:
        return sa.null()
    return sa.literal(value, type_=type_) if type_ is not None else sa.literal(value)


def expr(
    value: Any,
    *,
    variables: Mapping[str, Any],
    row: Callable[[str], sa.ColumnElement[Any]] | None = None,
    type_: Any = None,
) -> sa.ColumnElement[Any]:
    """One param value as an expression; ``row(name)`` resolves ``"{Column}"`` references."""
    value = resolve_var(value, variables)
    if value is UNSET:
        return sa.null()
    if isinstance(value, Mapping):
        if set(value) == {"func"}:
            fn = FUNCS.get(str(value["func"]).lower())
            if fn is None:
                raise RuleError(f"unknown func {shown(value['func'])}; known: {', '.join(sorted(FUNCS))}")
            return fn()
        raise RuleError(f"cannot use {shown(dict(value))} as a value")
    ref = column_ref(value)
    if ref is not None:
        if row is None:
            raise RuleError(f"{shown(value)} refers to a row, but there is no for_each row here")
        return row(ref)
    return literal(value, type_)


def condition(
    column: sa.ColumnElement[Any],
    value: Any,
    *,
    variables: Mapping[str, Any],
    row: Callable[[str], sa.ColumnElement[Any]] | None = None,
    null_safe: bool = False,
) -> sa.ColumnElement[bool] | None:
    """``column`` compared with a filter value; None when the condition is dropped (unset var)."""
    value = resolve_var(value, variables)
    if value is UNSET:
        return None
    if isinstance(value, Mapping) and value and set(value) <= OPS:
        parts = []
        for op, operand in value.items():
            operand = resolve_var(operand, variables)
            if operand is UNSET:
                continue
            clause: sa.ColumnElement[bool]
            if op in ("in", "not_in"):
                if not isinstance(operand, list):
                    raise RuleError(f"{op}: needs a list, got {shown(operand)}")
                clause = column.in_(operand) if op == "in" else column.not_in(operand)
            elif op == "eq":
                clause = _eq(column, operand, variables, row, null_safe)
            elif op == "ne":
                rhs = expr(operand, variables=variables, row=row, type_=column.type)
                clause = column.is_not(None) if operand is None else column.is_distinct_from(rhs)
            elif op == "like":
                clause = column.like(operand)
            else:
                rhs = expr(operand, variables=variables, row=row, type_=column.type)
                clause = {"lt": column < rhs, "le": column <= rhs, "gt": column > rhs, "ge": column >= rhs}[
                    op
                ]
            parts.append(clause)
        return sa.and_(*parts) if parts else None
    if isinstance(value, list):
        return column.in_(value)
    return _eq(column, value, variables, row, null_safe)


def _eq(
    column: sa.ColumnElement[Any],
    value: Any,
    variables: Mapping[str, Any],
    row: Callable[[str], sa.ColumnElement[Any]] | None,
    null_safe: bool,
) -> sa.ColumnElement[bool]:
    if value is None:
        return column.is_(None)
    rhs = expr(value, variables=variables, row=row, type_=column.type)
    if null_safe and column_ref(value) is not None:
        # Comparing two columns: NULL matches NULL (MariaDB's <=>, SQL's IS NOT DISTINCT FROM).
        return column.is_not_distinct_from(rhs)
    return column == rhs


def conditions(
    table: sa.Table,
    filters: Mapping[str, Any] | None,
    *,
    column: Callable[[sa.Table, str], sa.ColumnElement[Any]],
    variables: Mapping[str, Any],
    row: Callable[[str], sa.ColumnElement[Any]] | None = None,
    null_safe: bool = False,
) -> list[sa.ColumnElement[bool]]:
    out = []
    for name, value in (filters or {}).items():
        c = condition(column(table, name), value, variables=variables, row=row, null_safe=null_safe)
        if c is not None:
            out.append(c)
    return out


def jsonable(value: Any) -> Any:
    """A database value as JSON: numbers, strings, booleans and null pass; the rest as text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, bytes):
        return value.hex()
    return str(value)
