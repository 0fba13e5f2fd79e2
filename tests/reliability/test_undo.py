"""Undo scripts: apply fixes of every kind, run the undo script with the dialect's own client, and
every table is exactly as before the fix (checksums)."""

from __future__ import annotations

import pytest
from reliability_support import RULES, TABLES, apply_script, originals


def _fix(dblint_db, dblint_run, tmp_path, *extra):
    undo = tmp_path / "undo.sql"
    res = dblint_run(
        "check",
        dblint_db.url_string,
        "--rules",
        str(RULES),
        "--select",
        "UNDO",
        "--fix",
        "--unsafe-fixes",
        "--undo-file",
        str(undo),
        "--format",
        "json",
        *extra,
    )
    return res, undo


def test_undo_restores_every_table(dblint_db, dblint_run, tmp_path):
    dblint_db.create(TABLES)
    before = dblint_db.checksum()
    res, undo = _fix(dblint_db, dblint_run, tmp_path)
    assert res.exit_code == 0, res.stderr + res.stdout
    doc = res.json()
    fixed = {r["id"]: r["fixed"] for r in doc["rules"]}
    assert fixed == {
        "UNDO001": 3,
        "UNDO002": 3,
        "UNDO003": 2,
        "UNDO004": 1,
        "UNDO005": 1,
        "UNDO006": 2,
        "UNDO007": 1,
    }, fixed
    assert doc["undo_file"] == str(undo)
    assert f"undo script: {undo}" in res.stderr
    after = dblint_db.checksum()
    assert after != before
    text = undo.read_text(encoding="utf-8")
    assert "DROP TABLE parent" not in text.replace("'O''Brien; DROP TABLE parent; --'", "")
    apply_script(dblint_db, undo)
    assert dblint_db.checksum() == before
    # The restored database fails exactly as before, and the same fix applies again (new
    # auto-increment ids differ, so compare what was fixed, not checksums).
    (tmp_path / "again").mkdir()
    again, _ = _fix(dblint_db, dblint_run, tmp_path / "again")
    assert again.exit_code == 0
    assert {r["id"]: r["fixed"] for r in again.json()["rules"]} == fixed


def test_quarantine_keeps_deleted_rows_and_undo_restores_them(dblint_db, dblint_run, tmp_path):
    dblint_db.create(TABLES)
    before = dblint_db.checksum()
    res, undo = _fix(dblint_db, dblint_run, tmp_path, "--quarantine")
    assert res.exit_code == 0, res.stderr + res.stdout
    q = dblint_db.query("SELECT id, code, dblint_rule FROM dblint_quarantine_item ORDER BY id")
    assert q == [(2, "a", "UNDO003"), (3, "B", "UNDO004"), (5, "c", "UNDO003")]
    assert dblint_db.count("item") == 2
    text = undo.read_text(encoding="utf-8")
    assert "dblint_quarantine_item" in text
    apply_script(dblint_db, undo)
    assert originals(dblint_db.checksum()) == before
    assert dblint_db.count("dblint_quarantine_item") == 0


@pytest.mark.parametrize("dblint_db", ["sqlite"], indirect=True)
def test_rule_level_quarantine(dblint_db, dblint_run, tmp_path):
    dblint_db.create(TABLES)
    rules = tmp_path / "q.yaml"
    rules.write_text(RULES.read_text().replace("keep: first}", "keep: first, quarantine: true}"))
    res = dblint_run(
        "check",
        dblint_db.url_string,
        "--rules",
        str(rules),
        "--select",
        "UNDO003",
        "--fix",
        "--unsafe-fixes",
        "--undo-file",
        str(tmp_path / "u.sql"),
    )
    assert res.exit_code == 0, res.stderr + res.stdout
    assert dblint_db.query("SELECT id FROM dblint_quarantine_item ORDER BY id") == [(2,), (5,)]


