"""Raw SQL in a rule is one read-only query, proven so before it runs (linter.db.sqlvet).

The refused constructs are tried one by one on every dialect; rule files holding them are refused at
load time with one line naming file:line and the rule id (exit 2); and hypothesis builds statements
from hostile pieces (COPY TO PROGRAM, INTO OUTFILE, lo_export, writefile, quote, comment and
dollar-quote tricks): every one is refused, or, run by dblint as PostgreSQL's superuser and MariaDB's
root, leaves the server untouched (no file created, rows, tables and large objects unchanged). The
payloads themselves do write when run without the vetting: the controls below prove the trial can fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from linter.db import sqltext
from linter.db.session import Timeouts, read_only
from linter.kinds.base import Finding
from linter.kinds.sql import RawSqlCheck
from linter.testing import TestDatabase

FUZZ_CASES = int(os.environ.get("DBLINT_SQLVET_EXAMPLES", "150"))
MARK = "/tmp/dblint-vet-MARK"  # /tmp: the servers' own users can write there

REFUSED = [
    # PostgreSQL
    "COPY (SELECT 1) TO PROGRAM 'id > /tmp/x.txt'",
    "COPY (SELECT 1) TO '/tmp/x.txt'",
    "copy victim from '/etc/passwd'",
    "SELECT lo_export(lo_from_bytea(0, 'x'), '/tmp/x')",
    "SELECT pg_catalog.lo_import('/etc/passwd')",
    "SELECT pg_read_file('/etc/passwd')",
    "SELECT * FROM pg_ls_dir('/')",
    "SELECT pg_read_binary_file('/etc/passwd')",
    "SELECT pg_stat_file('/etc/passwd')",
    "SELECT \"pg_read_file\"('/etc/passwd')",
    "SELECT pg_file_write('/tmp/x', 'y', false)",
    "SELECT * FROM dblink('dbname=test', 'DELETE FROM victim') AS t(x text)",
    "SELECT dblink_exec('dbname=test', 'DELETE FROM victim')",
    "SELECT set_config('transaction_read_only', 'off', false)",
    "SELECT pg_advisory_lock(1)",
    "SELECT pg_terminate_backend(1)",
    "SELECT nextval('s')",
    "SELECT query_to_xml('DELETE FROM victim', true, false, '')",
    "SELECT * FROM victim FOR UPDATE",
    "SELECT * FROM victim FOR NO KEY UPDATE SKIP LOCKED",
    "SELECT * FROM victim FOR SHARE",
    "SELECT * FROM victim FOR KEY SHARE",
    "SELECT * INTO copy_of_victim FROM victim",
    "WITH d AS (DELETE FROM victim RETURNING *) SELECT * FROM d",
    "WITH d AS (UPDATE victim SET v = 'x' RETURNING *) SELECT * FROM d",
    "DO $$BEGIN EXECUTE 'COPY (SELECT 1) TO PROGRAM ''id'''; END$$",
    "SELECT U&\"pg\\005fread_file\"('/etc/passwd')",
    "SELECT 1; COPY (SELECT 1) TO PROGRAM 'id'",
    "SELECT $$ $$; COPY (SELECT 1) TO PROGRAM 'id' --",
    "SELECT /* /* */ 1; COPY (SELECT 1) TO PROGRAM 'id' -- */",
    "SELECT E'\\'; COPY (SELECT 1) TO PROGRAM 'id' --'",
    "SELECT '\\'; COPY (SELECT 1) TO PROGRAM 'id' --'",
    # MariaDB / MySQL
    "SELECT 1 INTO OUTFILE '/tmp/x'",
    "SELECT 1 INTO DUMPFILE '/tmp/x'",
    "SELECT 1 INTO @v",
    "SELECT @v := 1",
    "SELECT LOAD_FILE('/etc/passwd')",
    "SELECT * FROM victim LOCK IN SHARE MODE",
    "SELECT NEXT VALUE FOR s",
    "SELECT GET_LOCK('x', 1)",
    "SELECT 1 /*!, (SELECT 1 INTO OUTFILE '/tmp/x') */",
    "SELECT 1 # comment\n; DELETE FROM victim",
    "SELECT '\\' ; DELETE FROM victim; -- '",
    'SELECT "\\" ; DELETE FROM victim; -- "',
    "LOAD DATA INFILE '/etc/passwd' INTO TABLE victim",
    "HANDLER victim OPEN",
    # SQLite
    "SELECT load_extension('/tmp/evil.so')",
    "SELECT writefile('/tmp/x', 'y')",
    "SELECT readfile('/etc/passwd')",
    "SELECT fts3_tokenizer('simple')",
    "ATTACH '/tmp/x.sqlite' AS x",
    "VACUUM INTO '/tmp/x.sqlite'",
    "PRAGMA query_only = OFF",
    "PRAGMA query_only(0)",
    "PRAGMA journal_mode = DELETE",
    "SELECT 1 FROM [victim]; DELETE FROM victim",
    # every dialect
    "INSERT INTO victim VALUES (9, 'x')",
    "UPDATE victim SET v = 'x'",
    "DELETE FROM victim",
    "REPLACE INTO victim VALUES (9, 'x')",
    "CREATE TABLE x (a int)",
    "SELECT 1; SELECT 2",
    "COMMIT",
    "SET SESSION TRANSACTION READ WRITE",
    "CALL p()",
    "EXECUTE p",
    "SELECT 'unterminated",
    "",
    "-- only a comment",
]

ACCEPTED = [
    "SELECT id FROM victim WHERE v IS NULL",
    "SELECT id FROM victim WHERE v = 'COPY (SELECT 1) TO PROGRAM ''id''' -- a comment",
    "SELECT id FROM victim; ",
    "  (SELECT id FROM victim) UNION (SELECT 2) ;",
    "WITH x AS (SELECT id FROM victim) SELECT * FROM x /* trailing */",
    "VALUES (1), (2)",
    'SELECT "update", "into" FROM victim',
    "SELECT substring(v FROM 1 FOR 2) FROM victim",
    "SELECT pg_typeof(1), pg_get_constraintdef(c.oid) FROM pg_constraint c",
    "SELECT count(*) FROM pg_class",
    "SELECT REPLACE(v, 'a', 'b') FROM victim",
    "SELECT v::text FROM victim WHERE id = :id",
    "SELECT 'it''s', 'a -- b', 'c /* d */' FROM victim",
    "PRAGMA foreign_key_check",
]


@pytest.mark.parametrize("sql", REFUSED)
def test_refused(sql: str) -> None:
    assert sqltext.check_query_problem(sql), sql


@pytest.mark.parametrize("sql", ACCEPTED)
def test_accepted(sql: str) -> None:
    assert sqltext.check_query_problem(sql) is None, sqltext.check_query_problem(sql)


def test_dialects_narrow_the_lexers() -> None:
    """A MariaDB-only rule is read the four ways MariaDB may read it (sql_mode NO_BACKSLASH_ESCAPES,
    ANSI_QUOTES), not PostgreSQL's: a doubled quote is one reading everywhere, a backslash is not."""
    assert sqltext.check_query_problem("SELECT id FROM victim WHERE v = 'it''s'", ["mysql"]) is None
    # With NO_BACKSLASH_ESCAPES the string ends at the backslash and LOAD_FILE is code.
    hidden = "SELECT 'a\\', LOAD_FILE('/etc/passwd') -- '"
    assert sqltext.check_query_problem(hidden, ["mysql"]) is not None
    assert sqltext.check_query_problem("SELECT id FROM victim WHERE v = 'it\\'s'", ["mysql"]) is not None
    # A double-quoted word is a string by default and a name with ANSI_QUOTES: neither hides code.
    assert sqltext.check_query_problem('SELECT "v" FROM victim', ["mysql"]) is None
    # A backtick quotes on MariaDB and SQLite, not on PostgreSQL, which would read the word INTO.
    assert sqltext.check_query_problem("SELECT `into` FROM victim", ["mysql", "sqlite"]) is None
    assert sqltext.check_query_problem("SELECT `into` FROM victim") is not None


