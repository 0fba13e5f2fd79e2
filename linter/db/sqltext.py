"""Just enough lexing of raw SQL (the `sql` kind) to keep dblint's transaction guarantees: split a
text into statements (semicolons outside quotes and comments) and find a statement's first keyword.

Why: a raw check query such as ``SELECT 1; COMMIT; DELETE FROM t; COMMIT`` would end the read-only
transaction on PostgreSQL (whose simple query protocol runs several statements at once), and
``PRAGMA query_only = OFF`` would lift SQLite's; a raw fix with ``COMMIT`` would break the one
all-or-nothing fix transaction. Such rules are refused when the rule file is loaded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from linter.db import sqlvet

_WORD = re.compile(r"[A-Za-z_]+")

# Statements that end, start or change transactions or sessions; never allowed in a check query,
# and (except SET, which fixes may need, e.g. MariaDB's FOREIGN_KEY_CHECKS) never in a fix.
TRANSACTION_CONTROL = frozenset(
    {
        "commit",
        "rollback",
        "begin",
        "start",
        "savepoint",
        "release",
        "end",
        "abort",
        "lock",
        "unlock",
        "prepare",
        "xa",
        "use",
        "attach",
        "detach",
        "vacuum",
    }
)
SESSION_CONTROL = frozenset({"set", "reset", "discard", "pragma"})
# SQLite pragmas that only read: allowed as check queries (PRAGMA foreign_key_check is a useful one).
READ_PRAGMAS = frozenset(
    {
        "foreign_key_check",
        "integrity_check",
        "quick_check",
        "table_info",
        "table_xinfo",
        "index_list",
        "index_info",
        "index_xinfo",
        "foreign_key_list",
        "database_list",
        "table_list",
        "collation_list",
        "compile_options",
    }
)


def split_statements(script: str, keep_comments: bool = True) -> list[str]:
    """Statements of ``script``, split on semicolons outside quotes and comments (comments kept
    unless ``keep_comments`` is false)."""
    out: list[str] = []
    buf: list[str] = []
    quote = ""
    i = 0
    while i < len(script):
        ch = script[i]
        if quote:
            buf.append(ch)
            if ch == quote:
                if i + 1 < len(script) and script[i + 1] == quote:
                    buf.append(script[i + 1])
                    i += 1
                else:
                    quote = ""
        elif ch in "'\"`":
            quote = ch
            buf.append(ch)
        elif script.startswith("--", i):
            j = script.find("\n", i)
            j = len(script) if j < 0 else j
            if keep_comments:
                buf.append(script[i:j])
            i = j
            continue
        elif script.startswith("/*", i):
            j = script.find("*/", i)
            j = len(script) if j < 0 else j + 2
            if keep_comments:
                buf.append(script[i:j])
            i = j
            continue
        elif ch == ";":
            if strip_comments("".join(buf)).strip():
                out.append("".join(buf).strip())
            buf = []
        else:
            buf.append(ch)
        i += 1
    if strip_comments("".join(buf)).strip():
        out.append("".join(buf).strip())
    return out


# A quoted run (to its closing quote, or to the end when unterminated) or a comment: one pass
# in C instead of a loop over characters (a Specify query with its datamodel lists is 100 kB).
_QUOTED_OR_COMMENT = re.compile(
    r"""'[^']*(?:'|\Z)|"[^"]*(?:"|\Z)|`[^`]*(?:`|\Z)|--[^\n]*|/\*.*?(?:\*/|\Z)""", re.DOTALL
)


def without_comments(sql: str) -> str:
    """``sql`` with every comment outside quotes replaced by a space (a ``--`` inside a string
    stays), so the statement can be wrapped in a derived table."""
    return _QUOTED_OR_COMMENT.sub(lambda m: " " if m.group(0)[:2] in ("--", "/*") else m.group(0), sql)


def strip_comments(sql: str) -> str:
    sql = re.sub(r"/\*.*?\*/", " ", sql, flags=re.DOTALL)
    return re.sub(r"--[^\n]*", " ", sql)


def leading_keyword(statement: str) -> str:
    """The first word of a statement, lower-cased, after comments and opening parentheses."""
    m = _WORD.search(strip_comments(statement).lstrip().lstrip("("))
    return m.group(0).lower() if m else ""


def _pragma_name(statement: str) -> str:
    m = re.match(r"\s*pragma\s+(?:\w+\.)?(\w+)\s*(=)?", strip_comments(statement), re.IGNORECASE)
    if not m:
        return ""
    return "" if m.group(2) else m.group(1).lower()


def _hidden(sql: str) -> str | None:
    # MySQL runs the text of /*! ... */ comments: what looks like a comment may be a COMMIT.
    if "/*!" in sql or "/*M!" in sql:
        return "uses a MySQL executable comment (/*! ... */), which dblint cannot vet"
    return None