def test_no_changes_no_undo_file(dblint_db, dblint_run, tmp_path):
    # Every parent has its main child and nothing is NULL: the rules that can run pass.
    child = {
        **TABLES["child"],
        "rows": [[i, i, "main", "x", None, None, None, None, None] for i in (1, 2, 3, 4)],
    }
    dblint_db.create({"parent": TABLES["parent"], "child": child})
    res, undo = _fix(dblint_db, dblint_run, tmp_path)
    assert res.exit_code == 0, res.stdout + res.stderr
    assert not undo.exists()
    assert "undo script" not in res.stderr


@pytest.mark.parametrize("dblint_db", ["sqlite"], indirect=True)
def test_default_undo_file_next_to_config(dblint_db, dblint_run, tmp_path):
    dblint_db.create(TABLES)
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "dblint.yaml").write_text(f"rules: [{RULES}]\nselect: [UNDO002]\n")
    work = tmp_path / "work"
    work.mkdir()
    res = dblint_run(
        "check",
        dblint_db.url_string,
        "--config",
        str(conf / "dblint.yaml"),
        "--fix",
        "--unsafe-fixes",
        cwd=work,
    )
    assert res.exit_code == 0, res.stderr
    made = list(conf.glob("dblint-undo-*.sql"))
    assert len(made) == 1 and str(made[0]) in res.stderr
    assert not list(work.glob("dblint-undo-*"))
    # Without a config: the working directory.
    res = dblint_run(
        "check",
        dblint_db.url_string,
        "--rules",
        str(RULES),
        "--select",
        "UNDO003",
        "--fix",
        "--unsafe-fixes",
        cwd=work,
    )
    assert res.exit_code == 0, res.stderr
    assert len(list(work.glob("dblint-undo-*.sql"))) == 1


@pytest.mark.parametrize("dblint_db", ["sqlite", "postgresql"], indirect=True)
def test_raw_sql_without_a_nameable_table_is_refused_unless_no_undo(dblint_db, dblint_run, tmp_path):
    dblint_db.create(TABLES)
    before = dblint_db.checksum()
    rules = tmp_path / "raw.yaml"
    rules.write_text(
        "rules:\n"
        "  - id: RAW001\n    kind: sql\n"
        "    params: {query: 'SELECT id FROM item WHERE flag IS NULL', key: [id]}\n"
        "    fix: {safety: safe, statements: "
        "['WITH x AS (SELECT 1) UPDATE item SET flag = false WHERE flag IS NULL']}\n"
    )
    res = dblint_run(
        "check",
        dblint_db.url_string,
        "--rules",
        str(rules),
        "--select",
        "RAW",
        "--fix",
        "--undo-file",
        str(tmp_path / "u.sql"),
    )
    assert res.exit_code == 2  # rolled back for an error
    assert "cannot tell which table this raw SQL statement changes" in res.stdout
    assert "--no-undo" in res.stdout
    assert dblint_db.checksum() == before
    assert not (tmp_path / "u.sql").exists()
    res = dblint_run(
        "check", dblint_db.url_string, "--rules", str(rules), "--select", "RAW", "--fix", "--no-undo"
    )
    assert res.exit_code == 0, res.stdout + res.stderr
    assert dblint_db.checksum() != before


@pytest.mark.parametrize("dblint_db", ["sqlite"], indirect=True)
def test_backup_copies_the_database_before_the_fix(dblint_db, dblint_run, tmp_path):
    import sqlite3

    dblint_db.create(TABLES)
    before = dblint_db.checksum()
    res, _ = _fix(dblint_db, dblint_run, tmp_path, "--backup")
    assert res.exit_code == 0, res.stderr
    backup = res.json()["backup_file"]
    assert f"backup of the database before the fix: {backup}" in res.stderr
    assert dblint_db.checksum() != before
    con = sqlite3.connect(backup)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    con.close()
    import sqlalchemy as sa

    from linter.testing import TestDatabase

    copy = TestDatabase("sqlite", sa.make_url(f"sqlite:///{backup}"), sa.create_engine(f"sqlite:///{backup}"))
    assert copy.checksum() == before
    copy.engine.dispose()


