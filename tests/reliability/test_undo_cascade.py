"""Undo scripts also restore what the database changes by itself: rows deleted by ON DELETE CASCADE
(through two levels and a diamond) and foreign keys rewritten by ON DELETE SET NULL. Side effects
dblint cannot capture (triggers, a cycle of cascades) refuse the fix unless ``--no-undo``."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from reliability_support import apply_script

from linter.db import Schema
from linter.fix.cascade import CascadeError, Effects

SERVERS = pytest.mark.parametrize("dblint_db", ["postgresql", "mysql"], indirect=True)

TABLES = {
    "owner": {"columns": {"id": "integer primary key", "name": "varchar(20)"}, "rows": [[1, "o1"]]},
    "parent": {
        # parent 3 is an orphan (owner 9 does not exist): the reference fix deletes it.
        "columns": {"id": "integer primary key", "owner_id": "integer", "name": "varchar(20)"},
        "rows": [[1, 1, "p1"], [2, 1, "p2"], [3, 9, "p3 orphan"]],
    },
    "item": {
        "columns": {
            "id": "integer primary key",
            "code": "varchar(20)",
            "parent_id": "integer references parent(id) on delete cascade",
        },
        # items 2 and 5 duplicate 1 and 4 by code: the unique fix deletes them.
        "rows": [[1, "A", 1], [2, "A", 2], [3, "B", 3], [4, "C", 2], [5, "C", 1], [6, "D", 3]],
    },
    "note": {
        "columns": {
            "id": "integer primary key",
            "item_id": "integer references item(id) on delete cascade",
            "body": "varchar(40)",
        },
        "rows": [[1, 1, "keep"], [2, 2, "goes with item 2"], [3, 3, "goes with parent 3"], [4, 6, "ditto"]],
    },
    "audit": {
        # Two paths to the same rows (item -> audit and parent -> audit): each row is restored once.
        "columns": {
            "id": "integer primary key",
            "item_id": "integer references item(id) on delete cascade",
            "parent_id": "integer references parent(id) on delete cascade",
        },
        "rows": [[1, 3, 3], [2, 2, 2], [3, 1, 1], [4, 6, None]],
    },
    "tagref": {
        "columns": {
            "id": "integer primary key",
            "item_id": "integer references item(id) on delete set null",
            "tag": "varchar(20)",
        },
        "rows": [[1, 2, "x"], [2, 1, "y"], [3, 3, "z"]],
    },
}

RULES = """
rules:
  - id: CASC001
    kind: reference
    params: {table: parent, columns: [owner_id], references: {table: owner, columns: [id]}}
    fix: {safety: unsafe, action: delete}
  - id: CASC002
    kind: unique
    params: {table: item, columns: [code]}
    fix: {safety: unsafe, keep: first}
