"""The undo script restores rows that break a foreign key, applied with the database's own client
(`sqlite3 -bail`, `psql -v ON_ERROR_STOP=1`, `mysql db <`), for orphans made every way a linter
meets them (test_fk_agreement.WAYS) and every `reference` fix action: the orphans a fix deleted come
back, the keys it nulled get their dangling values back, the parents it inserted go (without
cascading into the children). On PostgreSQL the script needs a superuser for that (it says so in
its header, and the fix's output says so); MariaDB's script sets FOREIGN_KEY_CHECKS=0."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from reliability_support import apply_script, fix_with_undo
from test_fk_agreement import RULE, WAYS, make_orphans

from linter.testing import TestDatabase

ACTIONS = ["delete", "set_null", "insert_parent"]


def _cases() -> list[Any]:
    return [
        pytest.param(d, w, a, id=f"{d}-{w}-{a}") for d, ways in WAYS.items() for w in ways for a in ACTIONS
    ]


@pytest.mark.parametrize(("dblint_db", "way", "action"), _cases(), indirect=["dblint_db"])
def test_undo_restores_orphans(
    way: str, action: str, dblint_db: TestDatabase, tmp_path: Path, dblint_run: Any
) -> None:
    make_orphans(dblint_db, way)
    before = dblint_db.checksum()
    rule = {**RULE, "fix": {"safety": "safe", "action": action}}
    res, undo = fix_with_undo(dblint_run, dblint_db, tmp_path, rule)
    assert res.exit_code == 0, res.stdout + res.stderr
    assert dblint_db.checksum() != before
    script = undo.read_text()
    if dblint_db.dialect == "postgresql":
        assert "needs a superuser" in script and "SET LOCAL session_replication_role = replica" in script
        assert "needs a superuser" in res.stderr, res.stderr
    elif dblint_db.dialect == "mysql":
        assert "SET FOREIGN_KEY_CHECKS = 0;" in script
    apply_script(dblint_db, undo)
    assert dblint_db.checksum() == before


@pytest.mark.parametrize("dblint_db", ["postgresql"], indirect=True)
def test_no_privilege_needed_without_foreign_keys(
    dblint_db: TestDatabase, tmp_path: Path, dblint_run: Any
) -> None:
    dblint_db.execute(
        ["CREATE TABLE lone (id integer PRIMARY KEY, v varchar(10))", "INSERT INTO lone VALUES (1, NULL)"]
    )
    rule = {"id": "LONE001", "title": "t", "kind": "not_null", "params": {"table": "lone", "column": "v"}}
    rule["fix"] = {"safety": "safe", "set": "x"}
    res, undo = fix_with_undo(dblint_run, dblint_db, tmp_path, rule)
    assert res.exit_code == 0, res.stdout + res.stderr
    assert "superuser" not in undo.read_text() and "superuser" not in res.stderr


@pytest.mark.parametrize(
    ("dblint_db", "way"),
    [pytest.param(d, w, id=f"{d}-{w}") for d, ways in WAYS.items() for w in ways],
    indirect=["dblint_db"],
)
def test_undo_puts_quarantined_orphans_back(
    way: str, dblint_db: TestDatabase, tmp_path: Path, dblint_run: Any
) -> None:
    """With --quarantine the undo script copies the deleted orphans back from the quarantine table:
    that write breaks the foreign key too, so the script takes the same precautions."""
    make_orphans(dblint_db, way)
    before = dblint_db.checksum()
    rule = {**RULE, "fix": {"safety": "safe", "action": "delete"}}
    res, undo = fix_with_undo(dblint_run, dblint_db, tmp_path, rule, "--quarantine")
    assert res.exit_code == 0, res.stdout + res.stderr
    apply_script(dblint_db, undo)
    after = {k: v for k, v in dblint_db.checksum().items() if not k.startswith("dblint_quarantine_")}
    assert after == before