@pytest.mark.parametrize(
    "stmt",
    [
        "INSERT INTO victim SELECT * FROM other INTO OUTFILE '/tmp/x'",
        "UPDATE victim SET v = pg_read_file('/etc/passwd')",
        "UPDATE victim SET v = LOAD_FILE('/etc/passwd')",
        "DELETE FROM victim WHERE id IN (SELECT lo_import('/etc/passwd'))",
        "COPY victim FROM PROGRAM 'id'",
        "LOAD DATA INFILE '/etc/passwd' INTO TABLE victim",
        "UPDATE victim SET v = writefile('/tmp/x', v)",
        "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$BEGIN COPY (SELECT 1) TO PROGRAM 'id'; END$$",
        "CREATE OR REPLACE FUNCTION f() RETURNS int AS 'SELECT 1' LANGUAGE sql",
        "CREATE EXTENSION dblink",
        "CREATE TRIGGER t AFTER INSERT ON victim FOR EACH ROW EXECUTE FUNCTION f()",
        "ALTER SYSTEM SET archive_command = 'id'",
        "ALTER ROLE app SUPERUSER",
        "DO $$BEGIN PERFORM 1; END$$",
    ],
)
def test_fix_read_parts_refused(stmt: str) -> None:
    assert sqltext.fix_statement_problem(stmt), stmt


