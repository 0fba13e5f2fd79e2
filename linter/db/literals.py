"""Database values as SQL literals for scripts dblint writes (the undo script).

Values are rendered by SQLAlchemy's own literal processors for the target dialect (quotes doubled,
MySQL backslashes escaped, booleans and dates as the dialect spells them); bytes become hex. A value
no processor can render exactly raises :class:`LiteralError`, so a caller can refuse instead of
writing a script that would restore something else.

Literals are SQL as the database reads it: SQLAlchemy escapes every ``%`` as ``%%`` for drivers of
the ``format``/``pyformat`` paramstyle (psycopg, PyMySQL), which is not SQL; :func:`sql_text` undoes
exactly that escaping, so a script (or a text SQLAlchemy escapes again) gets ``%`` once."""

from __future__ import annotations

import math
import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import sqltypes

from linter.errors import RuleError


class LiteralError(RuleError):
    """A value that cannot be written as an exact SQL literal for this dialect."""


_compilers: dict[int, tuple[Dialect, Any]] = {}

# Text that every supported dialect writes as itself between single quotes (no quote, backslash,
# percent or colon to escape): rendered without the compiler, which costs ~5 µs a value and a
# Specify run renders tens of thousands (its datamodel lists). Tested against _render.
_PLAIN = re.compile(r"[A-Za-z0-9_ .,/()\-]*")
_PLAIN_DIALECTS = frozenset({"sqlite", "postgresql", "mysql", "mariadb"})


def sql_text(compiled: str, dialect: Dialect) -> str:
    """SQL compiled by SQLAlchemy for ``dialect``'s driver (literals inlined, no placeholders) as the
    database reads it: ``%%`` → ``%`` where the driver's paramstyle needs ``%`` escaped."""
    # SQLAlchemy doubles every % (in text, literals and identifiers) for these drivers, so halving
    # the pairs is the exact inverse.
    if dialect.identifier_preparer._double_percents:
        return compiled.replace("%%", "%")
    return compiled


def _render(value: Any, dialect: Dialect) -> str:
    # The dialect's statement compiler renders literals exactly as SQLAlchemy's literal_binds does,
    # including dialect-specific escaping (MySQL doubles backslashes unless NO_BACKSLASH_ESCAPES).
    entry = _compilers.get(id(dialect))
    if entry is None or entry[0] is not dialect:
        entry = (dialect, dialect.statement_compiler(dialect, None))
        _compilers[id(dialect)] = entry
    type_ = sqltypes._resolve_value_to_type(value)  # the type SQLAlchemy binds this value as
    if isinstance(type_, sqltypes.NullType):
        raise LiteralError(f"cannot write a {type(value).__name__} value as an SQL literal")
    try:
        return sql_text(str(entry[1].render_literal_value(value, type_)), dialect)
    except Exception as exc:  # a type without a literal renderer: say so, never guess
        raise LiteralError(f"cannot write a {type(value).__name__} value as an SQL literal ({exc})") from None


def literal(value: Any, dialect: Dialect) -> str:
    """``value`` as an SQL literal for ``dialect``, as the database reads it (``%`` not escaped: a
    script takes it as it is; inside ``sa.text()``, SQLAlchemy escapes it once for the driver)."""
    if value is None:
        return "NULL"
    if isinstance(value, memoryview | bytearray):
        value = bytes(value)
    if isinstance(value, bytes):
        hexed = value.hex()  # only [0-9a-f]: nothing to escape
        if dialect.name == "postgresql":
            return f"decode('{hexed}', 'hex')"
        return f"X'{hexed}'"
    if isinstance(value, float) and not math.isfinite(value):
        raise LiteralError(f"cannot write the float {value!r} as a portable SQL literal")
    if type(value) is str and dialect.name in _PLAIN_DIALECTS and _PLAIN.fullmatch(value):
        return f"'{value}'"
    return _render(value, dialect)


def raw_column(col: sa.ColumnElement[Any], dialect: Dialect) -> sa.ColumnElement[Any]:
    """On SQLite, read a column as it is stored (no type processing), so a text timestamp or an
    integer boolean is written back byte for byte; elsewhere the driver's values round-trip."""
    if dialect.name == "sqlite":
        return sa.type_coerce(col, sqltypes.NullType())
    return col