"""


def _fix(db, run, tmp_path, *extra, rules: str = RULES, select: str = "CASC"):
    tmp_path.mkdir(exist_ok=True)
    path = tmp_path / "cascade.yaml"
    path.write_text(rules)
    undo = tmp_path / "undo.sql"
    args = ["check", db.url_string, "--rules", str(path), "--select", select, "--fix", "--unsafe-fixes"]
    if "--no-undo" not in extra:
        args += ["--undo-file", str(undo)]
    res = run(*args, "--format", "json", *extra)
    return res, undo


def _refused(res) -> str:
    """The fix was rolled back for an error: exit 2, and the reason in ``fix_error``."""
    assert res.exit_code == 2, res.stdout + res.stderr
    return res.json()["fix_error"]


@SERVERS
def test_undo_restores_rows_removed_and_rewritten_by_foreign_key_actions(dblint_db, dblint_run, tmp_path):
    dblint_db.create(TABLES)
    before = dblint_db.checksum()
    res, undo = _fix(dblint_db, dblint_run, tmp_path)
    assert res.exit_code == 0, res.stdout + res.stderr
    assert {r["id"]: r["fixed"] for r in res.json()["rules"]} == {"CASC001": 1, "CASC002": 2}
    # The database did cascade: parent 3 took items 3 and 6 with it, their notes and audits too.
    assert dblint_db.query("SELECT id FROM item ORDER BY id") == [(1,), (4,)]
    assert dblint_db.query("SELECT id FROM note ORDER BY id") == [(1,)]
    assert dblint_db.query("SELECT id FROM audit ORDER BY id") == [(3,)]
    assert dblint_db.query("SELECT id, item_id FROM tagref ORDER BY id") == [(1, None), (2, 1), (3, None)]
    text = undo.read_text(encoding="utf-8")
    assert "rows deleted by note(item_id) ON DELETE CASCADE" in text
    assert "rows rewritten by tagref(item_id) ON DELETE SET NULL" in text
    apply_script(dblint_db, undo)
    assert dblint_db.checksum() == before


@SERVERS
def test_a_trigger_refuses_the_fix_unless_no_undo(dblint_db, dblint_run, tmp_path):
    dblint_db.create(
        {
            **{k: TABLES[k] for k in ("owner", "parent", "item")},
            "log": {"columns": {"id": "integer primary key autoincrement", "msg": "varchar(20)"}},
        }
    )
    if dblint_db.dialect == "postgresql":
        dblint_db.execute(
            [
                "CREATE FUNCTION log_delete() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN INSERT INTO log (msg) VALUES ('deleted'); RETURN OLD; END $$",
                "CREATE TRIGGER item_gone AFTER DELETE ON item FOR EACH ROW EXECUTE FUNCTION log_delete()",
            ]
        )
    else:
        dblint_db.execute(
            ["CREATE TRIGGER item_gone AFTER DELETE ON item FOR EACH ROW INSERT INTO log (msg) VALUES ('x')"]
        )
    before = dblint_db.checksum()
    res, undo = _fix(dblint_db, dblint_run, tmp_path, select="CASC002")
    error = _refused(res)
    assert "item has trigger(s) item_gone on DELETE" in error and "--no-undo" in error
    assert dblint_db.checksum() == before and not undo.exists()

    res, _ = _fix(dblint_db, dblint_run, tmp_path / "again", "--no-undo", select="CASC002")
    assert res.exit_code == 0, res.stdout + res.stderr
    assert dblint_db.count("log") == 2


CYCLE_RULES = """
rules:
  - id: CASC010
    kind: unique
    params: {table: node, columns: [code]}
    fix: {safety: unsafe, keep: first}