def test_fix_statements_accepted() -> None:
    for stmt in (
        "UPDATE victim SET v = 'x' WHERE id IN (SELECT id FROM victim FOR UPDATE)",
        "INSERT INTO victim (id, v) SELECT 9, REPLACE(v, 'a', 'b') FROM victim WHERE id = 1",
        "DELETE FROM victim WHERE v = 'COPY'",
        "CREATE TABLE scratch AS SELECT * FROM victim",
        "ALTER TABLE victim ADD COLUMN w int",
    ):
        assert sqltext.fix_statement_problem(stmt) is None, stmt


def _rule_file(tmp_path: Path, query: str, extra: dict[str, Any] | None = None) -> Path:
    rule = {"id": "VET001", "title": "t", "kind": "sql", "params": {"query": query}, **(extra or {})}
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"rules": [rule]}, sort_keys=False))
    return path


@pytest.mark.parametrize(
    ("query", "fix"),
    [
        ("COPY (SELECT 1) TO PROGRAM 'id > /tmp/x.txt'", None),
        ("SELECT 1 INTO OUTFILE '/tmp/x'", None),
        (
            "SELECT id FROM victim",
            {"safety": "safe", "statements": ["UPDATE victim SET v = load_file('/x')"]},
        ),
    ],
)
def test_load_time_refusal_is_one_line(tmp_path: Path, dblint_run: Any, query: str, fix: Any) -> None:
    path = _rule_file(tmp_path, query, {"fix": fix} if fix else None)
    db = tmp_path / "t.sqlite"
    sa.create_engine(f"sqlite:///{db}").connect().close()
    res = dblint_run("check", str(db), "--rules", str(path))
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert f"{path}:" in lines[0] and "VET001" in lines[0], lines[0]
    assert "Traceback" not in res.stderr + res.stdout


def test_define_fragments_are_vetted(tmp_path: Path, dblint_run: Any) -> None:
    rule = {
        "id": "VET002",
        "title": "t",
        "kind": "specify_sql",
        "params": {"query": "SELECT * FROM ({x}) q", "define": {"x": "SELECT pg_read_file('/etc/passwd')"}},
    }
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"rules": [rule]}, sort_keys=False))
    db = tmp_path / "t.sqlite"
    sa.create_engine(f"sqlite:///{db}").connect().close()
    res = dblint_run("check", str(db), "--rules", str(path))
    assert res.exit_code == 2 and "VET002" in res.stderr and "pg_read_file" in res.stderr, res.stderr


# --- comments and trailing semicolons run (every dialect) ---------------------------------------


def test_comments_and_semicolons_run(dblint_db: TestDatabase, tmp_path: Path, dblint_run: Any) -> None:
    dblint_db.create(
        {
            "victim": {
                "columns": {"id": "integer primary key", "v": "varchar(20)"},
                "rows": [[1, None], [2, "a"]],
            }
        }
    )
    queries = [
        "SELECT id FROM victim WHERE v IS NULL -- trailing comment",
        "SELECT id FROM victim WHERE v IS NULL;",
        "SELECT id FROM victim WHERE v IS NULL /* block */ ;  -- and a comment",
        "-- leading comment\nSELECT id FROM victim\n-- inner ; comment\nWHERE v IS NULL ;",
    ]
    for q in queries:
        rules = str(_rule_file(tmp_path, q))
        res = dblint_run(
            "check", dblint_db.url_string, "--rules", rules, "--select", "VET", "--format", "json"
        )
        doc = yaml.safe_load(res.stdout)
        rule = next(r for r in doc["rules"] if r["id"] == "VET001")
        assert (res.exit_code, rule["status"], rule["violations"]) == (1, "fail", 1), (q, res.stdout)


