"""How the text formats show names and values: one finding stays one line whatever the database
holds. Table and column names with spaces or quotes are double-quoted; control characters (a
newline in a value, a bidi override, an escape sequence that would recolour a terminal) are
written as escapes, never sent to the terminal."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

_BARE_NAME = re.compile(r"[A-Za-z0-9_$.-]+")
_BARE_VALUE = re.compile(r"-?[A-Za-z0-9_.:/@+-]+")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape(text: str) -> str:
    """``text`` with every control, format and line/paragraph separator character escaped."""
    out = []
    for ch in text:
        if ch in _NAMED:
            out.append(_NAMED[ch])
        elif ch == "\\" or unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp"):
            out.append(ch)
        elif ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(f"\\u{ord(ch):04x}")
    return "".join(out)


def name(text: str) -> str:
    """A table or column name: bare when it is a plain identifier, else double-quoted."""
    if _BARE_NAME.fullmatch(text):
        return text
    return '"' + escape(text).replace('"', '\\"') + '"'


def value(v: Any) -> str:
    """A key value: numbers and plain words bare, other text single-quoted and escaped."""
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, int | float):
        return str(v)
    text = str(v)
    if _BARE_VALUE.fullmatch(text) and text.upper() != "NULL":
        return text
    return "'" + escape(text).replace("'", "\\'") + "'"


def where(table: str, key: Mapping[str, Any]) -> str:
    """``table[col=value, …]``: the row a finding is about. A key that only names the table (a
    table-level finding such as a missing primary key) is the table alone."""
    if not table:
        table = "-"
    if not key or dict(key) == {"table": table}:
        return name(table)
    return f"{name(table)}[{', '.join(f'{name(str(k))}={value(v)}' for k, v in key.items())}]"


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else many or word + 's'}"