"""


@SERVERS
def test_a_cycle_of_cascades_refuses_the_fix_unless_no_undo(dblint_db, dblint_run, tmp_path):
    dblint_db.create(
        {
            "node": {
                "columns": {
                    "id": "integer primary key",
                    "code": "varchar(10)",
                    "parent_id": "integer references node(id) on delete cascade",
                },
                "rows": [[1, "a", None], [2, "a", 1], [3, "b", 2]],
            }
        }
    )
    before = dblint_db.checksum()
    res, undo = _fix(dblint_db, dblint_run, tmp_path, rules=CYCLE_RULES)
    assert "cascades in a cycle (node -> node, ON DELETE CASCADE)" in _refused(res)
    assert dblint_db.checksum() == before and not undo.exists()
    res, _ = _fix(dblint_db, dblint_run, tmp_path / "again", "--no-undo", rules=CYCLE_RULES)
    assert res.exit_code == 0, res.stdout + res.stderr
    assert dblint_db.query("SELECT id FROM node") == [(1,)]


@pytest.mark.parametrize("dblint_db", ["sqlite"], indirect=True)
def test_sqlite_cascades_only_with_foreign_keys_pragma(dblint_db):
    dblint_db.create(TABLES)
    with dblint_db.engine.connect() as conn:
        schema = Schema(conn)
        item = schema.table("item")
        assert Effects(conn, schema).on_delete(item, item.c.id == 2) == []  # SQLite's default: off
        conn.exec_driver_sql("PRAGMA foreign_keys = ON")
        parent = schema.table("parent")
        effects = Effects(conn, schema).on_delete(parent, parent.c.id == 3)
        count = sa.select(sa.func.count())
        got = {
            (e.table.name, e.action): conn.execute(count.select_from(e.table).where(e.where)).scalar()
            for e in effects
        }
        assert got == {
            ("item", "delete"): 2,
            ("note", "delete"): 2,
            ("audit", "delete"): 2,
            ("tagref", "update"): 1,
        }
        assert [e.table.name for e in effects if e.action == "delete"].index("item") == 0  # parents first


@pytest.mark.parametrize("dblint_db", ["sqlite"], indirect=True)
def test_cycle_detected_in_the_catalog(dblint_db):
    dblint_db.create(
        {
            "a": {
                "columns": {"id": "integer primary key", "b_id": "integer references b(id) on delete cascade"}
            },
            "b": {
                "columns": {"id": "integer primary key", "a_id": "integer references a(id) on delete cascade"}
            },
        }
    )
    with dblint_db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys = ON")
        schema = Schema(conn)
        with pytest.raises(CascadeError, match=r"cycle \(a -> b -> a, ON DELETE CASCADE\)"):
            Effects(conn, schema).on_delete(schema.table("a"), None)


@SERVERS
def test_diff_shows_what_the_database_would_cascade(dblint_db, dblint_run, tmp_path):
    dblint_db.create(TABLES)
    before = dblint_db.checksum()
    rules = tmp_path / "cascade.yaml"
    rules.write_text(RULES)
    res = dblint_run("check", dblint_db.url_string, "--rules", str(rules), "--diff", "--unsafe-fixes")
    assert res.exit_code == 1, res.stdout + res.stderr
    assert "--   also deletes 2 row(s) of item (item(parent_id) ON DELETE CASCADE)" in res.stdout
    assert "--   also rewrites 1 row(s) of tagref (tagref(item_id) ON DELETE SET NULL)" in res.stdout
    res = dblint_run(
        "check", dblint_db.url_string, "--rules", str(rules), "--diff", "--unsafe-fixes", "--format", "json"
    )
    diff = {r["id"]: r.get("diff") for r in res.json()["rules"]}
    assert "also deletes 2 row(s) of note (note(item_id) ON DELETE CASCADE)" in diff["CASC001"][0]["also"]
    assert dblint_db.checksum() == before


@pytest.mark.parametrize("dblint_db", ["sqlite", "postgresql", "mysql"], indirect=True)
def test_composite_foreign_keys_are_followed(dblint_db):
    dblint_db.create(
        {
            "head": {
                "columns": {"a": "integer primary key", "b": "integer primary key"},
                "rows": [[1, 1], [1, 2], [2, 1]],
            },
        }
    )  # fmt: skip
    dblint_db.execute(
        [
            "CREATE TABLE part (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, "
            "FOREIGN KEY (a, b) REFERENCES head (a, b) ON DELETE CASCADE)",
            "INSERT INTO part (id, a, b) VALUES (1, 1, 1), (2, 1, 2), (3, 1, 2), (4, 2, 1)",
        ]
    )
    with dblint_db.engine.connect() as conn:
        if dblint_db.dialect == "sqlite":
            conn.exec_driver_sql("PRAGMA foreign_keys = ON")
        schema = Schema(conn)
        head = schema.table("head")
        (effect,) = Effects(conn, schema).on_delete(head, sa.and_(head.c.a == 1, head.c.b == 2))
        assert (effect.table.name, effect.action, effect.via) == (
            "part",
            "delete",
            "part(a, b) ON DELETE CASCADE",
        )
        ids = conn.execute(
            sa.select(effect.table.c.id).where(effect.where).order_by(effect.table.c.id)
        ).scalars()
        assert list(ids) == [2, 3]
