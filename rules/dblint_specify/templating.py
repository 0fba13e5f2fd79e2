"""The Specify pack's SQL templates: one portable SQL text for the three dialects.

- ``{name}`` of a rule's ``define:`` expands to that sub-query (a definition may use an earlier one),
  as do the pack's shared fragments (:data:`fragments.FRAGMENTS`) a rule does not define itself;
- ``{dataset}`` expands to a derived table of the pack's reference data (``SELECT … UNION ALL
  VALUES …``, constants rendered as SQL literals by :func:`linter.db.literals.literal`), chosen by
  the pack variable ``specify_version`` where the data depend on it (the datamodel); see
  :data:`datasets.DATASETS`;
- ``{dm_tno}`` and ``{dm_has_item}`` are expressions over the datamodel of ``specify_version``:
  the table's number for a lower-case container name in a column ``cname`` (0: none), and 1 when
  the lower-case item name in ``lname`` is one of table ``tno``'s fields (else 0); plain CASE
  expressions with constant IN lists, so their cost does not depend on the optimizer's choices;
- ``{dm_is_field}`` is 1 when the lower-case item name ``lname`` is a field of the table whose
  lower-case container name is ``cname`` (else 0): one IN list of ``cname.lname`` keys, a single
  lookup per row where ``{dm_has_item}`` first walks a CASE of every table (SPEC102, issue 14);
- ``STRLIST(expr)`` is a string aggregate (``GROUP_CONCAT`` / ``STRING_AGG``) per dialect;
- ``:name`` binds the variable ``name``.

Messages use the same ``{column}`` placeholders over each violating row (:func:`fill`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from dblint_specify import datasets
from dblint_specify.fragments import FRAGMENTS
from linter import Context, MissingObject, RuleError
from linter.db.literals import literal as sql_literal

if TYPE_CHECKING:
    from sqlalchemy.engine import Dialect

PLACEHOLDER = re.compile(r"\{(\w+)\}")
_STRLIST = re.compile(r"STRLIST\(([^()]*)\)")
_BIND = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")


def strlist(dialect: str, expr: str) -> str:
    if dialect == "postgresql":
        return f"STRING_AGG({expr}, ', ' ORDER BY {expr})"
    if dialect == "mysql":
        return f"GROUP_CONCAT({expr} ORDER BY {expr} SEPARATOR ', ')"
    return f"GROUP_CONCAT({expr}, ', ')"


@functools.lru_cache(maxsize=65536)
def _text_literal(value: str, dialect: Dialect) -> str:
    # SQL as the database reads it (quotes doubled, MySQL backslashes escaped, % NOT escaped):
    # sa.text() escapes % once for the driver, so every value is written as in the data. Cached:
    # the datasets repeat their names (a table's name on each of its fields), rendered per rule.
    return sql_literal(value, dialect).replace(":", "\\:")  # not a bind parameter to sa.text()


def expand(sql: str, ctx: Context, define: Mapping[str, str] | None = None) -> sa.TextClause:
    """Defined sub-queries, datasets, STRLIST and variables → one text clause; variables are bound."""
    params: dict[str, Any] = {}
    defs = {**FRAGMENTS, **(define or {})}
    for _ in range(6):  # a definition may use an earlier one (nested up to six deep)
        sql = PLACEHOLDER.sub(
            lambda m: f"({defs[m.group(1)].strip()})" if m.group(1) in defs else m.group(0), sql
        )
    version = str(ctx.variables.get("specify_version") or datasets.DEFAULT_VERSION)
    dialect = ctx.schema.bind.dialect
    text = _STRLIST.sub(lambda m: strlist(ctx.dialect, m.group(1).strip()), sql)
    # Variables before the datasets are expanded: only the rule's own ``:name`` are bind parameters.
    for name in set(_BIND.findall(text)):
        if name not in ctx.variables:
            raise RuleError(f"the query uses :{name}, which no variable defines")
        params[name] = ctx.variables[name]
    text = PLACEHOLDER.sub(
        lambda m: _dataset(m.group(1), datasets.DATASETS.get(m.group(1)), version, dialect, ctx.dialect), text
    )
    return sa.text(text).bindparams(**params) if params else sa.text(text)


def _literal(value: Any, dialect: Dialect) -> str:
    if isinstance(value, bool) or isinstance(value, int):
        return str(int(value))
    return _text_literal(str(value), dialect)


@functools.lru_cache(maxsize=256)
def _dataset(
    name: str, make: datasets.Dataset | None, version: str, dialect: Dialect, dialect_name: str
) -> str:
    """``{name}`` as SQL: a derived table of the dataset ``make`` builds, or a membership expression.
    Cached: rules share datasets, rendered alike for each of them (an error is not cached)."""

    def literal(value: Any) -> str:
        return _literal(value, dialect)

    if name in MEMBERSHIP:
        return membership(version, literal, dialect_name)[name]
    if make is None:
        raise RuleError(f"unknown dataset {{{name}}} (known: {', '.join(sorted(datasets.DATASETS))})")
    try:
        cols, rows = make(version)
    except MissingObject as exc:  # a fix cannot be skipped half way: say why it cannot run
        raise RuleError(str(exc)) from None
    # The pack's reference data are constants of the rule (like the literals written in its SQL),
    # rendered as SQL literals for the dialect. Thousands of bound parameters would cost seconds
    # of statement compilation per rule; variables stay bound parameters.
    head = "SELECT " + ", ".join(f"{literal(v)} AS {c}" for v, c in zip(rows[0], cols, strict=True))
    rest = ", ".join("(" + ", ".join(literal(v) for v in row) + ")" for row in rows[1:])
    return f"({head}" + (f" UNION ALL VALUES {rest}" if rest else "") + ")"


MEMBERSHIP = ("dm_tno", "dm_has_item", "dm_is_field")


def membership(version: str, literal: Any, dialect: str) -> dict[str, str]:
    """``{dm_tno}``, ``{dm_has_item}`` and ``{dm_is_field}`` (see the module's docstring) for one
    datamodel."""
    try:
        tables = datasets.datamodel(version)["tables"]
    except MissingObject as exc:
        raise RuleError(str(exc)) from None
    tno, has, keys = [], [], []
    for n, t in enumerate(tables, 1):
        tno.append(f"WHEN {literal(t['container'])} THEN {n}")
        names = sorted({i[0].lower() for i in t["items"]})
        if names:
            listed = ", ".join(literal(x) for x in names)
            has.append(f"WHEN {n} THEN CASE WHEN lname IN ({listed}) THEN 1 ELSE 0 END")
        if "." in t["container"]:  # a table name never has one: the key would be ambiguous
            raise RuleError(f"datamodel table name with a dot: {t['container']}")
        keys += [f"{t['container']}.{x}" for x in names]
    key = "CONCAT(cname, '.', lname)" if dialect == "mysql" else "cname || '.' || lname"
    return {
        "dm_tno": f"(CASE cname {' '.join(tno)} ELSE 0 END)",
        "dm_has_item": f"(CASE tno {' '.join(has)} ELSE 0 END)",
        "dm_is_field": f"(CASE WHEN {key} IN ({', '.join(literal(k) for k in keys)}) THEN 1 ELSE 0 END)",
    }


def plain(v: Any) -> str:
    return "NULL" if v is None else str(v)


def fill(template: str, row: Mapping[str, Any]) -> str:
    """``{column}`` placeholders of a message template filled from ``row`` (lower-case names)."""

    def value(m: re.Match[str]) -> str:
        name = m.group(1).lower()
        return plain(row[name]) if name in row else m.group(0)

    return PLACEHOLDER.sub(value, template)