def check_query_problem(query: str, dialects: Sequence[str] = ()) -> str | None:
    """Why ``query`` cannot be a check query (on the ``dialects`` it may run on; all three unless
    given), or None: one reading PRAGMA, or what :func:`sqlvet.query_problem` accepts."""
    if _hidden(query):
        return _hidden(query)
    stmts = split_statements(query)
    if len(stmts) != 1:
        return f"must be exactly one statement, not {len(stmts)}"
    word = leading_keyword(stmts[0])
    if not word:
        return "has no SQL statement"
    if word == "pragma":
        if _pragma_name(stmts[0]) in READ_PRAGMAS:
            return None
        return "may only use a reading PRAGMA (" + ", ".join(sorted(READ_PRAGMAS)[:4]) + ", …)"
    if word in TRANSACTION_CONTROL or word in SESSION_CONTROL:
        return f"{word.upper()} would change dblint's read-only transaction; a check query must only read"
    return sqlvet.query_problem(query, dialects)


def fix_statement_problem(statement: str, dialects: Sequence[str] = ()) -> str | None:
    """Why ``statement`` cannot be a fix statement, or None."""
    if _hidden(statement):
        return _hidden(statement)
    stmts = split_statements(statement)
    if len(stmts) != 1:
        return f"must be exactly one statement, not {len(stmts)} (list them separately)"
    word = leading_keyword(stmts[0])
    if (
        word in TRANSACTION_CONTROL
        or word == "pragma"
        or re.match(r"\s*set\s+(session\s+|@@)?autocommit\b", strip_comments(stmts[0]), re.IGNORECASE)
    ):
        return (
            f"{word.upper()} would break the single fix transaction dblint commits or rolls back as a whole"
        )
    return sqlvet.fix_read_problem(statement, dialects)


# --- tokens, and what a raw fix statement writes --------------------------------------------------

_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<comment>--[^\n]*|/\*.*?(?:\*/|$))
      | (?P<string>'(?:[^']|'')*'?)
      | (?P<ident>"(?:[^"]|"")*"?|`(?:[^`]|``)*`?|\[[^\]]*\]?)
      | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
      | (?P<number>[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?)
      | (?P<op>::|<=|>=|<>|!=|\|\||.)""",
    re.VERBOSE | re.DOTALL,
)


def tokens(sql: str) -> list[tuple[str, str]]:
    """``(kind, text)`` of every token outside comments: word, ident (quoted), string, number, op."""
    out = []
    for m in _TOKEN.finditer(sql):
        kind = m.lastgroup or "op"
        if kind not in ("space", "comment"):
            out.append((kind, m.group(0)))
    return out


def _name(tok: tuple[str, str]) -> str | None:
    kind, text = tok
    if kind == "word":
        return text
    if kind == "ident" and len(text) >= 2:
        q = text[0]
        if q == "[":
            return text[1:-1]
        return text[1:-1].replace(q * 2, q)
    return None


_SET_END = frozenset({"where", "from", "returning", "order", "limit"})


def write_target(sql: str) -> tuple[str, list[str] | None] | None:
    """The table a raw INSERT / REPLACE / UPDATE / DELETE writes and the columns it sets (None for
    a DELETE, or an INSERT without a column list), or None when that cannot be told (another
    statement, a schema-qualified or multi-table target)."""
    toks = tokens(sql)
    words = [t[1].lower() if t[0] == "word" else "" for t in toks]
    i = 0
    if words[:1] == ["update"]:
        i = 2 if words[1:2] == ["only"] else 1
    elif words[:2] == ["delete", "from"]:
        i = 2
    elif words[:2] in (["insert", "into"], ["replace", "into"]):
        i = 2
    elif words[:2] == ["insert", "or"] and words[3:4] == ["into"]:
        i = 4
    else:
        return None
    if i >= len(toks):
        return None
    table = _name(toks[i])
    if table is None or (i + 1 < len(toks) and toks[i + 1][1] in (".", ",")):
        return None  # schema-qualified, or several tables
    rest = toks[i + 1 :]
    if words[0] == "delete":
        return table, None
    if words[0] == "update":
        return _update_columns(table, rest)
    if rest and rest[0][1] == "(":
        cols: list[str] = []
        for tok in rest[1:]:
            if tok[1] == ")":
                return table, cols
            if tok[1] != ",":
                name = _name(tok)
                if name is None:
                    return table, None
                cols.append(name)
    return table, None


def _update_columns(table: str, rest: list[tuple[str, str]]) -> tuple[str, list[str] | None] | None:
    head = [t[1].lower() for t in rest[:1]]
    if head != ["set"]:
        return None  # UPDATE a JOIN b …, an alias: other tables may change too
    cols, depth, expect_col = [], 0, True
    for j, tok in enumerate(rest[1:], 1):
        text = tok[1]
        if text == "(":
            depth += 1
        elif text == ")":
            depth -= 1
        elif depth == 0 and tok[0] == "word" and text.lower() in _SET_END:
            break
        elif depth == 0 and text == ",":
            expect_col = True
        elif expect_col and depth == 0 and text == ".":
            continue
        elif expect_col and depth == 0:
            name = _name(tok)
            if name is None:
                return table, None
            nxt = rest[j + 1][1] if j + 1 < len(rest) else ""
            if nxt == ".":  # t.col = …
                continue
            cols.append(name)
            expect_col = False
    return table, cols
