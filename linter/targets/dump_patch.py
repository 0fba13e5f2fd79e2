"""Writing a fixed database back into the SQL dump it came from with the smallest diff: every
statement of the original is kept as written (its layout, quoting and order: ``sqlite3 .dump``'s,
``iterdump()``'s or a hand-written one) except the ``INSERT`` of a row the fix deleted (dropped)
or changed (rewritten in place, in the statement's own ``INSERT INTO name VALUES(`` prefix); a row
the fix inserted goes after the last ``INSERT`` of its table.

Which statement wrote which row is not guessed from the text: the dump is replayed statement by
statement into a scratch database and each ``INSERT``'s rowid read back. When that mapping is not
exact (a trigger, ``INSERT … SELECT``, a ``WITHOUT ROWID`` table, several rows per statement, an
``UPDATE``/``DELETE``/``REPLACE`` in the dump, a schema the fix changed), :func:`patch` returns None and
the caller writes the canonical dump; so it does when the patched text, replayed, does not hold
exactly the fixed rows."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

_INSERT = re.compile(
    r"""\s*INSERT\s+INTO\s+("(?:[^"]|"")+"|`[^`]+`|\[[^\]]+\]|'(?:[^']|'')+'|[\w$]+)\s+VALUES\s*\(""",
    re.I,
)


_SEQUENCE_RESET = re.compile(r'\s*DELETE\s+FROM\s+("?)sqlite_sequence\1\s*;\s*$', re.I)


def _unquote(name: str) -> str:
    if name[0] in "\"'`[":
        inner = name[1:-1]
        return inner.replace(name[0] * 2, name[0]) if name[0] in "\"'`" else inner
    return name


def statements(text: str) -> list[str]:
    """The dump cut into complete statements, each with its own text (newlines kept), so that
    joining them gives ``text`` back."""
    out: list[str] = []
    buf = ""
    for line in text.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf)
            buf = ""
    if buf:
        out.append(buf)
    return out


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _rows(conn: sqlite3.Connection, table: str) -> dict[int, str] | None:
    cols = [str(r[1]) for r in conn.execute(f"PRAGMA table_info({_q(table)})")]
    values = " || ',' || ".join(f"quote({_q(c)})" for c in cols) or "''"
    try:
        return dict(conn.execute(f"SELECT rowid, {values} FROM {_q(table)}").fetchall())
    except sqlite3.OperationalError:  # WITHOUT ROWID: no rowid to follow a row by
        return None


def _schema(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    return conn.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall()


def _replay(parts: list[str]) -> tuple[sqlite3.Connection, list[tuple[str, int] | None]] | None:
    """Replay the dump; for each statement, the (table, rowid) its INSERT wrote, or None."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    written: list[tuple[str, int] | None] = []
    try:
        for part in parts:
            m = _INSERT.match(part)
            before = conn.total_changes
            if part.strip():  # one statement each (executescript would COMMIT the dump's BEGIN)
                conn.execute(part)
            if not m:
                if conn.total_changes != before and not _SEQUENCE_RESET.match(part):
                    # an UPDATE, DELETE, REPLACE…: rows not followed (sqlite3 .dump's own reset of
                    # sqlite_sequence before re-inserting it is fine)
                    conn.close()
                    return None
                written.append(None)
                continue
            if conn.total_changes - before != 1:  # a trigger, or several rows: no exact mapping
                conn.close()
                return None
            rowid = conn.execute("SELECT last_insert_rowid()").fetchone()[0]
            written.append((_unquote(m.group(1)).lower(), rowid))
    except (sqlite3.Error, sqlite3.Warning):  # Warning: more than one statement in a part
        conn.close()
        return None
    return conn, written


def patch(original: str, fixed: sqlite3.Connection) -> str | None:
    """The original dump's text with only the fixed rows' statements changed, or None when the
    rows cannot be followed exactly."""
    parts = statements(original)
    replayed = _replay(parts)
    if replayed is None:
        return None
    before_db, written = replayed
    try:
        if _schema(before_db) != _schema(fixed):
            return None
        tables = {str(n).lower(): str(n) for (n,) in before_db.execute("SELECT name FROM sqlite_master")}
        before: dict[str, dict[int, str]] = {}
        after: dict[str, dict[int, str]] = {}
        for low, name in tables.items():
            if before_db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
            ).fetchone():
                b, a = _rows(before_db, name), _rows(fixed, name)
                if b is None or a is None:
                    return None
                before[low], after[low] = b, a
    finally:
        before_db.close()
    mapped: dict[str, set[int]] = {}
    for w in written:
        if w is not None:
            if w[0] not in before or w[1] in mapped.setdefault(w[0], set()):
                return None
            mapped[w[0]].add(w[1])
    if any(set(rows) != mapped.get(t, set()) for t, rows in before.items()):
        return None  # rows that no single INSERT of the dump wrote
    text = _rewrite(parts, written, before, after)
    return text if text is not None and _loads_as(text, after) else None


def _loads_as(text: str, after: dict[str, dict[int, str]]) -> bool:
    """Whether the patched dump, replayed, holds exactly the fixed rows (never trust the patch)."""
    replayed = _replay(statements(text))
    if replayed is None:
        return False
    conn, _ = replayed
    try:
        for table, rows in after.items():
            got = _rows(conn, table)
            if got is None or sorted(got.values()) != sorted(rows.values()):
                return False
    finally:
        conn.close()
    return True


def _rewrite(
    parts: list[str],
    written: list[tuple[str, int] | None],
    before: dict[str, dict[int, str]],
    after: dict[str, dict[int, str]],
) -> str | None:
    last = {w[0]: i for i, w in enumerate(written) if w is not None}
    out: list[str] = []
    for i, (part, w) in enumerate(zip(parts, written, strict=True)):
        if w is None:
            out.append(part)
            continue
        table, rowid = w
        new = after[table].get(rowid)
        if new is None:
            pass  # deleted by the fix
        elif new == before[table][rowid]:
            out.append(part)
        else:
            out.append(_insert(part, new))
        if last[table] == i:
            out += [_insert(part, after[table][r]) for r in sorted(set(after[table]) - set(before[table]))]
    if any(set(after[t]) - set(before[t]) for t in after if t not in last):
        return None  # rows inserted into a table the dump has no INSERT for: no layout to follow
    return "".join(out)


def _insert(model: str, values: str) -> str:
    m = _INSERT.match(model)
    assert m is not None
    lead = model[: len(model) - len(model.lstrip())]
    ending = "\n" if model.endswith("\n") else ""
    return f"{lead}{m.group(0).strip()}{values});{ending}"


def write_patched(database: str | Path, path: Path) -> bool | None:
    """Rewrite ``path`` from ``database`` with the smallest diff; None when it cannot (the caller
    writes the canonical dump), else whether the text changed."""
    original = path.read_text(encoding="utf-8")
    conn = sqlite3.connect(database)
    try:
        text = patch(original, conn)
    finally:
        conn.close()
    if text is None:
        return None
    if text == original:
        return False
    tmp = path.with_name(path.name + ".dblint-tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return True
