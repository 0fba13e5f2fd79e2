"""A fixed dump is written back with the smallest diff, in its own layout (issue 16)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from linter.load.config import Config
from linter.targets.dump_patch import patch, write_patched
from linter.targets.fixture_files import hook_refuses

CLI_DUMP = """PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE b(id INTEGER PRIMARY KEY, name TEXT, x REAL);
INSERT INTO b VALUES(1,'it''s',1.5);
INSERT INTO b VALUES(2,replace('multi\\nline','\\n',char(10)),NULL);
INSERT INTO b VALUES(3,X'00ff',2.0);
CREATE TABLE a(k TEXT, v INT);
INSERT INTO a VALUES('z',1);
CREATE INDEX ia ON a(k);
COMMIT;
"""


def loaded(text: str) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.executescript(text)
    return conn


def test_only_the_changed_rows_change_and_the_layout_stays() -> None:
    fixed = loaded(CLI_DUMP)
    fixed.execute("UPDATE b SET name = 'fixed' WHERE id = 1")
    fixed.execute("DELETE FROM b WHERE id = 3")
    fixed.execute("INSERT INTO a VALUES ('new', 2)")
    fixed.commit()
    text = patch(CLI_DUMP, fixed)
    assert text == CLI_DUMP.replace("VALUES(1,'it''s',1.5)", "VALUES(1,'fixed',1.5)").replace(
        "INSERT INTO b VALUES(3,X'00ff',2.0);\n", ""
    ).replace(
        "INSERT INTO a VALUES('z',1);\n", "INSERT INTO a VALUES('z',1);\nINSERT INTO a VALUES('new',2);\n"
    )
    again = loaded(text)  # and it loads back to exactly the fixed database
    for table in ("a", "b"):
        q = f"SELECT * FROM {table} ORDER BY rowid"
        assert again.execute(q).fetchall() == fixed.execute(q).fetchall()


def test_unchanged_database_gives_the_same_text() -> None:
    assert patch(CLI_DUMP, loaded(CLI_DUMP)) == CLI_DUMP


def test_rows_it_cannot_follow_give_up_for_the_canonical_dump(tmp_path: Path) -> None:
    multi = "CREATE TABLE t(id INTEGER PRIMARY KEY);\nINSERT INTO t VALUES(1),(2);\n"
    fixed = loaded(multi)
    fixed.execute("DELETE FROM t WHERE id = 2")
    assert patch(multi, fixed) is None  # one INSERT wrote two rows
    schema = loaded(CLI_DUMP)
    schema.execute("CREATE TABLE extra(x)")
    assert patch(CLI_DUMP, schema) is None  # the fix changed the schema
    path = tmp_path / "d.sql"
    path.write_text(CLI_DUMP)
    db = tmp_path / "fixed.sqlite"
    on_disk = sqlite3.connect(db)
    on_disk.executescript(CLI_DUMP)
    on_disk.close()
    assert write_patched(db, path) is False  # nothing changed: the file is not rewritten


def test_a_dump_that_changes_rows_after_inserting_them_gives_up() -> None:
    """An UPDATE (or DELETE, REPLACE) in the dump would undo the patched INSERT when loaded: the
    canonical dump is written instead."""
    dump = (
        "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);\n"
        "INSERT INTO t VALUES(1,'a');\n"
        "UPDATE t SET v='b' WHERE id=1;\n"
    )
    fixed = loaded(dump)
    fixed.execute("UPDATE t SET v = 'c' WHERE id = 1")
    assert patch(dump, fixed) is None


def test_the_hook_takes_sqlite_files_and_sqlite_dumps_only(tmp_path: Path) -> None:
    cfg = Config(source=tmp_path / "dblint.yaml")
    (tmp_path / "cli.sql").write_text(CLI_DUMP)
    (tmp_path / "iter.sql").write_text("BEGIN TRANSACTION;\nCREATE TABLE t(x);\nCOMMIT;\n")
    (tmp_path / "pg.sql").write_text("--\n-- PostgreSQL database dump\n--\n\nSET statement_timeout = 0;\n")
    (tmp_path / "mig.sql").write_text("BEGIN;\nALTER TABLE t ADD COLUMN y int;\nCOMMIT;\n")
    (tmp_path / "hand.sql").write_text("CREATE TABLE t(x);\n")
    (tmp_path / "text.db").write_text("not a database")
    sqlite3.connect(tmp_path / "real.db").execute("CREATE TABLE t(x)").connection.close()
    took = {p.name for p in tmp_path.iterdir() if hook_refuses(str(p), cfg) is None}
    assert took == {"cli.sql", "iter.sql", "real.db"}
    assert "not an SQLite dump" in (hook_refuses(str(tmp_path / "pg.sql"), cfg) or "")
    listed = Config(source=tmp_path / "dblint.yaml", fixtures={"files": ["hand.sql"]})
    assert hook_refuses(str(tmp_path / "hand.sql"), listed) is None  # the config lists it
