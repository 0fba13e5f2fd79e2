"""Fixture files as targets (what the pre-commit hooks pass): SQLite files, .sql dumps, Django JSON."""

import json
import sqlite3
from pathlib import Path

import pytest
from users_support import DEMO_RULES

from linter.targets import fixture_files as fixtures

SCHEMA = """
CREATE TABLE discipline (UserGroupScopeId INTEGER PRIMARY KEY, Name VARCHAR(64) NOT NULL);
CREATE TABLE spappresourcedir (SpAppResourceDirID INTEGER PRIMARY KEY AUTOINCREMENT, DisciplineID INTEGER,
  CollectionID INTEGER, UserType VARCHAR(64), IsPersonal BOOLEAN NOT NULL, DisciplineType VARCHAR(64));
CREATE INDEX spappresourcedir_disc ON spappresourcedir (DisciplineID);
INSERT INTO discipline VALUES (3, 'Ichthyology'), (5, 'Herpetology');
INSERT INTO spappresourcedir VALUES (1, 3, NULL, NULL, 0, 'Ichthyology');
"""


def make_dump(path: Path, extra: str = "") -> Path:
    conn = sqlite3.connect(":memory:")
    conn.executescript(SCHEMA + extra)
    path.write_text("\n".join(conn.iterdump()) + "\n")  # the form `sqlite3 .dump`-style tools write
    conn.close()
    return path


def run_in(tmp_path, dblint_run, *args):
    return dblint_run("check", *args, "--rules", str(DEMO_RULES), cwd=tmp_path)


def test_sqlite_fixture_checked_and_fixed_in_place(tmp_path, dblint_run):
    db = tmp_path / "fixture.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.executescript(SCHEMA)
    conn.close()
    res = run_in(tmp_path, dblint_run, "fixture.sqlite3", "--select", "DEMO001", "-q")
    assert res.exit_code == 1 and res.stdout.startswith(
        "fixture.sqlite3: DEMO001 error discipline[UserGroupScopeId=5]"
    )
    assert run_in(tmp_path, dblint_run, "fixture.sqlite3", "--select", "DEMO001", "--fix").exit_code == 0
    assert run_in(tmp_path, dblint_run, "fixture.sqlite3", "--select", "DEMO001").exit_code == 0


def test_dump_is_checked_in_memory_with_only_the_rules_it_can_see(tmp_path, dblint_run):
    make_dump(tmp_path / "f.sql")
    before = (tmp_path / "f.sql").read_text()
    res = dblint_run(
        "check",
        "f.sql",
        "--rules",
        str(DEMO_RULES),
        "--select",
        "CORE,DEMO",
        "--format",
        "json",
        cwd=tmp_path,
    )
    assert res.exit_code == 1, res.stderr
    doc = res.json()
    assert doc["target"] == "f.sql"
    # DEMO002..DEMO005 read tables this dump does not have: they are not run, not even "skipped"
    assert sorted(r["id"] for r in doc["rules"]) == ["CORE001", "CORE002", "DEMO001"]
    assert res.rule("DEMO001")["violations"] == 1
    assert (tmp_path / "f.sql").read_text() == before  # checking never writes


def test_fix_on_a_dump_rewrites_only_the_repaired_rows_and_is_idempotent(tmp_path, dblint_run):
    dump = make_dump(tmp_path / "f.sql")
    before = dump.read_text().splitlines()
    res = run_in(tmp_path, dblint_run, "f.sql", "--fix", "--select", "DEMO001")
    assert res.exit_code == 0, res.stdout + res.stderr
    after = dump.read_text().splitlines()
    added = [line for line in after if line not in before]
    removed = [line for line in before if line not in after]
    assert added == [
        "INSERT INTO \"spappresourcedir\" VALUES(2,5,NULL,NULL,0,'Herpetology');",
        "INSERT INTO \"sqlite_sequence\" VALUES('spappresourcedir',2);",
    ]
    assert removed == ["INSERT INTO \"sqlite_sequence\" VALUES('spappresourcedir',1);"]
    text = dump.read_text()
    again = run_in(tmp_path, dblint_run, "f.sql", "--fix", "--select", "DEMO001")
    assert again.exit_code == 0 and dump.read_text() == text  # a second run is a no-op
    assert run_in(tmp_path, dblint_run, "f.sql", "--select", "DEMO001").exit_code == 0