# Comment text that a server reads as comment while dblint's comment stripping (what runs is the
# query without its comments, wrapped for counting) would leave code: PostgreSQL nests /* */.
NESTED = "SELECT 1 AS a /* /* */ , pg_read_file('/etc/hostname') AS b --*/"


def test_code_hidden_in_nested_comments_never_runs(tmp_path: Path, dblint_run: Any) -> None:
    """The text that runs is vetted, not only the text as written: a rule file is refused at load
    (file:line, exit 2), and a query a pack builds at run time (RawSqlCheck) before it runs."""
    from linter.errors import RuleError

    rule = {
        "id": "VET003",
        "title": "t",
        "kind": "sql",
        "params": {"dialects": ["postgresql"], "query": NESTED},
    }
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"rules": [rule]}, sort_keys=False))
    db = tmp_path / "t.sqlite"
    sa.create_engine(f"sqlite:///{db}").connect().close()
    res = dblint_run("check", str(db), "--rules", str(path))
    assert res.exit_code == 2 and f"{path}:" in res.stderr and "VET003" in res.stderr, res.stderr
    assert "without its comments" in res.stderr and "Traceback" not in res.stderr
    with pytest.raises(RuleError, match="comments removed"):
        RawSqlCheck(sa.text(NESTED), lambda r: Finding("", {}, ""), dialects=["postgresql"])


@pytest.mark.parametrize("dblint_db", ["postgresql", "sqlite"], indirect=True)
def test_a_comment_opened_by_slash_star_slash_stays_a_comment(
    dblint_db: TestDatabase, tmp_path: Path, dblint_run: Any
) -> None:
    """``/*/`` opens a comment and does not close it (the stripping once closed it at its own star,
    so the comment's text ran as code): what runs is what the server would read."""
    query = "SELECT 1 AS a /*/ , 2 AS b */"
    rules = str(_rule_file(tmp_path, query))
    res = dblint_run("check", dblint_db.url_string, "--rules", rules, "--select", "VET", "--format", "json")
    rule = next(r for r in yaml.safe_load(res.stdout)["rules"] if r["id"] == "VET001")
    assert rule["status"] == "fail" and [e["key"] for e in rule["examples"]] == [{"a": 1}], res.stdout
    assert "b=" not in rule["examples"][0]["message"]


# --- the fuzz trial ------------------------------------------------------------------------------