@pytest.mark.parametrize("dblint_db", ["postgresql"], indirect=True)
def test_backup_refused_on_servers(dblint_db, dblint_run, tmp_path):
    dblint_db.create(TABLES)
    res, _ = _fix(dblint_db, dblint_run, tmp_path, "--backup")
    assert res.exit_code == 2
    assert res.stderr.count("\n") == 1 and "--backup copies SQLite database files only" in res.stderr


def test_undo_flags_need_fix(dblint_run, tmp_path):
    res = dblint_run("check", "sqlite://", "--quarantine")
    assert res.exit_code == 2 and "--quarantine only applies with --fix" in res.stderr


@pytest.mark.parametrize("dblint_db", ["sqlite", "mysql"], indirect=True)
def test_update_of_a_table_without_primary_key_needs_no_undo(dblint_db, dblint_run, tmp_path):
    dblint_db.execute("CREATE TABLE nopk (a INTEGER, note VARCHAR(10))")
    dblint_db.execute("INSERT INTO nopk VALUES (1, NULL), (1, NULL), (2, 'x')")
    before = dblint_db.checksum()
    rules = tmp_path / "r.yaml"
    rules.write_text(
        "rules:\n  - id: NOPK001\n    kind: not_null\n    params: {table: nopk, column: note}\n"
        "    fix: {safety: safe, set: y}\n"
    )
    args = ["check", dblint_db.url_string, "--rules", str(rules), "--select", "NOPK", "--fix"]
    res = dblint_run(*args, "--undo-file", str(tmp_path / "u.sql"))
    assert res.exit_code == 2  # rolled back for an error
    assert "nopk has no primary key" in res.stdout and "--no-undo" in res.stdout
    assert dblint_db.checksum() == before
    res = dblint_run(*args, "--no-undo")
    assert res.exit_code == 0, res.stdout
    assert dblint_db.count("nopk", "note = 'y'") == 2


@pytest.mark.parametrize("dblint_db", ["sqlite", "postgresql"], indirect=True)
def test_python_handler_steps_are_undone_too(dblint_db, tmp_path):
    """A fix handler's returned steps (Core statements and raw SQL) go through the same capture."""
    import sqlalchemy as sa

    from linter.app import App
    from linter.load.config import Config
    from linter.run import CheckOptions, CheckRun

    dblint_db.create(TABLES)
    before = dblint_db.checksum()
    rules = tmp_path / "h.yaml"
    rules.write_text(
        "rules:\n  - id: HAND001\n    kind: not_null\n    params: {table: item, column: flag}\n"
        "    fix: {safety: safe, handler: flag_and_tag}\n"
    )

    def flag_and_tag(ctx, rule, conn):
        from linter.kinds.base import FixStep

        item, tag = ctx.table("item"), ctx.table("tag")
        return [
            FixStep(sa.update(item).where(item.c.flag.is_(None)).values(flag=False)),
            FixStep(sa.insert(tag).values(id=99, label="handler")),
            FixStep(sa.text("DELETE FROM tag WHERE id = 10")),
            # A lightweight table clause, as plugins write: resolved through the schema for the undo.
            FixStep(
                sa.update(sa.table("item", sa.column("id"), sa.column("label")))
                .where(sa.column("id") == 1)
                .values(label="lw")
            ),
        ]

    app = App.load(Config(), extra_rules=[rules], builtin_packs=False)
    app.handlers["flag_and_tag"] = flag_and_tag
    opts = CheckOptions(selected=("HAND",), fix=True, undo_file=str(tmp_path / "u.sql"))
    report, _ = CheckRun(app, opts).run_target(0, dblint_db.url_string)
    after = report.results
    assert after[0].status == "pass" and after[0].fixed == 7
    assert dblint_db.query("SELECT id FROM tag ORDER BY id") == [(99,)]
    dblint_db.apply_script(tmp_path / "u.sql")
    assert dblint_db.checksum() == before


