"""Just enough lexing of raw SQL (the `sql` kind) to keep dblint's transaction guarantees: split a
text into statements (semicolons outside quotes and comments) and find a statement's first keyword.

Why: a raw check query such as ``SELECT 1; COMMIT; DELETE FROM t; COMMIT`` would end the read-only
transaction on PostgreSQL (whose simple query protocol runs several statements at once), and
``PRAGMA query_only = OFF`` would lift SQLite's; a raw fix with ``COMMIT`` would break the one
all-or-nothing fix transaction. Such rules are refused when the rule file is loaded.
"""

from __future__ import annotations

import re

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


def without_comments(sql: str) -> str:
    """``sql`` with every comment outside quotes replaced by a space (a ``--`` inside a string
    stays), so the statement can be wrapped in a derived table."""
    out: list[str] = []
    quote = ""
    i = 0
    while i < len(sql):
        ch = sql[i]
        if quote:
            out.append(ch)
            if ch == quote:
                quote = ""  # a doubled quote re-opens at once on the next character
        elif ch in "'\"`":
            quote = ch
            out.append(ch)
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            i = len(sql) if j < 0 else j
            out.append(" ")
            continue
        elif sql.startswith("/*", i):
            j = sql.find("*/", i)
            i = len(sql) if j < 0 else j + 2
            out.append(" ")
            continue
        else:
            out.append(ch)
        i += 1
    return "".join(out)


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


def check_query_problem(query: str) -> str | None:
    """Why ``query`` cannot be a check query, or None."""
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
    return None


def fix_statement_problem(statement: str) -> str | None:
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
    return None