LARGE_OBJECT = (
    770077  # made in the victim database: lo_export of an existing object needs no write to the database
)
PAYLOADS = {
    "postgresql": [
        "COPY (SELECT 1) TO PROGRAM 'touch {m}'",
        "COPY (SELECT 1) TO '{m}'",
        "SELECT lo_export(lo_from_bytea(0, 'x'), '{m}')",
        "SELECT pg_catalog.lo_export(pg_catalog.lo_from_bytea(0, 'x'), '{m}')",
        "SELECT \"lo_export\"(\"lo_from_bytea\"(0, 'x'), '{m}')",
        "SELECT lo_from_bytea(0, 'x')",
        f"SELECT lo_export({LARGE_OBJECT}, '{{m}}')",  # writes a server file even in a read-only transaction
        "SELECT query_to_xml('COPY (SELECT 1) TO PROGRAM ''touch {m}''', true, false, '')",
        "DO $$BEGIN EXECUTE 'COPY (SELECT 1) TO PROGRAM ''touch {m}'''; END$$",
    ],
    "mysql": [
        "SELECT 1 INTO OUTFILE '{m}'",
        "SELECT 1 INTO DUMPFILE '{m}'",
        "SELECT 1 FROM victim INTO OUTFILE '{m}'",
        "SELECT * FROM (SELECT 1) x INTO OUTFILE '{m}'",
    ],
    "sqlite": ["ATTACH '{m}' AS x", "VACUUM INTO '{m}'", "SELECT writefile('{m}', 'x')"],
}
COMMON = ["DELETE FROM victim", "UPDATE victim SET v = 'x'", "INSERT INTO victim VALUES (99, 'x')"]
BENIGN = ["SELECT v FROM victim", "SELECT 'COPY (SELECT 1) TO PROGRAM ''touch {m}'''", "VALUES (1)"]
WRAPPERS = [
    "{p}",
    "SELECT 1; {p}",
    "SELECT 1 ;\n{p}",
    "SELECT 1 /* ; */ ; {p}",
    "SELECT 1 -- x\n; {p}",
    "SELECT '\\'; {p}; -- '",
    'SELECT "\\"; {p}; -- "',
    "SELECT E'\\'; {p}; --'",
    "SELECT $$ $$; {p}; --",
    "SELECT $a$ ' $a$; {p}; --",
    "SELECT /* /* */ 1; {p}; -- */",
    "SELECT 1 /*! ; {p} */",
    "SELECT 1 # x\n; {p}",
    "SELECT 1 --x\n; {p}",
    "WITH q AS ({p}) SELECT * FROM q",
    "SELECT * FROM ({p}) q",
    "SELECT 1 UNION ALL {p}",
    "(({p}))",
    "{p} -- comment",
    "SELECT 1 AS a /* /* */ , ({p}) AS b --*/",  # PostgreSQL nests comments; the stripping must too
    "SELECT 1 AS a /*/ , ({p}) AS b */",  # /*/ opens a comment and does not close it
]
VOCAB = [
    "SELECT", "1", ",", "(", ")", "FROM", "victim", "'", "\\", "$$", "/*", "*/", "--", "#", "\n", ";",
    "COPY", "TO", "PROGRAM", "'touch {m}'", "'{m}'", "lo_export", "INTO", "OUTFILE", "E'", "FOR", "UPDATE",
    "WITH", "AS", "DELETE", '"', "`", "VALUES", "/*!", "writefile", "WHERE", "v", "=", "x",
]  # fmt: skip


def _statements(dialect: str) -> st.SearchStrategy[str]:
    payload = st.sampled_from(PAYLOADS[dialect] + COMMON + BENIGN)
    wrapped = st.builds(lambda w, p: w.format(p=p), st.sampled_from(WRAPPERS), payload)
    soup = st.builds(
        lambda head, words: head + " ".join(words),
        st.sampled_from(["", "SELECT v FROM victim WHERE v = ", "SELECT "]),
        st.lists(st.sampled_from(VOCAB), min_size=1, max_size=12),
    )
    return st.one_of(wrapped, soup, st.builds(lambda a, b: a + " " + b, soup, wrapped))


def _state(db: TestDatabase) -> tuple[Any, ...]:
    extra: Any = ()
    if db.dialect == "postgresql":
        extra = db.scalar("SELECT count(*) FROM pg_largeobject_metadata")
    return (db.checksum(), sorted(db.table_names()), extra)


def _run_as_check(db: TestDatabase, sql: str) -> None:
    """What `dblint check` does with an accepted query: count it, then fetch examples."""
    eng = sa.create_engine(db.url)
    try:
        with read_only(eng, Timeouts(statement=10, lock=1)) as conn:
            check = RawSqlCheck(sa.text(sql), lambda r: Finding("", {}, ""), dialects=[db.dialect])
            check.count(conn)
            check.examples(conn, 5)
    except Exception:  # the server refusing garbage is fine: what counts is what it did not do
        pass
    finally:
        eng.dispose()


@pytest.fixture
def victim(dblint_db: TestDatabase) -> Iterator[TestDatabase]:
    dblint_db.create(
        {
            "victim": {
                "columns": {"id": "integer primary key", "v": "varchar(20)"},
                "rows": [[1, "a"], [2, None]],
            }
        }
    )
    if dblint_db.dialect == "postgresql":
        dblint_db.execute(f"SELECT lo_from_bytea({LARGE_OBJECT}, 'x')")
    yield dblint_db