@pytest.mark.parametrize(
    "sql, target",
    [
        ("UPDATE t SET a = 1", "t"),
        ('update "we""ird" set x = 1', 'we"ird'),
        ("UPDATE `t` SET a = 1", "t"),
        ("DELETE FROM t WHERE x", "t"),
        ("INSERT INTO t (a) SELECT 1", "t"),
        ("UPDATE t SET a = b.a FROM b WHERE b.id = t.id", "t"),
        ("UPDATE a JOIN b ON a.id = b.id SET a.x = 1", None),  # b may change too
        ("UPDATE a, b SET a.x = 1", None),
        ("DELETE FROM a, b USING a", None),
        ("WITH x AS (SELECT 1) UPDATE t SET a = 1", None),
        ("UPDATE s.t SET a = 1", None),
        ("CREATE INDEX i ON t (a)", None),
    ],
)
def test_raw_statement_targets(sql, target):
    from linter.fix.undo import raw_target

    assert raw_target(sql) == target


@pytest.mark.parametrize("dblint_db", ["sqlite"], indirect=True)
def test_an_existing_undo_file_is_never_overwritten(dblint_db, dblint_run, tmp_path):
    dblint_db.create(TABLES)
    before = dblint_db.checksum()
    undo = tmp_path / "undo.sql"
    undo.write_text("-- the way back from yesterday's fix\n")
    res = dblint_run(
        "check",
        dblint_db.url_string,
        "--rules",
        str(RULES),
        "--select",
        "UNDO",
        "--fix",
        "--unsafe-fixes",
        "--undo-file",
        str(undo),
    )
    assert res.exit_code == 2 and "already exists" in res.stderr
    assert undo.read_text() == "-- the way back from yesterday's fix\n"
    assert dblint_db.checksum() == before


@pytest.mark.parametrize("dblint_db", ["sqlite", "postgresql"], indirect=True)
def test_a_full_disk_while_writing_the_undo_rolls_the_fix_back(dblint_db, dblint_run, tmp_path, monkeypatch):
    import errno

    from linter.fix import undo_script as undo_mod

    dblint_db.create(TABLES)
    before = dblint_db.checksum()
    calls = {"n": 0}
    real_enter = undo_mod._Part.__enter__

    def enter(self):
        calls["n"] += 1
        if calls["n"] == 3:  # fail part way through the fix
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_enter(self)

    monkeypatch.setattr(undo_mod._Part, "__enter__", enter)
    res, undo = _fix(dblint_db, dblint_run, tmp_path)
    assert res.exit_code == 2  # rolled back for an error
    assert (
        "No space left on device" in res.json()["fix_error"]
        and "nothing was written" in res.json()["fix_error"]
    )
    assert dblint_db.checksum() == before
    assert not undo.exists()


def test_undo_on_in_memory_sqlite_keeps_the_fix_transaction(tmp_path):
    """The raw-SQL undo reflects its target table inside the fix: on an in-memory database (one
    connection) that must not roll the fix back."""
    from linter.app import App
    from linter.load.config import Config
    from linter.run import CheckOptions, CheckRun
    from linter.targets.target import open_target

    rules = tmp_path / "m.yaml"
    rules.write_text(
        "rules:\n  - id: MEM001\n    kind: sql\n"
        "    params: {query: 'SELECT id FROM t WHERE v IS NULL', key: [id]}\n"
        "    fix: {safety: safe, statements: ['UPDATE t SET v = 1 WHERE v IS NULL']}\n"
    )
    app = App.load(Config(), extra_rules=[rules], builtin_packs=False)
    target = open_target("sqlite://", config=app.config, variables={}, handlers={}, jobs=1)
    with target.engine.begin() as c:
        c.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)")
        c.exec_driver_sql("INSERT INTO t VALUES (1, NULL), (2, 5)")
    opts = CheckOptions(selected=("MEM",), fix=True, undo_file=str(tmp_path / "u.sql"))
    report, _ = CheckRun(app, opts).run_open(0, target)
    after = report.results
    assert after[0].fixed == 1 and after[0].violations == 0
    with target.engine.connect() as c:
        assert c.exec_driver_sql("SELECT v FROM t ORDER BY id").fetchall() == [(1,), (5,)]
    target.close()
    assert "UPDATE t SET v = NULL WHERE id = 1;" in (tmp_path / "u.sql").read_text()
