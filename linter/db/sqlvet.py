"""Vetting raw SQL before it runs: a check query (and a ``define:`` fragment) must be ONE
read-only query, and a fix statement's reading parts must not reach past the transaction.

Why: a read-only transaction does not stop everything. On PostgreSQL ``COPY (SELECT 1) TO PROGRAM
'…'`` runs a shell command as the server's user and ``COPY … TO '/path'`` writes a file (both are
"reads" to the transaction), ``pg_read_file``/``lo_export``/``dblink`` reach files and other
servers; MariaDB writes files with ``SELECT … INTO OUTFILE``; SQLite extensions load code. A rule
file or a third-party pack must not get that power because dblint connects as a superuser.

How: a strict lexer per dialect (strings, quoted identifiers, comments and dollar quotes as each
server reads them: a backslash escapes in MariaDB strings and PostgreSQL ``E''`` strings, not in
standard ones), run once per dialect the rule may meet, so text that one server reads as a string
cannot hide code from the vetting of another. Then an allow-list of shape: the statement starts
with SELECT, WITH or VALUES, is the only statement, and contains no writing or locking keyword, no
``:=`` assignment and no call of a function that reaches outside the transaction. PostgreSQL's
``pg_*`` functions are allowed only from a list of catalog readers; ``lo_*`` and ``dblink*`` never.
Functions defined in the database itself are not vetted (their bodies are the database's code).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

DIALECTS = ("sqlite", "postgresql", "mysql")
# PostgreSQL with standard_conforming_strings off reads backslashes in every string: lex that too.
# MariaDB/MySQL read strings four ways by sql_mode (NO_BACKSLASH_ESCAPES, ANSI_QUOTES): lex each.
_LEXERS = {
    "sqlite": ("sqlite",),
    "postgresql": ("postgresql", "postgresql_escapes"),
    "mysql": ("mysql", "mysql_nobs", "mysql_ansi", "mysql_ansi_nobs"),
}

READ_STARTS = frozenset({"select", "with", "values"})

# Unquoted words that make a query write, lock or copy, wherever they appear in it.
_REFUSED_WORDS = {
    "into": "INTO (SELECT … INTO a table, a file or a variable)",
    "copy": "COPY",
    "insert": "INSERT",
    "update": "UPDATE",
    "delete": "DELETE",
    "merge": "MERGE",
    "truncate": "TRUNCATE",
    "lock": "a locking clause (LOCK IN SHARE MODE)",
    "outfile": "INTO OUTFILE",
    "dumpfile": "INTO DUMPFILE",
    "procedure": "PROCEDURE",
    "handler": "HANDLER",
}
# DDL a fix must not run: code that runs later (functions, triggers, rules, extensions, event
# triggers, foreign servers), roles and server settings.
_FIX_REFUSED_OBJECTS = frozenset(
    {
        "function", "procedure", "extension", "trigger", "rule", "language", "server", "foreign",
        "role", "user", "system", "event", "publication", "subscription", "aggregate", "operator",
        "definer", "or", "group", "policy", "cast", "transform", "tablespace", "database", "schema",
    }
)  # fmt: skip
# Words that reach past the transaction in a fix statement too (its reading parts).
_FIX_REFUSED_WORDS = ("copy", "outfile", "dumpfile", "procedure", "handler")
_LOCKING = frozenset({"update", "share", "no", "key"})  # FOR UPDATE / SHARE / NO KEY UPDATE / KEY SHARE

# Functions with effects outside the transaction (files, programs, other servers, session state,
# sequences, advisory locks, dynamic SQL), on any of the three dialects.
_REFUSED_FUNCTIONS = frozenset(
    {
        # SQLite
        "load_extension",
        "writefile",
        "readfile",
        "edit",
        "fts3_tokenizer",
        "fsdir",
        "lsdir",
        "zipfile",
        # MariaDB / MySQL
        "load_file",
        "sys_exec",
        "sys_eval",
        "get_lock",
        "release_lock",
        "release_all_locks",
        "is_free_lock",
        "is_used_lock",
        "master_pos_wait",
        "master_gtid_wait",
        "source_pos_wait",
        "lastval",
        "setval",
        "nextval",
        # PostgreSQL
        "set_config",
        "currval",
        "query_to_xml",
        "query_to_xmlschema",
        "query_to_xml_and_xmlschema",
        "cursor_to_xml",
        "cursor_to_xmlschema",
        "ts_stat",
        "txid_current",
        "txid_current_if_assigned",
        "file_fdw_handler",
    }
)
_REFUSED_PREFIXES = ("lo_", "dblink", "pg_")
# PostgreSQL's pg_* functions that only read the catalog or describe a value.
PG_ALLOWED = frozenset(
    {
        "pg_typeof",
        "pg_get_constraintdef",
        "pg_get_indexdef",
        "pg_get_expr",
        "pg_get_viewdef",
        "pg_get_triggerdef",
        "pg_get_functiondef",
        "pg_get_function_arguments",
        "pg_get_function_result",
        "pg_get_serial_sequence",
        "pg_get_userbyid",
        "pg_get_partkeydef",
        "pg_get_ruledef",
        "pg_get_statisticsobjdef",
        "pg_table_is_visible",
        "pg_type_is_visible",
        "pg_function_is_visible",
        "pg_column_size",
        "pg_relation_size",
        "pg_total_relation_size",
        "pg_table_size",
        "pg_indexes_size",
        "pg_size_pretty",
        "pg_encoding_to_char",
        "pg_char_to_encoding",
        "pg_is_in_recovery",
        "pg_has_role",
        "pg_describe_object",
        "pg_identify_object",
        "pg_index_column_has_property",
        "pg_index_has_property",
        "pg_collation_for",
        "pg_column_is_updatable",
        "pg_relation_is_updatable",
        "pg_options_to_table",
        "pg_get_keywords",
        "pg_input_is_valid",
        "pg_input_error_info",
        "pg_backend_pid",
    }
)


@dataclass(frozen=True)
class Token:
    kind: str  # word, ident (quoted), string, number, param, op
    text: str

    @property
    def word(self) -> str:
        return self.text.lower() if self.kind == "word" else ""


class LexError(ValueError):
    pass


_SPACE = re.compile(r"\s+")
_WORDRE = re.compile(r"[^\W\d][\w$]*")
_NUMBER = re.compile(r"\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?")
_PARAM = re.compile(r"[:$?@][\w.]*")
_DOLLAR = re.compile(r"\$([^\W\d][\w]*)?\$")
_OPS = ("::", ":=", "<=", ">=", "<>", "!=", "||", "->>", "->", "=>", "<=>")
_OPS_RE = re.compile("|".join(re.escape(o) for o in _OPS))  # the first in _OPS's order wins, as before


def _quoted(sql: str, i: int, close: str, backslash: bool) -> int:
    """The index after the quoted text opened at ``i`` (closing quote doubled = escaped)."""
    j = i + 1
    while j < len(sql):
        ch = sql[j]
        if backslash and ch == "\\":
            j += 2
            continue
        if ch == close:
            if j + 1 < len(sql) and sql[j + 1] == close:
                j += 2
                continue
            return j + 1
        j += 1
    raise LexError("has an unterminated quote")


def _comment(sql: str, i: int, lexer: str) -> int | None:
    """The index after a comment starting at ``i``, or None when there is none."""
    if sql.startswith("--", i):
        if lexer.startswith("mysql") and i + 2 < len(sql) and not sql[i + 2].isspace():
            return None  # MySQL needs a space after --: `1--1` is arithmetic
        j = sql.find("\n", i)
        return len(sql) if j < 0 else j
    if lexer.startswith("mysql") and sql[i] == "#":
        j = sql.find("\n", i)
        return len(sql) if j < 0 else j
    if sql.startswith("/*", i):
        if lexer.startswith("mysql") and (sql.startswith("/*!", i) or sql.startswith("/*M!", i)):
            raise LexError("uses a MySQL executable comment (/*! … */), which runs its text")
        depth, j = 1, i + 2
        while depth:
            if j >= len(sql):
                if lexer == "sqlite":
                    return len(sql)
                raise LexError("has an unterminated comment")
            if lexer.startswith("postgresql") and sql.startswith("/*", j):
                depth, j = depth + 1, j + 2  # PostgreSQL nests comments
            elif sql.startswith("*/", j):
                depth, j = depth - 1, j + 2
            else:
                j += 1
        return j
    return None


@functools.lru_cache(maxsize=2048)
def lex(sql: str, lexer: str) -> tuple[Token, ...]:
    """The tokens of ``sql`` as ``lexer`` (a dialect, or ``postgresql_escapes``) reads it (cached: a
    pack's fragments recur in several of its queries and fix statements)."""
    return tuple(_lex(sql, lexer))


def _lex(sql: str, lexer: str) -> list[Token]:
    out: list[Token] = []
    pg = lexer.startswith("postgresql")
    i = 0
    while i < len(sql):
        ch = sql[i]
        m = _SPACE.match(sql, i)
        if m:
            i = m.end()
            continue
        end = _comment(sql, i, lexer) if ch in "-#/" else None  # every comment starts so
        if end is not None:
            i = end
            continue
        if pg and sql[i : i + 2].lower() == "u&":
            raise LexError("uses a U& escaped name or string, which dblint cannot vet")
        my = lexer.startswith("mysql")
        if ch == "'" or (ch == '"' and my and "ansi" not in lexer):
            backslash = (my and "nobs" not in lexer) or lexer == "postgresql_escapes"
            end = _quoted(sql, i, ch, backslash)
            out.append(Token("string", sql[i:end]))
            i = end
            continue
        if pg and ch in "eE" and sql[i + 1 : i + 2] == "'":
            end = _quoted(sql, i + 1, "'", True)
            out.append(Token("string", sql[i:end]))
            i = end
            continue
        if ch == '"' or (ch == "`" and (my or lexer == "sqlite")) or (ch == "[" and lexer == "sqlite"):
            close = "]" if ch == "[" else ch
            end = _quoted(sql, i, close, False)
            out.append(Token("ident", sql[i:end]))
            i = end
            continue
        if pg and ch == "$":
            m = _DOLLAR.match(sql, i)
            if m:
                end = sql.find(m.group(0), m.end())
                if end < 0:
                    raise LexError("has an unterminated dollar quote")
                out.append(Token("string", sql[i : end + len(m.group(0))]))
                i = end + len(m.group(0))
                continue
        for pattern, kind in ((_WORDRE, "word"), (_NUMBER, "number")):
            m = pattern.match(sql, i)
            if m:
                out.append(Token(kind, m.group(0)))
                i = m.end()
                break
        else:
            m = _OPS_RE.match(sql, i)
            op = m.group(0) if m else ""
            if not op and ch in ":$?@":
                m = _PARAM.match(sql, i)
                out.append(Token("param", m.group(0) if m else ch))
                i = m.end() if m else i + 1
                continue
            out.append(Token("op", op or ch))
            i += len(op) or 1
    return out


def _name(tok: Token) -> str:
    if tok.kind == "word":
        return tok.text.lower()
    if tok.kind == "ident" and len(tok.text) >= 2:
        return tok.text[1:-1].lower()
    return ""


def function_problem(name: str) -> str | None:
    """Why a call of ``name`` (lower-case, unqualified) may not run in a rule, or None."""
    if name in _REFUSED_FUNCTIONS or (name.startswith(_REFUSED_PREFIXES) and name not in PG_ALLOWED):
        return (
            f"calls {name}(), which reaches outside the transaction (files, programs, locks or session state)"
        )
    return None


def _statements(toks: Sequence[Token]) -> int:
    """How many statements: a trailing semicolon does not start another."""
    count, seen = 0, False
    for t in toks:
        if t.text == ";" and t.kind == "op":
            count += seen
            seen = False
        else:
            seen = True
    return count + seen


def _scan(toks: Sequence[Token], words: Iterable[str]) -> str | None:
    refused = {w: _REFUSED_WORDS[w] for w in words}
    for i, tok in enumerate(toks):
        nxt = toks[i + 1] if i + 1 < len(toks) else Token("op", "")
        if tok.word in refused:
            return f"uses {refused[tok.word]}; a rule's query must only read"
        if tok.word == "next" and nxt.word == "value":
            return "uses NEXT VALUE FOR, which advances a sequence outside the transaction"
        if tok.word == "for" and nxt.word in _LOCKING:
            return "uses a locking clause (FOR UPDATE / FOR SHARE); a rule's query must only read"
        if tok.text == ":=" and tok.kind == "op":
            return "assigns a variable (:=); use => for named arguments"
        if nxt.text == "(" and tok.kind in ("word", "ident"):
            problem = function_problem(_name(tok))
            if problem:
                return problem
    return None


def _dialect_lexers(dialects: Sequence[str], sql: str) -> list[str]:
    chosen = [d for d in dialects if d in _LEXERS] or list(DIALECTS)
    lexers = [lx for d in chosen for lx in _LEXERS[d]]
    # The readings of one dialect differ only in what a backslash does in a string (the *_nobs and
    # postgresql_escapes readings) and whether " quotes a string or a name (the *_ansi ones): text
    # without a backslash, or without a double quote, reads the same both ways, so one is lexed.
    if "\\" not in sql:
        lexers = [lx for lx in lexers if not lx.endswith("_nobs") and lx != "postgresql_escapes"]
    if '"' not in sql:
        lexers = [lx for lx in lexers if "_ansi" not in lx]
    # Nor do the dialects differ on text without any of the characters their lexers treat apart
    # (quotes other than ', backslash, $, &, #, brackets, /* and -- comments, E'…' strings): then
    # every reading gives the same tokens (tested), and one of them is lexed.
    if len(lexers) > 1 and not _DIALECT_SPECIFIC.search(sql):
        lexers = lexers[:1]
    return lexers


# What any dialect's reading treats differently from another's (sqlvet._lex and _comment): an
# E or e that may start a token before a quote (not after a letter or _, where it is inside a word).
_DIALECT_SPECIFIC = re.compile(r"""[\\"`\[#$&]|/\*|--(?!\s|$)|(?<![^\W\d])[eE]'""")


def query_problem(sql: str, dialects: Sequence[str] = ()) -> str | None:
    """Why ``sql`` is not one read-only SELECT / WITH … SELECT / VALUES on every dialect it may
    run on (all three unless ``dialects`` says), or None."""
    for lexer in _dialect_lexers(dialects, sql):
        try:
            toks = lex(sql, lexer)
        except LexError as exc:
            return str(exc)
        if not toks:
            return "has no SQL statement"
        n = _statements(toks)
        if n != 1:
            return f"must be exactly one statement, not {n}"
        first = next((t for t in toks if t.text != "("), Token("op", ""))
        if first.word not in READ_STARTS:
            shown = first.text[:20].upper() or "nothing"
            return f"starts with {shown}; a rule's query must be one SELECT, WITH … SELECT or VALUES"
        problem = _scan(toks, _REFUSED_WORDS)
        if problem:
            return problem
    return None


def fix_read_problem(sql: str, dialects: Sequence[str] = ()) -> str | None:
    """Why a fix statement's reading parts would reach past the fix transaction (COPY, INTO
    OUTFILE, file, program and lock functions), or None. Locking clauses are fine: the fix
    transaction holds its locks until it ends anyway."""
    for lexer in _dialect_lexers(dialects, sql):
        try:
            toks = lex(sql, lexer)
        except LexError as exc:
            return str(exc)
        if toks and toks[0].word in ("copy", "load", "call", "do", "execute", "handler"):
            return f"starts with {toks[0].text.upper()}, which reaches outside the fix transaction"
        head = [t.word for t in toks[:4]]
        if head[:1] in (["create"], ["alter"], ["drop"], ["comment"]) and _FIX_REFUSED_OBJECTS & set(
            head[1:]
        ):
            obj = next(w for w in head[1:] if w in _FIX_REFUSED_OBJECTS).upper()
            return f"creates or changes a {obj} (code, roles or settings outside the rows a fix repairs)"
        for i, tok in enumerate(toks):
            nxt = toks[i + 1] if i + 1 < len(toks) else Token("op", "")
            if tok.word in _FIX_REFUSED_WORDS:
                return f"uses {_REFUSED_WORDS[tok.word]}, which reaches outside the fix transaction"
            if nxt.text == "(" and tok.kind in ("word", "ident"):
                problem = function_problem(_name(tok))
                if problem:
                    return problem
    return None