def _superuser(db: TestDatabase) -> bool:
    if db.dialect == "postgresql":
        return bool(db.scalar("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))
    return True


def test_fuzz_refused_or_untouched(victim: TestDatabase) -> None:
    db = victim
    if not _superuser(db):
        pytest.skip("the PostgreSQL trial needs a superuser, who may COPY TO PROGRAM")
    mark = MARK.replace("MARK", uuid.uuid4().hex)
    # Control: unvetted, a payload does write (so the trial can fail).
    control = PAYLOADS[db.dialect][0 if db.dialect != "sqlite" else 1].format(m=mark)
    if db.dialect == "postgresql":
        _run_as_check(db, control)  # COPY even within check's read-only transaction
    else:
        db.execute(control)
    assert os.path.exists(mark), f"control payload did not write: {control}"
    os.remove(mark)
    before = _state(db)
    counts = {"refused": 0, "ran": 0}

    @settings(max_examples=FUZZ_CASES, deadline=None, suppress_health_check=list(HealthCheck))
    @given(_statements(db.dialect))
    def trial(template: str) -> None:
        sql = template.replace("{m}", mark)
        if sqltext.check_query_problem(sql, [db.dialect]):  # as a rule written for this dialect
            counts["refused"] += 1
            return
        counts["ran"] += 1
        _run_as_check(db, sql)
        assert not os.path.exists(mark), f"accepted and wrote a file: {sql!r}"
        assert _state(db) == before, f"accepted and changed the database: {sql!r}"

    try:
        trial()
    finally:
        if os.path.exists(mark):
            os.remove(mark)
    print(f"{db.dialect}: {counts}")


def _tokens(sql: str, lexer: str) -> object:
    from linter.db import sqlvet

    try:
        return sqlvet.lex(sql, lexer)
    except sqlvet.LexError as exc:
        return str(exc)


_PIECES = ["SELECT", " ", "'", "a", "\\", '"', "`", "--", "#", "/*", "*/", "E'", "$$", "\n", "(", ";", "::"]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=16).map("".join))
def test_skipped_readings_cannot_differ(sql: str) -> None:
    """The vetting lexes one reading of a dialect where its others cannot differ (sqlvet's
    _dialect_lexers): without a backslash, with or without NO_BACKSLASH_ESCAPES (and PostgreSQL's
    escape reading) give the same tokens; without a double quote, with or without ANSI_QUOTES."""
    if "\\" not in sql:
        assert _tokens(sql, "mysql") == _tokens(sql, "mysql_nobs")
        assert _tokens(sql, "mysql_ansi") == _tokens(sql, "mysql_ansi_nobs")
        assert _tokens(sql, "postgresql") == _tokens(sql, "postgresql_escapes")
    if '"' not in sql:
        assert _tokens(sql, "mysql") == _tokens(sql, "mysql_ansi")
        assert _tokens(sql, "mysql_nobs") == _tokens(sql, "mysql_ansi_nobs")


_CROSS_PIECES = [
    *_PIECES,
    "e",
    "E",
    "1",
    "x",
    "_",
    "&",
    "u&",
    "U&'",
    "[",
    "]",
    "-",
    "--x",
    "-- ",
    "$",
    "$a$",
    "é",
]


@settings(max_examples=4000, deadline=None)
@given(st.lists(st.sampled_from(_CROSS_PIECES), max_size=14).map("".join))
@example("SELECT 1E'a'")  # a number, then PostgreSQL's escape string E'a' (a word E elsewhere)
@example("SELECT 1--1")
def test_text_read_alike_by_every_dialect_lexes_alike(sql: str) -> None:
    """Where sqlvet lexes one reading for all dialects (no character any dialect's lexer treats
    apart), every dialect's every reading gives those same tokens (or the same lexing error)."""
    from linter.db import sqlvet

    if sqlvet._DIALECT_SPECIFIC.search(sql):
        return
    readings = {lx for lexers in sqlvet._LEXERS.values() for lx in lexers}
    first = _tokens(sql, "sqlite")
    for lexer in sorted(readings):
        assert _tokens(sql, lexer) == first, lexer


def test_dialect_specific_text_is_lexed_per_dialect() -> None:
    from linter.db import sqlvet

    assert sqlvet._dialect_lexers((), "SELECT 'type' AS t -- note") == ["sqlite"]
    for sql in ["SELECT 1--1", "SELECT 1e'x'", "SELECT e'x'", 'SELECT "a"', "SELECT /* */ 1", "SELECT a#b"]:
        assert len(sqlvet._dialect_lexers((), sql)) >= 3, sql