def test_dump_with_nothing_to_fix_is_left_as_written(tmp_path, dblint_run):
    handmade = tmp_path / "clean.sql"
    handmade.write_text(
        "-- hand written\ncreate table discipline (UserGroupScopeId integer primary key, Name text);\n"
        "create table spappresourcedir (SpAppResourceDirID integer primary key, DisciplineID integer,\n"
        "  CollectionID integer, UserType text, IsPersonal integer, DisciplineType text);\n"
    )
    assert run_in(tmp_path, dblint_run, "clean.sql", "--fix", "--select", "DEMO001").exit_code == 0
    assert handmade.read_text().startswith("-- hand written\n")


def test_canonical_dump_round_trips(tmp_path):
    dump = make_dump(
        tmp_path / "f.sql",
        "CREATE TABLE w (a TEXT, b INT, PRIMARY KEY (b, a)) WITHOUT ROWID;"
        "INSERT INTO w VALUES ('z', 2), ('y', 1), ('it''s', 1);",
    )
    conn = sqlite3.connect(":memory:")
    fixtures._load_dump(conn, dump)
    text = fixtures.dump(conn)
    conn2 = sqlite3.connect(":memory:")
    (tmp_path / "g.sql").write_text(text)
    fixtures._load_dump(conn2, tmp_path / "g.sql")
    assert fixtures.dump(conn2) == text
    assert (
        "INSERT INTO \"w\" VALUES('it''s',1);\n"
        "INSERT INTO \"w\" VALUES('y',1);\nINSERT INTO \"w\" VALUES('z',2);" in text
    )


DJANGO_CONFIG = """
fixtures:
  django_models:
    collections.discipline: {table: discipline, pk: UserGroupScopeId, columns: {name: Name}}
    collections.resourcedir:
      table: spappresourcedir
      pk: SpAppResourceDirID
      columns: {discipline: DisciplineID, collection: CollectionID, user_type: UserType, personal: IsPersonal}
"""


def test_django_fixture_is_checked_with_mapped_tables(tmp_path, dblint_run):
    (tmp_path / "dblint.yaml").write_text(DJANGO_CONFIG)
    data = [
        {"model": "collections.discipline", "pk": 3, "fields": {"name": "Ichthyology"}},
        {"model": "collections.discipline", "pk": 5, "fields": {"name": "Herpetology"}},
        {
            "model": "collections.resourcedir",
            "pk": 1,
            "fields": {
                "discipline": 3,
                "collection": None,
                "user_type": None,
                "personal": False,
                "tags": [1, 2],
            },
        },
        {"model": "auth.user", "pk": 1, "fields": {"username": "admin"}},  # not mapped: ignored
    ]
    (tmp_path / "data.json").write_text(json.dumps(data))
    res = dblint_run("check", "data.json", "--rules", str(DEMO_RULES), "--format", "json", cwd=tmp_path)
    assert res.exit_code == 1, res.stderr
    # The specify pack's rules on these tables run too; one whose column is absent is not shown
    assert "SPEC402" not in {r["id"] for r in res.json()["rules"]}
    assert res.rule("DEMO001")["violations"] == 1
    assert res.rule("DEMO001")["examples"][0]["key"] == {"UserGroupScopeId": 5}
    assert "DEMO002" not in {r["id"] for r in res.json()["rules"]}  # collectionobject is not in it
    refused = dblint_run("check", "data.json", "--fix", cwd=tmp_path)
    assert refused.exit_code == 2 and "Django JSON fixtures are checked, not fixed" in refused.stderr


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.db", b"just some text\n", "notes.db is not an SQLite database"),
        ("notes.sqlite", b"\x00\x01binary junk" * 3, "notes.sqlite is not an SQLite database"),
        ("broken.sql", b"this is not sql;\n", 'broken.sql: not an SQL dump SQLite can load: near "this"'),
        ("empty.sql", b"-- nothing here\n", "empty.sql: not an SQL dump: it creates no table"),
        ("latin.sql", "caf\xe9".encode("latin-1"), "latin.sql: not an SQL dump (not UTF-8 text)"),
        (
            "pkg.json",
            b'{"name": "x"}',
            "pkg.json: not a Django fixture (a JSON list of {model, pk, fields} objects)",
        ),
        ("bad.json", b"[1, 2", "bad.json: not a Django fixture (invalid JSON"),
        (
            "unmapped.json",
            b'[{"model": "a.b", "pk": 1, "fields": {}}]',
            "no model of this fixture is mapped to a table (models: a.b)",
        ),
        ("missing.sql", None, "no such fixture file: missing.sql"),
    ],
)
def test_files_that_are_not_databases_get_one_line(tmp_path, dblint_run, name, content, message):
    if content is not None:
        (tmp_path / name).write_bytes(content)
    res = dblint_run("check", name, cwd=tmp_path)
    assert res.exit_code == 2
    assert (
        message in res.stderr and len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr
    )
