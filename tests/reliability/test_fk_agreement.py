"""A declared foreign key is no proof: CORE001 and a `reference` rule on the same key always agree,
whatever way the orphans got in (PostgreSQL: session_replication_role = replica, NOT VALID,
DISABLE TRIGGER ALL; MariaDB: FOREIGN_KEY_CHECKS=0; SQLite: foreign keys off), and neither passes
"guaranteed by constraint"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from linter.testing import TestDatabase

RULE = {
    "id": "REF001",
    "title": "every child has its parent",
    "kind": "reference",
    "params": {
        "table": "child",
        "columns": ["parent_id"],
        "references": {"table": "parent", "columns": ["id"]},
    },
}
SCHEMA = [
    "CREATE TABLE parent (id integer PRIMARY KEY)",
    "CREATE TABLE child (id integer PRIMARY KEY, parent_id integer, "
    "CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) REFERENCES parent (id))",
    "INSERT INTO parent VALUES (1), (2)",
    "INSERT INTO child VALUES (1, 1), (2, 2)",
]
ORPHANS = "INSERT INTO child VALUES (3, 77), (4, 78), (5, 77)"

WAYS = {
    "sqlite": {"foreign_keys off": [ORPHANS]},
    "postgresql": {
        "session_replication_role = replica": [
            "SET session_replication_role = replica",
            ORPHANS,
            "SET session_replication_role = origin",
        ],
        "NOT VALID": [
            "ALTER TABLE child DROP CONSTRAINT child_parent_fk",
            ORPHANS,
            "ALTER TABLE child ADD CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) "
            "REFERENCES parent (id) NOT VALID",
        ],
        "DISABLE TRIGGER ALL, enabled again": [
            "ALTER TABLE child DISABLE TRIGGER ALL",
            ORPHANS,
            "ALTER TABLE child ENABLE TRIGGER ALL",
        ],
    },
    "mysql": {"FOREIGN_KEY_CHECKS=0": ["SET FOREIGN_KEY_CHECKS = 0", ORPHANS, "SET FOREIGN_KEY_CHECKS = 1"]},
}


def _cases() -> list[Any]:
    return [pytest.param(d, w, id=f"{d}-{w}") for d, ways in WAYS.items() for w in ways]


def make_orphans(db: TestDatabase, way: str) -> None:
    """The schema above with three orphans (two distinct missing parents) made ``way``."""
    stmts = SCHEMA + WAYS[db.dialect][way]
    with db.engine.begin() as c:  # one connection: the SET statements must apply to the INSERT
        for s in stmts:
            c.exec_driver_sql(s)


@pytest.mark.parametrize(("dblint_db", "way"), _cases(), indirect=["dblint_db"])
def test_core001_and_reference_agree(
    way: str, dblint_db: TestDatabase, tmp_path: Path, dblint_run: Any
) -> None:
    make_orphans(dblint_db, way)
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump({"rules": [RULE]}))
    res = dblint_run(
        "check", dblint_db.url_string, "--rules", str(rules), "--select", "CORE001,REF001", "--format", "json"
    )
    doc = yaml.safe_load(res.stdout)
    by_id = {r["id"]: r for r in doc["rules"]}
    assert res.exit_code == 1, res.stdout + res.stderr
    assert by_id["REF001"]["violations"] == by_id["CORE001"]["violations"] == 3, res.stdout
    assert "guaranteed" not in (by_id["REF001"]["reason"] or "")
